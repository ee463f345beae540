"""Analysis stage: spaCy ``fr_core_news_md`` plus Veille's components (``veille.cfg``) on relevant articles.

Entry points: :func:`build_nlp` (one pipeline shared by ``veille annotate`` and the nightly run),
:func:`analyse_text` / :func:`annotate_doc` (one text to a JSON-able dict) and :func:`analyse_pending`
(stored articles -> mentions, claims, annotations).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Callable

from ..collect import write_failures
from ..errors import AnalysisError, ModelError, Reason
from ..records import Failure, Topic
from .fields import compose
from .parallel import pipe_rows
from .rows import mention_rows

log = logging.getLogger(__name__)

BATCH = 32
CFG_PATH = Path(__file__).with_name("veille.cfg")
# Bump when the rules (claims, speakers, aggregation) change, so stored articles are re-analysed.
RULES_VERSION = "2"  # 2: title and lead analysed with the body
MIN_FRENCH_CHARS = 200


def _nlp_defaults() -> dict[str, Any]:
    from ..config import load_defaults

    return dict(load_defaults()["nlp"])


def load_cfg(topic_key: str, nlp_settings: dict[str, Any] | None = None, path: Path = CFG_PATH):
    """The components config with the [veille] values filled from the settings."""
    from thinc.api import Config

    s = {**_nlp_defaults(), **(nlp_settings or {})}
    overrides = {"veille.topic": topic_key, "veille.backend": s["backend"], "veille.bundled_dir": str(s["bundled_dir"]),
                 "veille.sentiment_model": s["sentiment_model"], "veille.stance_model": s["stance_model"],
                 "veille.batch_size": int(s["batch_size"])}
    try:
        return Config().from_str(path.read_text("utf-8"), overrides=overrides)
    except Exception as exc:  # thinc raises ConfigValidationError and friends
        raise ModelError(f"Invalid pipeline config {path}: {exc}", code="E502") from None


def build_nlp(spacy_model: str, topic: Topic, nlp_settings: dict[str, Any] | None = None,
              with_models: bool = True):
    """Load the spaCy model and add Veille's components as configured in ``veille.cfg``.

    ``with_models=False`` leaves out the components that need trained models (entities and claims only).
    ModelError when the base model or a sentiment/stance model cannot be loaded.
    """
    import spacy

    from . import components

    try:
        nlp = spacy.load(spacy_model)
    except OSError as exc:
        raise ModelError(f"Cannot load spaCy model '{spacy_model}'.",
                         hint=f"Install it: pip install {spacy_model.replace('_', '-')}", code="E501") from exc
    key = f"{topic.id}@{id(topic)}"
    components.TOPICS[key] = topic
    cfg = load_cfg(key, nlp_settings)
    skip = set(cfg["pipeline"].get("model_components", [])) if not with_models else set()
    for name in cfg["pipeline"]["names"]:
        if name in skip:
            continue
        spec = dict(cfg["components"][name])
        factory = spec.pop("factory")
        config = dict(spec.pop("config", {}))
        where = {k: spec[k] for k in ("before", "after", "first", "last") if k in spec}
        if any(k in where for k in ("before", "after")) and (where.get("before") or where.get("after")) not in nlp.pipe_names:
            where = {"last": True}
        nlp.add_pipe(factory, name=name, config=config, **where)
        if factory == "entity_ruler":
            nlp.get_pipe(name).add_patterns(components.actor_patterns(topic))
    nlp.meta["veille_topic"] = topic.id
    return nlp


def model_info(nlp) -> dict[str, dict]:
    """Name, version, hash and backend of the sentiment/stance models in the pipeline ({} if none)."""
    if "veille_classifier" not in nlp.pipe_names:
        return {}
    from dataclasses import asdict

    return {task: asdict(s.info) for task, s in nlp.get_pipe("veille_classifier").scorers.items()}


def pipeline_version(nlp) -> str:
    """Identifies the analysis: spaCy model, Veille version, rules and sentiment/stance models."""
    from .. import __version__

    models = model_info(nlp)
    digest = hashlib.sha256(repr((RULES_VERSION, sorted((t, m["name"], m["hash"], m["backend"]) for t, m in models.items()),
                                  nlp.meta.get("veille_topic"))).encode()).hexdigest()[:8]
    return (f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}+veille-{__version__}"
            f"+{'models' if models else 'nomodels'}-{digest}")


def check_text(text: str, max_chars: int) -> None:
    """Refuse what the analysis cannot handle: AnalysisError naming the problem."""
    if not isinstance(text, str) or not text.strip():
        raise AnalysisError("The text is empty.", hint="Give a French text to analyse.", code="E551")
    if len(text) > max_chars:
        raise AnalysisError(f"The text has {len(text)} characters, more than nlp.max_chars = {max_chars}.",
                            hint="Split it, or raise nlp.max_chars (the parser needs ~1 GB per 100,000 characters).",
                            code="E552")


def detect_not_french(text: str) -> str | None:
    """The detected language when a long enough text is clearly not French, else None."""
    if len(text) < MIN_FRENCH_CHARS:
        return None
    from ..extract.language import detect_language

    lang = detect_language(text)
    return lang if lang and lang != "fr" else None


def mentions_of(doc) -> list[dict]:
    """Entity mentions of a processed doc (offsets in characters), plus resolved speaker references."""
    return mention_rows(doc)


def annotate_doc(doc) -> dict:
    """Everything the analysis knows about one text, as a JSON-able dict."""
    return {"text": doc.text, "entities": mention_rows(doc), "claims": doc._.claims or [],
            "sentences": doc._.sentences or [], "article": doc._.article or {},
            "models": doc._.models or {}}


def analyse_text(nlp, text: str, max_chars: int | None = None) -> dict:
    """Check and analyse one text (``veille annotate``); AnalysisError on unusable input."""
    check_text(text, max_chars or int(_nlp_defaults()["max_chars"]))
    data = annotate_doc(nlp(text))
    lang = detect_not_french(text)
    data["warnings"] = [f"The text looks like '{lang}', not French: results are unreliable."] if lang else []
    return data


def analyse_pending(store, nlp, run_id: str, batch_size: int = 16,
                    progress: Callable[[int, int], None] | None = None, n_process: int = 1,
                    max_chars: int | None = None) -> dict[str, int]:
    """Analyse relevant articles not yet analysed by this pipeline version; replace their rows."""
    version = pipeline_version(nlp)
    max_chars = max_chars or int(_nlp_defaults()["max_chars"])
    todo = store.query("SELECT article_id, title, lead, text FROM articles WHERE is_relevant AND "
                       "(nlp_version IS NULL OR nlp_version <> ?) ORDER BY article_id", [version])
    counts = {"articles": 0, "mentions": 0, "claims": 0, "annotations": 0}
    refused, ready = [], []
    for row in todo:
        try:
            check_text(row["text"], max_chars)
        except AnalysisError as exc:
            reason = Reason.EMPTY_TEXT if exc.code == "E551" else Reason.TOO_LARGE
            refused.append(Failure("nlp", row["article_id"], reason.value, str(exc)))
            continue
        lang = detect_not_french(row["text"])
        if lang:  # extraction keeps these out; a text edited by hand could still get here
            refused.append(Failure("nlp", row["article_id"], Reason.NOT_FRENCH.value, f"language {lang!r}"))
            continue
        row["doc_text"], row["bounds"] = compose(row["title"], row["lead"], row["text"])
        ready.append(row)
    if refused:
        # Marked as seen by this version, so that each run does not report the same texts again.
        with store.transaction():
            store.con.execute("UPDATE articles SET nlp_version = ? WHERE article_id IN (SELECT unnest(?))",
                              [version, [f.item for f in refused]])
            write_failures(store, refused, run_id)
    # One pipe for the whole stage: with n_process > 1 the worker processes start once and send
    # back rows, not Docs (parallel.py).
    results = pipe_rows(nlp, ((r["doc_text"], r["bounds"]) for r in ready), batch_size, n_process)
    for start in range(0, len(ready), BATCH):
        chunk, failures = ready[start:start + BATCH], []
        rows: dict[str, list] = {"mentions": [], "claims": [], "annotations": []}
        done, complete = [], []
        for row, res in zip(chunk, results):
            aid = row["article_id"]
            if "exception" in res:  # one bad article must not stop the run
                failures.append(Failure("nlp", aid, Reason.NLP_ERROR.value, res["exception"]))
                continue
            m, c, a = res["mentions"], res["claims"], res["annotations"]
            for err in res["errors"]:  # a component failed on this doc: store the rest, retry next run
                failures.append(Failure("nlp", aid, Reason.NLP_ERROR.value, err))
            if not res["errors"]:
                complete.append(aid)
            rows["mentions"] += [{"article_id": aid, **r, "model": version, "run_id": run_id} for r in m]
            rows["claims"] += [{"article_id": aid, **r, "model": version, "run_id": run_id} for r in c]
            rows["annotations"] += [{"article_id": aid, **r, "run_id": run_id} for r in a]
            done.append(aid)
        with store.transaction():
            if done:
                for table in ("mentions", "claims", "annotations"):
                    store.con.execute(f'DELETE FROM "{table}" WHERE article_id IN (SELECT unnest(?))', [done])
                    store.upsert(table, rows[table])
                store.con.execute("UPDATE articles SET nlp_version = ? WHERE article_id IN (SELECT unnest(?))",
                                  [version, complete])
            write_failures(store, failures, run_id)
        counts["articles"] += len(done)
        for table in ("mentions", "claims", "annotations"):
            counts[table] += len(rows[table])
        if progress:
            progress(min(start + BATCH, len(ready)), len(ready))
    return counts


def prepare_models(nlp_cfg: dict[str, Any], say: Callable[[str], None] | None = None) -> bool:
    """Train the bundled models when the settings select them and they are missing; True if it trained."""
    from .backends import select_backend
    from .training import ensure_bundled

    if not any(select_backend(nlp_cfg["backend"], nlp_cfg[f"{t}_model"], t) == "bundled"
               for t in ("sentiment", "stance")):
        return False
    # The offline default must work on a fresh clone: the models are small and train in about a minute.
    return ensure_bundled(nlp_cfg["bundled_dir"], nlp_cfg["annotations_dir"], nlp_cfg["spacy_model"],
                          progress=say or log.warning)


def build_for_run(settings, topic: Topic, store, run_id: str, say: Callable[[str], None] | None = None):
    """The nightly's pipeline: trains missing bundled models, falls back to entities+claims on ModelError."""
    say = say or log.warning
    nlp_cfg = settings.section("nlp")
    try:
        prepare_models(nlp_cfg, say)
        return build_nlp(nlp_cfg["spacy_model"], topic, nlp_cfg)
    except ModelError as exc:
        say(f"sentiment/stance models unavailable, analysing entities and claims only: {exc}")
        write_failures(store, [Failure("nlp", str(nlp_cfg["bundled_dir"]), Reason.MODEL_ERROR.value, str(exc))], run_id)
        return build_nlp(nlp_cfg["spacy_model"], topic, nlp_cfg, with_models=False)
