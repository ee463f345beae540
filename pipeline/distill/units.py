"""Sentence-granularity student: per-sentence probabilities aggregated into article stance and tone
by the teacher's own rule (pipeline/nlp/aggregate.py), re-implemented here so that the student runs
with numpy and torch only (GPU machines) and keeps the rule it was trained with (its constant is
recorded in the model's config); a test checks this copy against the teacher's function.

The rule: only *opinionated* sentences (whose most probable label is not neutral) are evidence.
With S and C the summed probabilities of the two polar labels over them, the article gets
probabilities proportional to (S, C, max(2 min(S, C), MIN_EVIDENCE)); no evidence at all is neutral.

A teacher with learnt heads does not aggregate by that rule: students trained on one learn its
aggregation instead (aggregation.py), from the statistics computed here.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Sequence

import numpy as np

from .text import split_units

_EPS = 1e-6


def aggregate(probs: np.ndarray, labels: Sequence[str], pos: str, neg: str, neutral: str = "neutre",
              min_evidence: float = 1.0) -> np.ndarray:
    """Article probabilities (in ``labels`` order) from per-sentence probabilities ``probs`` [k, 3].

    ``min_evidence``: the neutral mass is at least this much (the teacher's MIN_EVIDENCE, recorded
    in the student's config when it is trained); with no opinionated sentence it is 1.
    """
    ip, ineg, ineu = labels.index(pos), labels.index(neg), labels.index(neutral)
    opinionated = probs[probs.argmax(1) != ineu] if len(probs) else probs
    s = float(opinionated[:, ip].sum()) if len(opinionated) else 0.0
    c = float(opinionated[:, ineg].sum()) if len(opinionated) else 0.0
    out = np.zeros(len(labels), dtype=np.float32)
    out[ip], out[ineg] = s + _EPS, c + _EPS
    out[ineu] = max(2 * min(s, c), min_evidence if len(opinionated) else 1.0) + 2 * _EPS
    return out / out.sum()


def teacher_min_evidence(default: float = 1.0) -> float:
    """The analysis' current MIN_EVIDENCE (read when a student is trained), else ``default``."""
    for name in ("pipeline.nlp.aggregate", "pipeline.nlp.scoring"):
        try:
            module = importlib.import_module(name)
        except Exception:  # the analysis is not importable here: keep the default
            continue
        if hasattr(module, "MIN_EVIDENCE"):
            return float(module.MIN_EVIDENCE)
    return default


@lru_cache(maxsize=64)
def mention_pattern(aliases: tuple[str, ...]) -> re.Pattern:
    """Case-sensitive whole-word match of any alias (like the teacher's entity-ruler phrases)."""
    alt = "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alt + r")(?!\w)")


def units_of(texts: Sequence[str], min_words: int, bounds: Sequence | None = None,
             fields: Sequence[str] | None = None) -> tuple[list[str], list[int], list[bool]]:
    """Every sentence of every text, its owner index, and whether it is scored: long enough and, when
    ``bounds`` (per text: (field, start, end) parts, data.compose_input) and ``fields`` are given,
    in one of those fields (the others are read for on topic, not scored)."""
    units, owner, scored = [], [], []
    alpha = re.compile(r"[^\W\d_]+")
    for i, text in enumerate(texts):
        skip = [(a, b) for name, a, b in bounds[i] if name not in fields] if bounds is not None and fields else []
        for a, b in split_units(text, 0):
            unit = text[a:b]
            units.append(unit)
            owner.append(i)
            scored.append(not any(s <= a < e for s, e in skip) and len(alpha.findall(unit)) >= min_words)
    return units, owner, scored


def _logp(p: np.ndarray) -> list[float]:
    return [float(v) for v in np.log(np.asarray(p, dtype=np.float64) + 1e-4)]


def _polar(P: np.ndarray, pos: int, neg: int) -> list[float]:
    """Mean, evidence sum (/sqrt(n+1)) and max of the two polar columns (0 when there is no row)."""
    if not len(P):
        return [0.0] * 6
    n = len(P)
    return [float(P[:, pos].mean()), float(P[:, neg].mean()), float(P[:, pos].sum() / np.sqrt(n + 1)),
            float(P[:, neg].sum() / np.sqrt(n + 1)), float(P[:, pos].max()), float(P[:, neg].max())]


def stance_features(P: np.ndarray, rule: np.ndarray, labels: Sequence[str]) -> list[float]:
    """Article stance features from the scored sentences' stance probabilities (text order): the rule's
    probabilities, polar statistics over all sentences, the first one (the headline) and the last three."""
    pos, neg = labels.index("soutient"), labels.index("conteste")
    return [*_logp(rule), *_polar(P, pos, neg), *_polar(P[:1], pos, neg)[:2], *_polar(P[-3:], pos, neg)[:2],
            float(np.log1p(len(P)))]


def stance_context_features(S: np.ndarray, document: dict[str, np.ndarray], i: int, context: Sequence[str],
                            sent_labels: Sequence[str]) -> list[float]:
    """What the stance head reads beyond the stance sentences (StudentConfig.stance_context): the other
    document heads' log-probabilities for article ``i`` (``documents``) and sentiment statistics over
    its scored sentences ``S`` (``sentiment``: polar means and evidence sums)."""
    x: list[float] = []
    if "documents" in context:
        x += [v for h in sorted(document) if h != "stance" for v in _logp(document[h][i])]
    if "sentiment" in context:
        x += _polar(S, sent_labels.index("positif"), sent_labels.index("négatif"))[:4]
    return x


def tone_features(S: np.ndarray, rule: np.ndarray, first: bool, labels: Sequence[str]) -> list[float]:
    """Tone features toward an actor from the sentiment of the sentences naming it: the rule's
    probabilities, polar statistics, the first mention, whether it opens the article, the count."""
    pos, neg = labels.index("positif"), labels.index("négatif")
    return [*_logp(rule), *_polar(S, pos, neg), *_polar(S[:1], pos, neg)[:2], float(first), float(np.log1p(len(S)))]


def article_heads(n: int, owner: list[int], units: list[str], unit_probs: dict[str, np.ndarray],
                  labels: dict[str, list[str]], unit_labels: dict[str, list[str]],
                  actors: dict[str, list[str]], min_evidence: float = 1.0, heads: dict | None = None,
                  features: dict[str, np.ndarray] | None = None,
                  document: dict[str, np.ndarray] | None = None,
                  stance_context: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Stance and tone per article from the scored sentences' probabilities (rows follow ``owner``).

    By the teacher's a-priori rule, or, for a head in ``heads`` (name -> pipeline.nlp.heads.Head, learnt
    from the teacher's article labels), by that head over :func:`stance_features` / :func:`tone_features`.
    ``features``: a dict filled with each head's feature matrix (NaN rows: no features, e.g. an actor
    the article does not name), for training those heads. ``document``: head -> [n, k] probabilities of
    the network's whole-article head for it (StudentConfig.document_heads), appended (as logs) to
    that head's features. ``stance_context``: what else the stance head reads
    (:func:`stance_context_features`).
    """
    heads, document = heads or {}, document or {}
    out: dict[str, np.ndarray] = {}
    owner_arr = np.asarray(owner, dtype=np.int64)
    order = np.argsort(owner_arr, kind="stable")
    bounds = np.searchsorted(owner_arr[order], np.arange(n + 1))
    rows = [order[bounds[i]:bounds[i + 1]] for i in range(n)]
    sent_lab = unit_labels["sentiment"]
    senti = unit_probs["unit_sentiment"]
    if "stance" in labels:
        lab = labels["stance"]
        probs = unit_probs["unit_stance"]
        rule = [aggregate(probs[r], lab, "soutient", "conteste", min_evidence=min_evidence) for r in rows]
        X = np.array([stance_features(probs[r], p, lab) + (_logp(document["stance"][i]) if "stance" in document else [])
                      + stance_context_features(senti[r], document, i, stance_context, sent_lab)
                      for i, (r, p) in enumerate(zip(rows, rule))]).reshape(n, -1)
        if features is not None:
            features["stance"] = X
        if "stance" in heads and n:
            out["stance"] = heads["stance"].predict(X).astype(np.float32)
        else:
            out["stance"] = np.stack(rule) if n else np.zeros((0, len(lab)), dtype=np.float32)
    for actor, aliases in actors.items():
        head = f"tone_{actor}"
        if head not in labels:
            continue
        pattern = mention_pattern(tuple(aliases))
        mentions = np.array([bool(pattern.search(u)) for u in units], dtype=bool)
        neutral = np.eye(len(labels[head]), dtype=np.float32)[labels[head].index("neutre")]
        tone, feats = [], []
        for i, r in enumerate(rows):
            first = bool(len(r)) and bool(mentions[r[0]])
            r = r[mentions[r]]
            if len(r):
                p = aggregate(senti[r], sent_lab, "positif", "négatif", min_evidence=min_evidence)
                x = tone_features(senti[r], p, first, sent_lab) + (_logp(document[head][i]) if head in document else [])
                feats.append(x)
                if head in heads:
                    p = heads[head].predict(np.array([x]))[0]
                tone.append(np.array([p[sent_lab.index(lab)] for lab in labels[head]], dtype=np.float32))
            else:  # not mentioned: the teacher writes no tone row, i.e. neutre
                feats.append(None)
                tone.append(neutral)
        if features is not None:
            width = len(next((f for f in feats if f is not None), [])) or 13 + 3 * (head in document)
            features[head] = np.array([f if f is not None else [np.nan] * width for f in feats]).reshape(n, width)
        out[head] = np.stack(tone) if tone else np.zeros((0, len(labels[head])), dtype=np.float32)
    return out
