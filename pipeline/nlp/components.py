"""spaCy components of the analysis, registered with ``@Language.factory`` and configured by
``veille.cfg``: paragraph boundaries, actor linking, claims with speakers, sentiment/stance scoring.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..records import Topic
from .actors import ActorLinker, actor_patterns  # noqa: F401 - actor_patterns is used by build_nlp

if not Span.has_extension("actor_id"):
    Span.set_extension("actor_id", default=None)
for _name in ("veille_topic", "claims", "sentences", "article", "models", "errors"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

# Topics are handed to the components by key: build_nlp registers the Topic object it was given.
TOPICS: dict[str, Topic] = {}


def get_topic(key: str) -> Topic:
    """The Topic registered under ``key``, else the packaged topic or file of that name."""
    if key not in TOPICS:
        from ..config import load_topic

        TOPICS[key] = load_topic(key)
    return TOPICS[key]


_ENDS = {".", "!", "?", "…", "?!", "!?"}
_CLOSERS = {"»", "”", ")", '"'}


@Language.component("veille_sentences")
def sentences(doc: Doc) -> Doc:
    """Rule-based sentence boundaries, set before the parser so that it respects them.

    The parser of fr_core_news_md splits sentences at "que" or inside "start-up"; claims need whole
    sentences. A sentence ends at a blank line, or after . ! ? … (and a closing quote) when the next
    word starts with a capital letter or an opening quote/dash; everywhere else the parser may not split.
    """
    if len(doc) < 2:
        return doc
    texts = [t.text for t in doc]  # one pass over the tokens; the rest is plain Python on strings
    starts = np.full(len(texts), -1, dtype=np.int32)
    starts[0] = 1
    last = ""  # last non-space token (or the end mark before a closing quote)
    prev_break = False
    for i, text in enumerate(texts):
        if text.isspace():
            prev_break = prev_break or "\n" in text
            continue
        if i and (prev_break or (last in _ENDS and (text[:1].isupper() or text[:1] in "«“—–-("))):
            starts[i] = 1
        prev_break = False
        if not (text in _CLOSERS and last in _ENDS):
            last = text
    doc.from_array([SENT_START], starts.astype(np.uint64))
    return doc


@Language.factory("veille_actor_linker", default_config={"topic": "openai_deepseek"})
def make_actor_linker(nlp: Language, name: str, topic: str):
    """Link entities to the topic's actors and correct the labels the base model gets wrong."""
    return ActorLinker(get_topic(topic), nlp.vocab)


@Language.factory("veille_claims", default_config={"topic": "openai_deepseek", "keep_unresolved": False})
def make_claims(nlp: Language, name: str, topic: str, keep_unresolved: bool):
    """Find claims and resolve their speakers into ``doc._.claims``."""
    return ClaimFinder(get_topic(topic), keep_unresolved)


class ClaimFinder:
    """Runs :func:`extract_claims` then :func:`resolve_speakers`."""

    def __init__(self, topic: Topic, keep_unresolved: bool):
        self.keep_unresolved = keep_unresolved
        self.labels = {a.id: a.label for a in topic.actors}

    def __call__(self, doc: Doc) -> Doc:
        from .claims import extract_claims
        from .speakers import resolve_speakers

        try:
            claims = resolve_speakers(doc, extract_claims(doc))
        except Exception as exc:  # a rule tripping on an odd text must not lose the doc
            doc._.errors = [*(doc._.errors or []), f"claims: {type(exc).__name__}: {exc}"]
            doc._.claims = []
            return doc
        # A claim nobody can be credited with ("on", "plusieurs analystes", "le contrat") is not
        # what analysts count as a claim; keep them only on request.
        doc._.claims = [c.as_dict(doc) for c in claims if c.speaker_id or self.keep_unresolved]
        for c in doc._.claims:
            sid = c["speaker_id"] or ""
            c["speaker_label"] = "PER" if sid.startswith("person:") else self.labels.get(sid, "ORG" if sid else None)
        return doc


@Language.factory("veille_classifier", default_config={
    "topic": "openai_deepseek", "backend": "auto", "bundled_dir": "models/bundled",
    "sentiment_model": "", "stance_model": "", "batch_size": 16, "min_words": 3})
def make_classifier(nlp: Language, name: str, topic: str, backend: str, bundled_dir: str,
                    sentiment_model: str, stance_model: str, batch_size: int, min_words: int):
    """Sentence/claim sentiment and stance, article tone and stance (loads the backends now)."""
    from .backends import load_scorers
    from .scoring import Classifier

    t = get_topic(topic)
    scorers = load_scorers(backend, bundled_dir, sentiment_model, stance_model, t.stance_targets, batch_size)
    return Classifier(t, scorers, min_words)
