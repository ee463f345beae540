"""``veille eval extraction`` and ``veille eval nlp``: the pipeline measured against gold data."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import console, out, state, eval_app, print_table, save_result, CHECKOUT


@eval_app.command("extraction")
def eval_extraction(
    shared: Path = typer.Option(CHECKOUT.parent / "shared" / "eval" / "extraction",
                                help="Real pages with gold (README.md, gold.jsonl, pages/)."),
    corpus: Path = typer.Option(CHECKOUT / "corpus", help="Rendered corpus (site/manifest.json, gold/articles.jsonl)."),
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
    from ..config import load_topic
    from ..extract.evaluate import EXTRACTORS, evaluate_extraction

    if extractor not in EXTRACTORS:
        raise typer.BadParameter(f"extractor must be one of {', '.join(EXTRACTORS)}")
    settings = state.settings()
    result = evaluate_extraction(shared, corpus, settings["extract.min_text_chars"], extractor=extractor,
                                 topic=load_topic(settings["topic.file"]),
                                 relevance_threshold=settings["extract.relevance_threshold"])
    if not save_result(result, out_file, as_json):
        cols = ["pages", "mean_f1", "mean_precision", "mean_recall", "title_accuracy", "date_accuracy",
                "author_accuracy", "expected_empty_ok"]
        rows = [(g, *(s.get(c) for c in cols)) for g, s in result["summary"].items() if g != "shared_all"]
        print_table(["group", "pages", "F1", "P", "R", "title", "date", "authors", "empty ok"], rows,
                     f"Extraction ({extractor}): means per page")
        lost = [p for p in result["pages"] if (p["f1"] is not None and p["f1"] < 1) or p["title_ok"] is False
                or p["date_ok"] is False or p["author_ok"] is False or p["empty_ok"] is False]
        print_table(["page", "group", "f1", "title", "date", "authors", "missing / leaked"],
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



@eval_app.command("nlp")
def eval_nlp(
    gold: Path = typer.Option(CHECKOUT / "corpus" / "gold" / "articles.jsonl", help="Gold articles (JSON lines)."),
    annotations: Optional[Path] = typer.Option(None, help="Training sentences folder, for test-split scores "
                                                          "(default: nlp.annotations_dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print every metric (and the errors) as JSON."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the full result to this JSON file."),
) -> None:
    """Score the analysis on the corpus gold: actor linking, claims, speakers, cues, stance, tone.

    Uses the gold's own text (extraction is measured by `veille eval extraction`).
    Example: veille eval nlp --out data/eval/nlp.json
    """
    from ..config import load_topic
    from ..nlp import build_nlp, prepare_models
    from ..nlp.evaluation import evaluate_nlp, summary_rows

    settings = state.settings()
    prepare_models(settings.section("nlp"), say=lambda m: console.print(f"[dim]{m}[/dim]"))
    topic = load_topic(settings["topic.file"])
    nlp = build_nlp(settings["nlp.spacy_model"], topic, settings.section("nlp"))
    result = evaluate_nlp(nlp, topic, gold, annotations or settings["nlp.annotations_dir"])
    if not save_result(result, out_file, as_json):
        print_table(["metric", "precision / accuracy", "recall / macro-F1", "F1 / per class", "n"],
                     summary_rows(result), f"NLP evaluation on {result['articles']} gold articles")
