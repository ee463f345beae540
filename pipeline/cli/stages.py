"""The nightly job, its stages one by one, and the analysts' commands: nightly, reprocess, replay, extract,
annotate, query, search, report, migrate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import VeilleError
from .app import app, console, out, state, progress_factory, print_table, emit, stop_on_sigterm


@app.command()
def nightly(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables: only the one-paragraph summary (for cron)."),
) -> None:
    """Run collect -> extract -> index -> analyse -> classify -> report once (one run at a time).

    Exit codes: 0 done (item failures are counted in the summary), 1 a stage failed, 2 bad
    configuration, 3 another run holds the lock, 130/143 interrupted. See docs/operations.md.

    Example: veille nightly --set collect.proxy=http://127.0.0.1:8765
    """
    from ..nightly import run_nightly
    from ..report import coverage_summary
    from ..store import open_store

    settings = state.settings()
    stop_on_sigterm()
    try:
        if quiet:
            result = run_nightly(settings)
        else:
            with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=False) as progress:
                result = run_nightly(settings, progress_factory(progress))
    except (VeilleError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # a stage crashed: the run row says 'failed', the log has the traceback
        console.print(f"veille: nightly run failed: {type(exc).__name__}: {exc}".splitlines()[0])
        console.print("veille: see the run's log under nightly.log_dir; the next run resumes the work.")
        raise typer.Exit(1) from None
    if not quiet:
        with open_store(settings["store.path"], read_only=True) as store:
            rows = coverage_summary(store)
        if rows:
            print_table(list(rows[0]), [tuple(r.values()) for r in rows], "Coverage by outlet")
    out.print(result.summary, soft_wrap=True)  # one line: cron mail and log greps keep it whole


@app.command()
def reprocess() -> None:
    """Re-extract and re-analyse every archived page from the WARC files, with no network.

    Example: veille reprocess --set store.path=data/veille.duckdb
    """
    from ..nightly import run_nightly

    settings = state.settings()
    stop_on_sigterm()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        result = run_nightly(settings, progress_factory(progress), command="reprocess", reprocess=True)
    out.print(result.summary, soft_wrap=True)


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
    from ..replay import serve_corpus

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
    from ..collect.http import decode_html
    from ..extract import extract_html
    from ..extract.language import detect_language

    html, _ = decode_html(page.read_bytes(), "")
    article = extract_html(html, url)
    article.language = detect_language(article.text)
    data = {"title": article.title, "authors": article.authors,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "date_source": article.date_source,
            "modified_at": article.modified_at.isoformat() if article.modified_at else None,
            "language": article.language,
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
    as_json: bool = typer.Option(True, "--json/--table", help="Print JSON (default) or tables."),
    no_models: bool = typer.Option(False, "--no-models", help="Entities and claims only (no sentiment/stance models)."),
) -> None:
    """Analyse one text: entities linked to actors, claims with speakers, sentiment, tone and stance.

    Uses the same spaCy pipeline as the nightly run (pipeline/nlp/veille.cfg).
    Example: echo "OpenAI accuse DeepSeek. « C'est faux », a répondu Liang Wenfeng." | veille annotate - --json
    """
    from ..config import load_topic
    from ..nlp import analyse_text, build_nlp, check_text, prepare_models

    settings = state.settings()
    text = sys.stdin.read() if file == "-" else Path(file).read_text("utf-8")
    check_text(text, settings["nlp.max_chars"])  # before loading any model
    if not no_models:
        prepare_models(settings.section("nlp"), say=lambda m: console.print(f"[dim]{m}[/dim]"))
    nlp = build_nlp(settings["nlp.spacy_model"], load_topic(settings["topic.file"]), settings.section("nlp"),
                    with_models=not no_models)
    data = analyse_text(nlp, text, settings["nlp.max_chars"])
    for warning in data["warnings"]:
        console.print(f"[yellow]warning[/yellow]: {warning}")
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False, default=str))
        return
    ents = data["entities"]
    print_table(["text", "label", "actor_id", "link", "start", "end"],
                 [(e["text"], e["label"], e["actor_id"], e["link_method"], e["start_char"], e["end_char"]) for e in ents],
                 "Entities")
    print_table(["kind", "cue", "speaker", "speaker_id", "resolution", "stance", "content"],
                 [(c["kind"], c["cue"], c["speaker_text"], c["speaker_id"], c["speaker_resolution"],
                   ", ".join(f"{t}: {v['label']}" for t, v in (c.get("stance") or {}).items()), c["content"][:80])
                  for c in data["claims"]], "Claims")
    art = data["article"] or {}
    rows = [(f"tone {a}", v["label"], v["probs"]) for a, v in (art.get("tone") or {}).items()]
    rows += [(f"stance {t}", v["label"], v["probs"]) for t, v in (art.get("stance") or {}).items()]
    if rows:
        print_table(["article", "label", "probabilities"], rows, "Article")


@app.command()
def query(
    name: str = typer.Argument("", help="Query name (file name in queries/ without .sql); empty lists them."),
    param: list[str] = typer.Option([], "--param", "-p", help="Parameter: --param key=value (repeatable)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or json."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file to query (default: the snapshot, store.snapshot_path)."),
) -> None:
    """Run a query of the analysts' library against the published snapshot (never blocked by a run).

    Example: veille query coverage_by_day --param outlet=horizon --format csv
    """
    from ..report import list_queries, run_query
    from ..store import open_store
    from ..store.snapshot import reader_path

    settings = state.settings()
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("format must be table, csv or json")
    if not name:
        rows = [(q.name, q.purpose, ", ".join(q.params)) for q in list_queries(settings["query.dir"]).values()]
        print_table(["name", "purpose", "params"], rows, "Queries")
        return
    params: dict[str, Any] = {}
    for item in param:
        if "=" not in item:
            raise typer.BadParameter(f"--param expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        params[k.strip()] = v
    with open_store(reader_path(settings, db), read_only=True) as store:
        columns, rows = run_query(store.con, name, params, settings["query.dir"])
    emit(columns, rows, fmt, name)


@app.command()
def search(
    text: str = typer.Argument(..., help="Words to look for (French; stemmed, accents ignored)."),
    limit: int = typer.Option(10, "--limit", "-n", help="Articles returned."),
    outlet: Optional[str] = typer.Option(None, help="Only this outlet id."),
    on_topic: Optional[bool] = typer.Option(None, "--on-topic/--off-topic", help="Only relevant (or only other) articles."),
    since: Optional[str] = typer.Option(None, help="Only articles published on or after this day (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file (default: the snapshot, store.snapshot_path)."),
) -> None:
    """Full-text search of articles (BM25 over title and text, French stemming), best first.

    Example: veille search "distillation sans autorisation" --limit 5
    """
    from ..store import open_store
    from ..store.search import search as run_search
    from ..store.snapshot import reader_path

    settings = state.settings()
    with open_store(reader_path(settings, db), read_only=True) as store:
        rows = run_search(store.con, text, limit=limit, outlet=outlet, on_topic=on_topic, since=since)
    if as_json:
        out.print_json(json.dumps(rows, default=str, ensure_ascii=False))
    else:
        print_table(["score", "day", "outlet", "title", "snippet"],
                     [(r["score"], r["day"], r["outlet_id"], r["title"], r["snippet"]) for r in rows], f"« {text} »")


@app.command()
def report(
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for index.html and charts (default: report.out_dir)."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file (default: the snapshot, store.snapshot_path)."),
) -> None:
    """Write the static HTML report (index.html + PNG charts) of the latest state.

    Example: veille report --out data/report && xdg-open data/report/index.html
    """
    from ..report.html import build_report
    from ..store import open_store
    from ..store.snapshot import reader_path

    settings = state.settings()
    with open_store(reader_path(settings, db), read_only=True) as store:
        result = build_report(store.con, out_dir or settings["report.out_dir"], settings["query.dir"],
                              period=settings["report.period"])
    out.print(f"Report written: {result.index} ({result.charts} charts)")


@app.command()
def migrate(db: Optional[Path] = typer.Option(None, help="DuckDB file (default: store.path).")) -> None:
    """Create the database or apply pending schema migrations; bring the derived query data up to date.

    Example: veille migrate --db data/veille.duckdb
    """
    from ..store import open_store
    from ..store.derived import refresh_derived

    settings = state.settings()
    with open_store(db or settings["store.path"], migrate=False) as store:
        applied = store.migrate()
        out.print(f"Applied: {', '.join(applied) or 'nothing (up to date)'}")
        # e.g. after rows were written by hand: keys, days and aggregates (cheap when nothing changed)
        done = refresh_derived(store)
        out.print(f"Derived query data refreshed in {done['seconds']} s.")
