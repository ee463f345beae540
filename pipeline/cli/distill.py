"""The distilled student's commands: distill, classify, serve, eval distill."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .app import app, console, out, state, eval_app, progress_factory, print_table


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
        print_table(["head", "teacher", *[f"student {v}" for v in short], *[f"{v} / teacher" for v in short]],
                     rows, f"Macro-F1 against the corpus gold ({gold['n']} articles)")
    agreement = {**(report.get("agreement") or {}),
                 **{f"{v} (sentences)": h for v, h in (report.get("sentence_agreement") or {}).items()}}
    for view, heads in agreement.items():
        print_table(["head", "n", "agreement", "TV distance", "macro-F1 vs teacher"],
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
    from ..config import load_topic
    from ..distill import train_student
    from ..store import open_store

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
    from ..errors import RunLockedError
    from ..nightly import run_lock
    from ..store import open_store
    from ..store.derived import refresh_derived

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
    from ..distill import run_classify

    settings = state.settings()
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        result = run_classify(settings, progress_factory(progress)("classify"))
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
    from ..serve import serve as run_server

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
    from ..config import load_topic
    from ..distill import evaluate_student
    from ..store import open_store

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
