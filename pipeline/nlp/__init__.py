"""Analysis stage: spaCy ``fr_core_news_md`` plus Veille's components on relevant articles.

Entry points: :func:`build_nlp` (one pipeline shared by ``veille annotate`` and the nightly run),
:func:`annotate_doc` (one text to a JSON-able dict) and :func:`analyse_pending` (stored articles).
"""

from __future__ import annotations

from typing import Callable

from ..collect import write_failures
from ..errors import ModelError, Reason
from ..records import Failure, Topic

BATCH = 32


def build_nlp(spacy_model: str, topic: Topic):
    """Load the spaCy model and add Veille's components configured from the topic."""
    import spacy

    from . import components  # noqa: F401 - registers the factories

    try:
        nlp = spacy.load(spacy_model)
    except OSError as exc:
        raise ModelError(f"Cannot load spaCy model '{spacy_model}'.",
                         hint=f"Install it: pip install {spacy_model.replace('_', '-')}", code="E501") from exc
    ruler = nlp.add_pipe("entity_ruler", before="ner", config={"overwrite_ents": True})
    ruler.add_patterns(components.actor_patterns(topic))
    nlp.add_pipe("veille_actor_linker", last=True)
    nlp.meta["veille_topic"] = topic.id
    return nlp


def pipeline_version(nlp) -> str:
    """Identifies the analysis: spaCy model name/version and Veille's version."""
    from .. import __version__

    return f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}-{nlp.meta.get('version')}+veille-{__version__}"


def mentions_of(doc) -> list[dict]:
    """Entity mentions of a processed doc (offsets in characters)."""
    return [{"start_char": e.start_char, "end_char": e.end_char, "text": e.text, "label": e.label_,
             "actor_id": e._.actor_id, "link_method": "alias" if e._.actor_id else "model"} for e in doc.ents]


def annotate_doc(doc) -> dict:
    """Everything the analysis knows about one text, as a JSON-able dict."""
    return {"text": doc.text, "entities": mentions_of(doc)}


def analyse_pending(store, nlp, run_id: str, batch_size: int = 16,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Analyse relevant French articles not yet analysed by this pipeline version."""
    version = pipeline_version(nlp)
    todo = store.query("SELECT article_id, text FROM articles WHERE is_relevant AND "
                       "(nlp_version IS NULL OR nlp_version <> ?) ORDER BY article_id", [version])
    counts = {"articles": 0, "mentions": 0}
    for start in range(0, len(todo), BATCH):
        chunk = todo[start:start + BATCH]
        mention_rows, done, failures = [], [], []
        for row, doc in zip(chunk, nlp.pipe((r["text"] for r in chunk), batch_size=batch_size)):
            try:
                for m in mentions_of(doc):
                    mention_rows.append({"article_id": row["article_id"], **m, "model": version, "run_id": run_id})
                done.append(row["article_id"])
            except Exception as exc:  # one bad article must not stop the run
                failures.append(Failure("nlp", row["article_id"], Reason.NLP_ERROR.value, f"{type(exc).__name__}: {exc}"))
        with store.transaction():
            if done:
                store.con.execute("DELETE FROM mentions WHERE article_id IN (SELECT unnest(?))", [done])
                store.upsert("mentions", mention_rows)
                store.con.execute("UPDATE articles SET nlp_version = ? WHERE article_id IN (SELECT unnest(?))",
                                  [version, done])
            write_failures(store, failures, run_id)
        counts["articles"] += len(done)
        counts["mentions"] += len(mention_rows)
        if progress:
            progress(min(start + BATCH, len(todo)), len(todo))
    return counts
