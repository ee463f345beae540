"""Sentence-granularity student: per-sentence probabilities aggregated into article stance and tone
by the teacher's own rule (pipeline/nlp/aggregate.py), re-implemented here so that the student runs
with numpy and torch only (GPU machines) and keeps the rule it was trained with (its constant is
recorded in the model's config); a test checks this copy against the teacher's function.

The rule: only *opinionated* sentences (whose most probable label is not neutral) are evidence.
With S and C the summed probabilities of the two polar labels over them, the article gets
probabilities proportional to (S, C, max(2 min(S, C), MIN_EVIDENCE)); no evidence at all is neutral.
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


def article_heads(n: int, owner: list[int], units: list[str], unit_probs: dict[str, np.ndarray],
                  labels: dict[str, list[str]], unit_labels: dict[str, list[str]],
                  actors: dict[str, list[str]], min_evidence: float = 1.0) -> dict[str, np.ndarray]:
    """Stance and tone per article from the scored sentences' probabilities (rows follow ``owner``)."""
    out: dict[str, np.ndarray] = {}
    owner_arr = np.asarray(owner, dtype=np.int64)
    order = np.argsort(owner_arr, kind="stable")
    bounds = np.searchsorted(owner_arr[order], np.arange(n + 1))
    rows = [order[bounds[i]:bounds[i + 1]] for i in range(n)]
    if "stance" in labels:
        lab = labels["stance"]
        probs = unit_probs["unit_stance"]
        out["stance"] = np.stack([aggregate(probs[r], lab, "soutient", "conteste", min_evidence=min_evidence) for r in rows]) if n else \
            np.zeros((0, len(lab)), dtype=np.float32)
    sent_lab = unit_labels["sentiment"]
    senti = unit_probs["unit_sentiment"]
    for actor, aliases in actors.items():
        head = f"tone_{actor}"
        if head not in labels:
            continue
        pattern = mention_pattern(tuple(aliases))
        mentions = np.array([bool(pattern.search(u)) for u in units], dtype=bool)
        neutral = np.eye(len(labels[head]), dtype=np.float32)[labels[head].index("neutre")]
        tone = []
        for r in rows:
            r = r[mentions[r]]
            if len(r):
                p = aggregate(senti[r], sent_lab, "positif", "négatif", min_evidence=min_evidence)
                tone.append(np.array([p[sent_lab.index(lab)] for lab in labels[head]], dtype=np.float32))
            else:  # not mentioned: the teacher writes no tone row, i.e. neutre
                tone.append(neutral)
        out[head] = np.stack(tone) if tone else np.zeros((0, len(labels[head])), dtype=np.float32)
    return out
