"""The ``veille`` command line: a thin layer that composes the library's stage functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import RunLockedError, VeilleError

app = typer.Typer(
    name="veille", add_completion=False, no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Veille: nightly analysis of French-language media coverage of a dispute.\n\n"
         "Example: veille nightly --set collect.proxy=http://127.0.0.1:8765",
)
console = Console(stderr=True)
out = Console()


class State:
    """Global options, resolved lazily into settings."""

    config: Optional[Path] = None
    overrides: list[str] = []

    def settings(self):
        from .config import load_settings

        return load_settings(self.config, self.overrides)


state = State()


@app.callback()
def _global(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="User settings file (TOML)."),
    set_: list[str] = typer.Option([], "--set", help="Override a setting: --set section.key=value (repeatable)."),
) -> None:
    state.config = config
    state.overrides = list(set_)


def _progress_factory(progress: Progress) -> Callable[[str], Callable[[int, int], None]]:
    def factory(name: str) -> Callable[[int, int], None]:
        task = progress.add_task(name, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return update

    return factory


def _print_table(columns: list[str], rows: list[tuple], title: str = "") -> None:
    table = Table(title=title or None)
    for c in columns:
        table.add_column(str(c))
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)


def _emit(columns: list[str], rows: list[tuple], fmt: str, title: str = "") -> None:
    if fmt == "json":
        out.print_json(json.dumps([dict(zip(columns, r)) for r in rows], default=str, ensure_ascii=False))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        _print_table(columns, rows, title)


@app.command()
def nightly() -> None:
    """Run collect -> extract -> analyse (and the later stages) once.

    Example: veille nightly --set collect.proxy=http://127.0.0.1:8765
    """
    from .nightly import run_nightly
    from .report import coverage_summary
    from .store import open_store

    settings = state.settings()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        result = run_nightly(settings, _progress_factory(progress))
    with open_store(settings["store.path"], read_only=True) as store:
        rows = coverage_summary(store)
    if rows:
        _print_table(list(rows[0]), [tuple(r.values()) for r in rows], "Coverage by outlet")
    out.print(result.summary)


@app.command()
def reprocess() -> None:
    """Re-extract and re-analyse every archived page from the WARC files, with no network.

    Example: veille reprocess --set store.path=data/veille.duckdb
    """
    from .nightly import run_nightly

    settings = state.settings()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        result = run_nightly(settings, _progress_factory(progress), command="reprocess", reprocess=True)
    out.print(result.summary)


@app.command()
def replay(
    corpus: Path = typer.Argument(Path("corpus"), help="Corpus folder (with site/manifest.json)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback)."),
    port: int = typer.Option(8765, help="Port to listen on."),
    faults: Optional[Path] = typer.Option(None, help="Faults file (TOML) to inject errors for tests."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request."),
) -> None:
    """Serve the corpus over HTTP as a proxy for its outlets' hosts, until interrupted.

    Example: veille replay corpus --port 8765   (then: --set collect.proxy=http://127.0.0.1:8765)
    """
    from .replay import serve_corpus

    console.print(f"Replaying {corpus} as an HTTP proxy on http://{host}:{port} (Ctrl-C to stop)")
    serve_corpus(corpus, host=host, port=port, faults_file=faults, verbose=verbose)


@app.command()
def extract(
    page: Path = typer.Argument(..., help="A saved HTML page."),
    url: str = typer.Option("http://localhost/article", help="The page's URL (helps canonical URL and dates)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Extract title, authors, date, language and main text of one saved page.

    Example: veille extract page.html --url https://www.example.fr/article --json
    """
    from .collect.http import decode_html
    from .extract import extract_html
    from .extract.language import detect_language

    html, _ = decode_html(page.read_bytes(), "")
    article = extract_html(html, url)
    article.language = detect_language(article.text)
    data = {"title": article.title, "authors": article.authors,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "date_source": article.date_source, "language": article.language,
            "canonical_url": article.canonical_url, "extractor": article.extractor,
            "field_sources": article.field_sources, "text": article.text}
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            if key != "text":
                out.print(f"[bold]{key}[/bold]: {value}")
        out.print()
        out.print(article.text)


@app.command()
def annotate(
    file: str = typer.Argument("-", help="Text file to analyse, or - for standard input."),
    as_json: bool = typer.Option(True, "--json/--table", help="Print JSON (default) or a table."),
) -> None:
    """Analyse one text: entities linked to actors (and claims, sentiment, stance).

    Example: echo "OpenAI accuse DeepSeek." | veille annotate - --json
    """
    from .config import load_topic
    from .nlp import annotate_doc, build_nlp

    settings = state.settings()
    text = sys.stdin.read() if file == "-" else Path(file).read_text("utf-8")
    nlp = build_nlp(settings["nlp.spacy_model"], load_topic(settings["topic.file"]))
    data = annotate_doc(nlp(text))
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False, default=str))
    else:
        ents = data["entities"]
        _print_table(["text", "label", "actor_id", "start", "end"],
                     [(e["text"], e["label"], e["actor_id"], e["start_char"], e["end_char"]) for e in ents], "Entities")


@app.command()
def query(
    name: str = typer.Argument("", help="Query name (file name in queries/ without .sql); empty lists them."),
    param: list[str] = typer.Option([], "--param", "-p", help="Parameter: --param key=value (repeatable)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file to query (default: store.path)."),
) -> None:
    """Run a query of the analysts' library against the database.

    Example: veille query coverage_by_day --param outlet=horizon --format csv
    """
    from .report import list_queries, run_query
    from .store import open_store

    settings = state.settings()
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("format must be table, csv or json")
    if not name:
        rows = [(q.name, q.purpose, ", ".join(q.params)) for q in list_queries(settings["query.dir"]).values()]
        _print_table(["name", "purpose", "params"], rows, "Queries")
        return
    params: dict[str, Any] = {}
    for item in param:
        if "=" not in item:
            raise typer.BadParameter(f"--param expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        params[k.strip()] = v
    with open_store(db or settings["store.path"], read_only=True) as store:
        columns, rows = run_query(store.con, name, params, settings["query.dir"])
    _emit(columns, rows, fmt, name)


@app.command()
def migrate(db: Optional[Path] = typer.Option(None, help="DuckDB file (default: store.path).")) -> None:
    """Create the database or apply pending schema migrations.

    Example: veille migrate --db data/veille.duckdb
    """
    from .store import open_store

    settings = state.settings()
    with open_store(db or settings["store.path"], migrate=False) as store:
        applied = store.migrate()
        out.print(f"Applied: {', '.join(applied) or 'nothing (up to date)'}")


def main() -> None:
    """Console entry point: library errors become one-line messages and exit codes."""
    try:
        app(standalone_mode=False)
    except RunLockedError as exc:
        console.print(f"veille: {exc}")
        sys.exit(3)
    except VeilleError as exc:
        console.print(f"veille: error: {exc}")
        sys.exit(2)
    except typer.Abort:
        console.print("veille: aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        console.print("veille: interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
