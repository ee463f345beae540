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


def _save_result(result: dict, out_file: Optional[Path], as_json: bool) -> bool:
    """Write an evaluation result to ``out_file`` if given; print it as JSON when asked (True)."""
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), "utf-8")
    if as_json:
        out.print_json(json.dumps(result, ensure_ascii=False, default=str))
    return as_json


def _stop_on_sigterm() -> None:
    """systemd and kill send SIGTERM: stop like Ctrl-C so the run row is marked 'interrupted'."""
    import signal

    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)


@app.command()
def nightly(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or tables: only the one-paragraph summary (for cron)."),
) -> None:
    """Run collect -> extract -> index -> analyse -> classify -> report once (one run at a time).

    Exit codes: 0 done (item failures are counted in the summary), 1 a stage failed, 2 bad
    configuration, 3 another run holds the lock, 130/143 interrupted. See docs/operations.md.

    Example: veille nightly --set collect.proxy=http://127.0.0.1:8765
    """
    from .nightly import run_nightly
    from .report import coverage_summary
    from .store import open_store

    settings = state.settings()
    _stop_on_sigterm()
    try:
        if quiet:
            result = run_nightly(settings)
        else:
            with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=False) as progress:
                result = run_nightly(settings, _progress_factory(progress))
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
            _print_table(list(rows[0]), [tuple(r.values()) for r in rows], "Coverage by outlet")
    out.print(result.summary, soft_wrap=True)  # one line: cron mail and log greps keep it whole


@app.command()
def reprocess() -> None:
    """Re-extract and re-analyse every archived page from the WARC files, with no network.

    Example: veille reprocess --set store.path=data/veille.duckdb
    """
    from .nightly import run_nightly

    settings = state.settings()
    _stop_on_sigterm()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        result = run_nightly(settings, _progress_factory(progress), command="reprocess", reprocess=True)
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
    from .config import load_topic
    from .nlp import analyse_text, build_nlp, check_text, prepare_models

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
    _print_table(["text", "label", "actor_id", "link", "start", "end"],
                 [(e["text"], e["label"], e["actor_id"], e["link_method"], e["start_char"], e["end_char"]) for e in ents],
                 "Entities")
    _print_table(["kind", "cue", "speaker", "speaker_id", "resolution", "stance", "content"],
                 [(c["kind"], c["cue"], c["speaker_text"], c["speaker_id"], c["speaker_resolution"],
                   ", ".join(f"{t}: {v['label']}" for t, v in (c.get("stance") or {}).items()), c["content"][:80])
                  for c in data["claims"]], "Claims")
    art = data["article"] or {}
    rows = [(f"tone {a}", v["label"], v["probs"]) for a, v in (art.get("tone") or {}).items()]
    rows += [(f"stance {t}", v["label"], v["probs"]) for t, v in (art.get("stance") or {}).items()]
    if rows:
        _print_table(["article", "label", "probabilities"], rows, "Article")


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
    from .report import list_queries, run_query
    from .store import open_store
    from .store.snapshot import reader_path

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
    with open_store(reader_path(settings, db), read_only=True) as store:
        columns, rows = run_query(store.con, name, params, settings["query.dir"])
    _emit(columns, rows, fmt, name)


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
    from .store import open_store
    from .store.search import search as run_search
    from .store.snapshot import reader_path

    settings = state.settings()
    with open_store(reader_path(settings, db), read_only=True) as store:
        rows = run_search(store.con, text, limit=limit, outlet=outlet, on_topic=on_topic, since=since)
    if as_json:
        out.print_json(json.dumps(rows, default=str, ensure_ascii=False))
    else:
        _print_table(["score", "day", "outlet", "title", "snippet"],
                     [(r["score"], r["day"], r["outlet_id"], r["title"], r["snippet"]) for r in rows], f"« {text} »")


@app.command()
def report(
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for index.html and charts (default: report.out_dir)."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file (default: the snapshot, store.snapshot_path)."),
) -> None:
    """Write the static HTML report (index.html + PNG charts) of the latest state.

    Example: veille report --out data/report && xdg-open data/report/index.html
    """
    from .report.html import build_report
    from .store import open_store
    from .store.snapshot import reader_path

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
    from .store import open_store
    from .store.derived import refresh_derived

    settings = state.settings()
    with open_store(db or settings["store.path"], migrate=False) as store:
        applied = store.migrate()
        out.print(f"Applied: {', '.join(applied) or 'nothing (up to date)'}")
        # e.g. after rows were written by hand: keys, days and aggregates (cheap when nothing changed)
        done = refresh_derived(store)
        out.print(f"Derived query data refreshed in {done['seconds']} s.")


eval_app = typer.Typer(
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
    help="Measure the pipeline against gold data.\n\nExample: veille eval extraction --json",
)
app.add_typer(eval_app, name="eval")
_CHECKOUT = Path(__file__).resolve().parents[1]


@eval_app.command("extraction")
def eval_extraction(
    shared: Path = typer.Option(_CHECKOUT.parent / "shared" / "eval" / "extraction",
                                help="Real pages with gold (README.md, gold.jsonl, pages/)."),
    corpus: Path = typer.Option(_CHECKOUT / "corpus", help="Rendered corpus (site/manifest.json, gold/articles.jsonl)."),
    extractor: str = typer.Option("combined", help="combined (the pipeline's), newspaper3k, trafilatura, "
                                                   "trafilatura-precision or trafilatura-recall."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary and every page's result as JSON."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the full result (per page) to this JSON file."),
    check: bool = typer.Option(False, "--check", help="Exit 1 when a target is missed (page F1 >= 0.95 corpus, "
                                                      ">= 0.92 shared; date accuracy >= 0.9)."),
) -> None:
    """Score extraction: page F1 of must_contain/must_not_contain, title, date, authors; per group.

    Groups: traf_ (real pages trafilatura was tuned on), other (the other real pages), corpus (served
    French corpus pages). Example: veille eval extraction --out data/eval/extraction.json
    """
    from .config import load_topic
    from .extract.evaluate import EXTRACTORS, evaluate_extraction

    if extractor not in EXTRACTORS:
        raise typer.BadParameter(f"extractor must be one of {', '.join(EXTRACTORS)}")
    settings = state.settings()
    result = evaluate_extraction(shared, corpus, settings["extract.min_text_chars"], extractor=extractor,
                                 topic=load_topic(settings["topic.file"]),
                                 relevance_threshold=settings["extract.relevance_threshold"])
    if not _save_result(result, out_file, as_json):
        cols = ["pages", "mean_f1", "mean_precision", "mean_recall", "title_accuracy", "date_accuracy",
                "author_accuracy", "expected_empty_ok"]
        rows = [(g, *(s.get(c) for c in cols)) for g, s in result["summary"].items() if g != "shared_all"]
        _print_table(["group", "pages", "F1", "P", "R", "title", "date", "authors", "empty ok"], rows,
                     f"Extraction ({extractor}): means per page")
        lost = [p for p in result["pages"] if (p["f1"] is not None and p["f1"] < 1) or p["title_ok"] is False
                or p["date_ok"] is False or p["author_ok"] is False or p["empty_ok"] is False]
        _print_table(["page", "group", "f1", "title", "date", "authors", "missing / leaked"],
                     [(p["page"], p["group"], None if p["f1"] is None else round(p["f1"], 3),
                       {True: "ok", False: "✗", None: "-"}[p["title_ok"]], {True: "ok", False: "✗", None: "-"}[p["date_ok"]],
                       {True: "ok", False: "✗", None: "-"}[p["author_ok"]],
                       "; ".join([f"-{m[:40]}" for m in p["missing"]] + [f"+{m[:40]}" for m in p["leaked"]]))
                      for p in lost], "Pages that lost points")
        corpus_sum = result["summary"].get("corpus", {})
        if corpus_sum.get("relevance_counts"):
            out.print(f"Corpus relevance (is_relevant vs gold on_topic): precision {corpus_sum['relevance_precision']}, "
                      f"recall {corpus_sum['relevance_recall']} {corpus_sum['relevance_counts']}; "
                      f"language accuracy {corpus_sum['language_accuracy']}; date source accuracy "
                      f"{corpus_sum['date_source_accuracy']}; modified-date accuracy {corpus_sum['modified_accuracy']}")
        for name, why in result["skipped"].items():
            console.print(f"[yellow]skipped {name}[/yellow]: {why}")
    if check:
        s = result["summary"]
        misses = [f"{g} {k} {s[g][k]} < {v}" for g, k, v in (
            ("corpus", "mean_f1", 0.95), ("traf_", "mean_f1", 0.92), ("other", "mean_f1", 0.92),
            ("corpus", "date_accuracy", 0.9), ("shared_all", "date_accuracy", 0.9))
            if g in s and s[g].get(k) is not None and s[g][k] < v]
        if misses:
            console.print("targets missed: " + "; ".join(misses))
            raise typer.Exit(1)


# -- distilled student (pipeline/distill, pipeline/serve) -----------------------------------------

def _distill_tables(report: dict) -> None:
    """Gold macro-F1 (teacher vs student views) and agreement with the teacher, as tables."""
    gold = report.get("gold") or {}
    if gold.get("n"):
        views = list(gold["ratio"])
        short = [v.replace("student_", "").replace("_", "-") for v in views]
        rows = [(h, e["teacher"], *[e.get(v) for v in views], *[e.get(f"{v}_vs_teacher") for v in views])
                for h, e in gold["heads"].items()]
        rows.append(("mean", gold["mean"]["teacher"], *[gold["mean"][v] for v in views],
                     *[gold["ratio"][v] for v in views]))
        _print_table(["head", "teacher", *[f"student {v}" for v in short], *[f"{v} / teacher" for v in short]],
                     rows, f"Macro-F1 against the corpus gold ({gold['n']} articles)")
    agreement = {**(report.get("agreement") or {}),
                 **{f"{v} (sentences)": h for v, h in (report.get("sentence_agreement") or {}).items()}}
    for view, heads in agreement.items():
        _print_table(["head", "n", "agreement", "TV distance", "macro-F1 vs teacher"],
                     [(h, a["n"], a["agreement"], a["tv_distance"], a.get("macro_f1_vs_teacher"))
                      for h, a in heads.items()],
                     f"Agreement with the teacher: {view.replace('_', ' ')}")


@app.command()
def distill(
    as_json: bool = typer.Option(False, "--json", help="Print the training report as JSON."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file to train from (default: store.path)."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir", help="Model folder to write (default: distill.model_dir)."),
) -> None:
    """Train the student on the teacher's labels in the database; write the model folder and card.

    Example: veille distill --set distill.epochs=8
    """
    from .config import load_topic
    from .distill import train_student
    from .store import open_store

    settings = state.settings()
    cfg = settings.section("distill")
    folder = model_dir or Path(cfg["model_dir"])
    with open_store(db or settings["store.path"], read_only=True) as store:
        report = train_student(store, cfg, load_topic(settings["topic.file"]), settings["extract.languages"], folder)
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False, default=str))
        return
    _distill_tables(report)
    d = report["data"]
    out.print(f"Student {report['version']} written to {folder} in {report['training']['seconds']} s "
              f"({report['training']['device']}); trained on {d['articles']} teacher-labelled articles "
              f"({d['analysed']} analysed by the teacher, {d.get('sentences', 0)} teacher-labelled sentences); "
              f"{report['speed']['articles_per_s']} articles/s on "
              f"{report['speed']['device']}. Model card: {folder / 'README.md'}")


def _refresh_derived(settings) -> None:
    """Bring the derived query data up to date after a command that wrote outside the nightly run."""
    from .errors import RunLockedError
    from .nightly import run_lock
    from .store import open_store
    from .store.derived import refresh_derived

    try:
        with run_lock(settings["store.path"]), open_store(settings["store.path"]) as store:
            refresh_derived(store)
    except RunLockedError:
        pass  # a run started meanwhile: it refreshes after each of its stages


@app.command()
def classify(
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Score every stored article not yet scored by the current student (the predictions table).

    Example: veille classify --set distill.device=cpu
    """
    from .distill import run_classify

    settings = state.settings()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        result = run_classify(settings, _progress_factory(progress)("classify"))
    _refresh_derived(settings)  # the new predictions' article keys, which the student queries join on
    if as_json:
        out.print_json(json.dumps(result, default=str))
    else:
        out.print(result["summary"])


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Address to listen on (default: serve.host)."),
    port: Optional[int] = typer.Option(None, help="Port (default: serve.port)."),
    model_dir: Optional[Path] = typer.Option(None, "--model-dir", help="Student folder (default: distill.model_dir)."),
) -> None:
    """Serve the student over HTTP: POST /classify {"text": ...} or {"texts": [...]}, GET /healthz.

    Example: veille serve --port 8700   (then: curl -d '{"text": "OpenAI accuse DeepSeek"}' http://127.0.0.1:8700/classify)
    """
    from .serve import serve as run_server

    settings = state.settings()
    console.print(f"Serving {model_dir or settings['distill.model_dir']} on "
                  f"http://{host or settings['serve.host']}:{port or settings['serve.port']} (Ctrl-C to stop)")
    run_server(settings, host, port, str(model_dir) if model_dir else None)


@eval_app.command("distill")
def eval_distill(
    as_json: bool = typer.Option(False, "--json", help="Print the evaluation as JSON."),
    db: Optional[Path] = typer.Option(None, help="DuckDB file (default: store.path)."),
) -> None:
    """Teacher vs student per head: agreement, and macro-F1 against the corpus gold (distill.gold_file).

    The current student is scored on the stored articles (it was trained on them); the held-out
    figures recorded at training time are shown too. Example: veille eval distill --json
    """
    from .config import load_topic
    from .distill import evaluate_student
    from .store import open_store

    settings = state.settings()
    with open_store(db or settings["store.path"], read_only=True) as store:
        report = evaluate_student(store, settings.section("distill"), load_topic(settings["topic.file"]),
                                  settings["extract.languages"])
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False, default=str))
        return
    at_training = report.get("at_training") or {}
    if at_training.get("gold"):
        _distill_tables({"gold": at_training["gold"], "agreement": at_training.get("agreement")})
        out.print("(above: recorded when the student was trained; below: the student as it scores the database now)")
    _distill_tables(report)
    out.print(f"Student {report['model_version']}; teacher: {report['teacher_id']}")


# -- analysis models (pipeline/nlp) ------------------------------------------------------------------

models_app = typer.Typer(
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
    help="Sentiment and stance models of the analysis.\n\nExample: veille models train",
)
app.add_typer(models_app, name="models")


@models_app.command("train")
def models_train(
    annotations: Optional[Path] = typer.Option(None, help="Folder with train/dev/test.jsonl (default: nlp.annotations_dir)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Where to write the models (default: nlp.bundled_dir)."),
    seed: int = typer.Option(13, help="Random seed (training is deterministic for a given seed)."),
) -> None:
    """Train the bundled (offline) sentiment and stance models and their claim/article/tone heads.

    Sentences: train/dev/test.jsonl; heads: articles.jsonl (training articles), when present.
    Example: veille models train --out models/bundled
    """
    from .config import load_topic
    from .nlp.training import train_bundled

    settings = state.settings()
    metrics = train_bundled(annotations or settings["nlp.annotations_dir"], out_dir or settings["nlp.bundled_dir"],
                            settings["nlp.spacy_model"], seed=seed, progress=console.print,
                            topic=load_topic(settings["topic.file"]))
    heads = metrics.pop("heads", {})
    _print_table(["model", "split", "accuracy", "macro-F1"],
                 [(task, split, m[split]["accuracy"], m[split]["macro_f1"]) for task, m in metrics.items()
                  for split in ("dev", "test")]
                 + [(f"{name} head", f"CV ({r['n']})", "", r["cv_macro_f1"]) for name, r in heads.items()
                    if isinstance(r, dict)], "Bundled models")


@models_app.command("pull")
def models_pull(
    model: list[str] = typer.Argument(None, help="Hugging Face model ids (default: nlp.sentiment_model and nlp.stance_model)."),
) -> None:
    """Download Hugging Face models into the local cache (needs a reachable hub).

    Example: veille models pull cmarkea/distilcamembert-base-sentiment
    """
    from .nlp.backends import pull_models

    settings = state.settings()
    models = list(model or [settings["nlp.sentiment_model"], settings["nlp.stance_model"]])
    for path in pull_models(models):
        out.print(f"downloaded {path}")


@models_app.command("info")
def models_info(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Which backend each task uses with the current settings, and the models' names and hashes.

    Example: veille models info --set nlp.backend=auto
    """
    from .config import load_topic
    from .nlp import prepare_models
    from .nlp.backends import load_scorers, select_backend

    settings = state.settings()
    nlp_cfg = settings.section("nlp")
    prepare_models(nlp_cfg, say=lambda m: console.print(f"[dim]{m}[/dim]"))
    topic = load_topic(settings["topic.file"])
    scorers = load_scorers(nlp_cfg["backend"], nlp_cfg["bundled_dir"], nlp_cfg["sentiment_model"],
                           nlp_cfg["stance_model"], topic.stance_targets)
    rows = [(task, select_backend(nlp_cfg["backend"], nlp_cfg[f"{task}_model"], task), s.info.name,
             s.info.version, s.info.hash) for task, s in scorers.items()]
    if as_json:
        out.print_json(json.dumps([dict(zip(["task", "backend", "name", "version", "hash"], r)) for r in rows]))
    else:
        _print_table(["task", "backend", "name", "version", "hash"], rows, f"nlp.backend = {nlp_cfg['backend']}")


@eval_app.command("nlp")
def eval_nlp(
    gold: Path = typer.Option(_CHECKOUT / "corpus" / "gold" / "articles.jsonl", help="Gold articles (JSON lines)."),
    annotations: Optional[Path] = typer.Option(None, help="Training sentences folder, for test-split scores "
                                                          "(default: nlp.annotations_dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print every metric (and the errors) as JSON."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the full result to this JSON file."),
) -> None:
    """Score the analysis on the corpus gold: actor linking, claims, speakers, cues, stance, tone.

    Uses the gold's own text (extraction is measured by `veille eval extraction`).
    Example: veille eval nlp --out data/eval/nlp.json
    """
    from .config import load_topic
    from .nlp import build_nlp, prepare_models
    from .nlp.evaluation import evaluate_nlp, summary_rows

    settings = state.settings()
    prepare_models(settings.section("nlp"), say=lambda m: console.print(f"[dim]{m}[/dim]"))
    topic = load_topic(settings["topic.file"])
    nlp = build_nlp(settings["nlp.spacy_model"], topic, settings.section("nlp"))
    result = evaluate_nlp(nlp, topic, gold, annotations or settings["nlp.annotations_dir"])
    if not _save_result(result, out_file, as_json):
        _print_table(["metric", "precision / accuracy", "recall / macro-F1", "F1 / per class", "n"],
                     summary_rows(result), f"NLP evaluation on {result['articles']} gold articles")


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
