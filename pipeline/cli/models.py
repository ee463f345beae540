"""``veille models``: train, pull and describe the analysis' sentiment and stance models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .app import console, out, state, models_app, print_table


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
    from ..config import load_topic
    from ..nlp.training import train_bundled

    settings = state.settings()
    metrics = train_bundled(annotations or settings["nlp.annotations_dir"], out_dir or settings["nlp.bundled_dir"],
                            settings["nlp.spacy_model"], seed=seed, progress=console.print,
                            topic=load_topic(settings["topic.file"]))
    heads = metrics.pop("heads", {})
    print_table(["model", "split", "accuracy", "macro-F1"],
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
    from ..nlp.backends import pull_models

    settings = state.settings()
    models = list(model or [settings["nlp.sentiment_model"], settings["nlp.stance_model"]])
    for path in pull_models(models):
        out.print(f"downloaded {path}")


@models_app.command("info")
def models_info(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Which backend each task uses with the current settings, and the models' names and hashes.

    Example: veille models info --set nlp.backend=auto
    """
    from ..config import load_topic
    from ..nlp import prepare_models
    from ..nlp.backends import load_scorers, select_backend

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
        print_table(["task", "backend", "name", "version", "hash"], rows, f"nlp.backend = {nlp_cfg['backend']}")
