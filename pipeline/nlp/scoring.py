"""Sentence and claim scoring, then article-level tone toward each tracked actor and stance toward
each stance target, aggregated from the sentences by :func:`.aggregate.aggregate`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Iterable, Iterator, Sequence

import numpy as np
from spacy.attrs import IS_ALPHA
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from ..records import StanceTarget, Topic
from .aggregate import aggregate
from .backends import SENTIMENT_LABELS, STANCE_LABELS, BundledScorer, Scorer
from .heads import article_stance_features, claim_features, tone_features
from .syntax import blank_lines, doc_length, sentence_spans


def _unit(probs: np.ndarray, labels: Sequence[str]) -> dict:
    return {"label": labels[int(probs.argmax())], "probs": {lab: round(float(p), 4) for lab, p in zip(labels, probs)}}


class Classifier:
    """The ``veille_classifier`` component: fills ``doc._.sentences``, claim labels and ``doc._.article``."""

    def __init__(self, topic: Topic, scorers: dict[str, Scorer], min_words: int = 3):
        self.topic = topic
        self.scorers = scorers
        self.min_words = min_words
        stance = scorers["stance"]
        bundled_target = stance.model.config.get("target") if stance.info.backend == "bundled" else None
        # Learned heads exist only for bundled models and are stored with them (see heads.py);
        # with another backend the a-priori aggregation rule is used.
        self.heads = {task: getattr(getattr(s, "model", None), "heads", {}) for task, s in scorers.items()}
        # A bundled stance model was trained for one target; zero-shot NLI handles any target.
        self.targets: list[StanceTarget] = [t for t in topic.stance_targets
                                            if stance.info.backend == "transformers" or t.id == bundled_target
                                            or (bundled_target and len(topic.stance_targets) == 1)]

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 32) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            batch = list(batch)
            try:
                self._score(batch)
            except Exception as exc:  # e.g. a model failing on a batch: the docs keep entities and claims
                for doc in batch:
                    doc._.errors = [*(doc._.errors or []), f"classifier: {type(exc).__name__}: {exc}"]
            yield from batch

    def _units(self, doc: Doc) -> tuple[list[Span], list[Span]]:
        # Alphabetic tokens per sentence from one array per doc (iterating Token objects costs more).
        alpha = np.concatenate([[0], np.cumsum(doc.to_array(IS_ALPHA))]) if len(doc) else np.zeros(1)
        sents = [s for s in sentence_spans(doc) if alpha[s.end] - alpha[s.start] >= self.min_words]
        claim_spans = []
        for c in doc._.claims or []:
            span = doc.char_span(c["context_start"], c["context_end"], alignment_mode="expand")
            claim_spans.append(span if span is not None else doc[0:0])
        return sents, claim_spans

    def _score(self, docs: list[Doc]) -> None:
        units = [self._units(d) for d in docs]
        flat = [s for sents, claims in units for s in (*sents, *claims)]
        senti_scorer, stance_scorer = self.scorers["sentiment"], self.scorers["stance"]
        # The whole-document classifier that feeds the heads (bundled stance models trained with heads).
        document = getattr(getattr(stance_scorer, "model", None), "document", None) if self.heads["stance"] else None
        whole = [d[:] for d in docs] if document is not None else []
        doc_probs = None
        if (isinstance(senti_scorer, BundledScorer) and isinstance(stance_scorer, BundledScorer)
                and senti_scorer.features == stance_scorer.features and len(self.targets) == 1):
            # Both bundled models (and the document classifier) read the same features: compute them
            # once, token attributes and vectors once per doc.
            feats, vecs = senti_scorer.prepare(flat + whole)
            m = len(flat)
            sentiment = senti_scorer.score((feats[:m], vecs[:m]))
            stance = {self.targets[0].id: stance_scorer.score((feats[:m], vecs[:m]))}
            if whole:
                doc_probs = document.predict(feats[m:], vecs[m:])
        else:
            sentiment = senti_scorer(flat) if flat else np.zeros((0, 3))
            stance = {t.id: self._stance(flat, t) for t in self.targets}
            if whole:
                doc_probs = document.predict(*stance_scorer.prepare(whole))
        k = 0
        for i, (doc, (sents, claims)) in enumerate(zip(docs, units)):
            n = len(sents) + len(claims)
            sent_sent = sentiment[k:k + n]
            sent_stance = {tid: p[k:k + n] for tid, p in stance.items()}
            k += n
            self._assign(doc, sents, claims, sent_sent, sent_stance, None if doc_probs is None else doc_probs[i])

    def _stance(self, spans: list[Span], target: StanceTarget) -> np.ndarray:
        scorer = self.scorers["stance"]
        if not spans:
            return np.zeros((0, 3))
        if scorer.info.backend == "transformers":
            return scorer(spans, target)
        return scorer(spans)

    def _assign(self, doc: Doc, sents: list[Span], claims: list[Span], senti: np.ndarray,
                stance: dict[str, np.ndarray], doc_probs: np.ndarray | None = None) -> None:
        ns = len(sents)
        claim_list = doc._.claims or []
        claim_head = self.heads["stance"].get("claim")
        if claim_head is not None and claim_list:  # who speaks and how it is reported, on top of the words
            stance = {tid: np.vstack([p[:ns], claim_head.predict(claim_features(p[ns:], claim_list, claim_head.vocab,
                                                                                doc_probs))])
                      for tid, p in stance.items()}
        rows = []
        linked = [(e.start, e.end, e.ent_id_) for e in doc.ents if e.ent_id_]  # once per doc, not per sentence
        for i, s in enumerate(sents):
            actors = sorted({eid for a, b, eid in linked if s.start <= a and b <= s.end})
            rows.append({"start": s.start_char, "end": s.end_char, "actors": actors,
                         "sentiment": _unit(senti[i], SENTIMENT_LABELS),
                         "stance": {tid: _unit(p[i], STANCE_LABELS) for tid, p in stance.items()}})
        doc._.sentences = rows
        for j, claim in enumerate(claim_list):
            claim["sentiment"] = _unit(senti[ns + j], SENTIMENT_LABELS)
            claim["stance"] = {tid: _unit(p[ns + j], STANCE_LABELS) for tid, p in stance.items()}
        layout = sentence_layout(doc, rows, claim_list)
        if doc_probs is not None:
            layout["document"] = doc_probs
        doc._.article = {"tone": self._tone(rows, claim_list, senti, layout),
                         "stance": {tid: self._article_stance(p, ns, layout) for tid, p in stance.items()}}
        doc._.models = {task: asdict(s.info) for task, s in self.scorers.items()}

    def _article_stance(self, p: np.ndarray, ns: int, layout: dict) -> dict:
        head = self.heads["stance"].get("article")
        if head is None:
            label, probs, n_op = aggregate(p[:ns], STANCE_LABELS, "soutient", "conteste", "neutre")
            return {"label": label, "probs": probs, "sentences": ns, "opinionated": n_op}
        x = article_stance_features(p[:ns], layout["in_claim"], layout["first"], layout["last"], p[ns:], STANCE_LABELS,
                                    layout.get("document"))
        probs = head.predict(x)[0]
        n_op = int((p[:ns].argmax(1) != STANCE_LABELS.index("neutre")).sum()) if ns else 0
        return {**_unit(probs, STANCE_LABELS), "sentences": ns, "opinionated": n_op}

    def _tone(self, rows: list[dict], claims: list[dict], senti: np.ndarray, layout: dict) -> dict:
        ns, head = len(rows), self.heads["sentiment"].get("tone")
        tone = {}
        for actor in self.topic.tone_actors:
            idx = actor_sentences(rows, claims, actor)
            if not idx:
                tone[actor] = {"label": "neutre", "probs": None, "sentences": 0, "opinionated": 0, "mentioned": False}
                continue
            n_op = int((senti[idx].argmax(1) != SENTIMENT_LABELS.index("neutre")).sum())
            if head is None:
                label, probs, n_op = aggregate(senti[idx], SENTIMENT_LABELS, "positif", "négatif", "neutre")
                tone[actor] = {"label": label, "probs": probs, "sentences": len(idx), "opinionated": n_op, "mentioned": True}
                continue
            spoken = senti[[ns + j for j, c in enumerate(claims) if c["speaker_id"] == actor]]
            x = tone_features(senti[idx], idx[0] == 0, bool(layout["first"][idx].any()), spoken, SENTIMENT_LABELS)
            tone[actor] = {**_unit(head.predict(x)[0], SENTIMENT_LABELS), "sentences": len(idx), "opinionated": n_op,
                           "mentioned": True}
        return tone


def actor_sentences(rows: list[dict], claims: list[dict], actor: str) -> list[int]:
    """Indices of the scored sentences that name ``actor`` or hold a pronoun/description resolved to it."""
    coref = [c["speaker_start"] for c in claims if c["speaker_id"] == actor
             and c["speaker_resolution"] in ("pronoun", "description") and c["speaker_start"] is not None]
    return [i for i, r in enumerate(rows) if actor in r["actors"] or any(r["start"] <= c < r["end"] for c in coref)]


def sentence_layout(doc: Doc, rows: list[dict], claims: list[dict]) -> dict[str, np.ndarray]:
    """Where each scored sentence sits: inside a reported claim, in the first block, in the last paragraph."""
    first, last = blank_lines(doc)
    first_end = first if first >= 0 else doc_length(doc)
    last_start = last + 2 if last >= 0 else 0
    spans = [(c["content_start"], c["content_end"]) for c in claims]
    starts = np.array([r["start"] for r in rows], dtype=np.int64)
    ends = np.array([r["end"] for r in rows], dtype=np.int64)
    in_claim = np.array([any(s < ce and cs < e for cs, ce in spans) for s, e in zip(starts, ends)], dtype=bool)
    return {"in_claim": in_claim, "first": starts < first_end, "last": starts >= last_start}
