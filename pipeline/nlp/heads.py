"""Learned heads on top of the sentence classifiers: claim stance, article stance, article tone.

The sentence models see one sentence at a time. A claim's stance also depends on who speaks and how
it is reported (« a démenti », « accuse »), and an article's on its framing: the headline, the
journalist's own sentences, which voices are quoted and who has the last word. Each head is a small
multinomial logistic regression over features computed from the sentence models' probabilities and
the claims' speakers and cues; it is trained on the training articles (``corpus/training``) by
:mod:`.head_training` and stored with the sentence model it was trained on, so a head never runs on
another model's probabilities. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

_EPS = 1e-4
KINDS = ("direct", "indirect", "selon")


@dataclass
class Head:
    """A dense linear classifier over standardised features: softmax((x - mean) / std @ W + b)."""

    labels: list[str]
    W: np.ndarray  # (n_features, n_labels)
    b: np.ndarray  # (n_labels,)
    mean: np.ndarray
    std: np.ndarray
    vocab: dict[str, list[str]] = field(default_factory=dict)  # categorical feature values (speakers, cues)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_labels) for a feature matrix."""
        if not len(X):
            return np.zeros((0, len(self.labels)))
        z = ((X - self.mean) / self.std) @ self.W + self.b
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def tensors(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to save (safetensors), under ``prefix``."""
        return {f"{prefix}.W": self.W.astype(np.float32), f"{prefix}.b": self.b.astype(np.float32),
                f"{prefix}.mean": self.mean.astype(np.float32), f"{prefix}.std": self.std.astype(np.float32)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray], prefix: str, spec: dict) -> "Head":
        """Rebuild a head from saved arrays and its config entry."""
        return cls(labels=list(spec["labels"]), W=tensors[f"{prefix}.W"].astype(np.float64),
                   b=tensors[f"{prefix}.b"].astype(np.float64), mean=tensors[f"{prefix}.mean"].astype(np.float64),
                   std=tensors[f"{prefix}.std"].astype(np.float64), vocab=dict(spec.get("vocab", {})))


def _polar(P: np.ndarray, pos: int, neg: int) -> list[float]:
    """Mean, evidence-weighted sum (/sqrt(n+1)) and max of the two polar columns of a probability block."""
    if not len(P):
        return [0.0] * 6
    n = len(P)
    return [float(P[:, pos].mean()), float(P[:, neg].mean()),
            float(P[:, pos].sum() / np.sqrt(n + 1)), float(P[:, neg].sum() / np.sqrt(n + 1)),
            float(P[:, pos].max()), float(P[:, neg].max())]


def claim_features(probs: np.ndarray, claims: Sequence[dict], vocab: dict[str, list[str]],
                   document: np.ndarray | None = None) -> np.ndarray:
    """One row per claim of one article: log sentence-model probabilities, speaker, cue and kind one-hots,
    and, for heads trained with them (``vocab["context"]``), the article's context.

    The context: the mean probabilities of the *other* claims by the same speaker in the article (a
    speaker rarely changes sides within one article) and the whole-document classifier's probabilities
    ``document`` (the framing the claim is quoted in). ``probs`` are the sentence model's, before any head.
    """
    speakers, cues = vocab.get("speakers", []), vocab.get("cues", [])
    context = vocab.get("context", [])
    probs = np.asarray(probs, dtype=np.float64).reshape(len(claims), 3)
    doc_logp = list(np.log(np.asarray(document if document is not None else np.full(3, 1 / 3), dtype=np.float64) + _EPS))
    rows = []
    for i, (p, c) in enumerate(zip(probs, claims)):
        sid = c.get("speaker_id") or ""
        who = [float(sid == s) for s in speakers]
        who += [float(sid.startswith("person:") and sid not in speakers), float(not sid)]
        cue = [float(c.get("cue") == q) for q in cues]
        kind = [float(c.get("kind") == k) for k in KINDS]
        row = [*np.log(p + _EPS), *who, *cue, *kind]
        if "speaker" in context:
            same = [j for j, d in enumerate(claims) if j != i and sid and (d.get("speaker_id") or "") == sid]
            pooled = probs[same].mean(0) if same else np.full(3, 1 / 3)
            row += [*np.log(pooled + _EPS), float(np.log1p(len(same)))]
        if "document" in context:
            row += doc_logp
        rows.append(row)
    width = 3 + len(speakers) + 2 + len(cues) + len(KINDS) + 4 * ("speaker" in context) + 3 * ("document" in context)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width)


def article_stance_features(sent: np.ndarray, sent_in_claim: np.ndarray, first_para: np.ndarray,
                            last_para: np.ndarray, claims: np.ndarray, labels: Sequence[str],
                            document: np.ndarray | None = None) -> np.ndarray:
    """One row of article features from sentence and claim stance probabilities (label order ``labels``).

    ``sent``: (n, 3) sentence probabilities in text order; ``sent_in_claim``: bool (n,) sentences inside a
    reported claim; ``first_para``/``last_para``: bool (n,) sentences of the first block (the headline when
    there is one) and of the last paragraph; ``claims``: (m, 3) claim probabilities from the claim head;
    ``document``: (3,) probabilities of the whole-document classifier, when there is one.
    """
    pos, neg = labels.index("soutient"), labels.index("conteste")
    own = sent[~sent_in_claim] if len(sent) else sent
    x = [*_polar(sent, pos, neg), *_polar(own, pos, neg), *_polar(sent[first_para], pos, neg)[:2],
         *_polar(sent[last_para], pos, neg)[:2], *_polar(claims, pos, neg),
         float(np.log1p(len(sent))), float(np.log1p(len(claims)))]
    if document is not None:
        x += [float(v) for v in np.log(np.asarray(document, dtype=np.float64) + _EPS)]
    return np.asarray([x], dtype=np.float64)


def tone_features(senti: np.ndarray, first: bool, in_title: bool, spoken: np.ndarray,
                  labels: Sequence[str]) -> np.ndarray:
    """One row of tone features toward an actor: sentiment of the sentences naming it and of its own claims.

    ``senti``: (k, 3) sentiment probabilities of the sentences that mention the actor; ``first``: whether
    the first of them opens the document; ``in_title``: named in the first block; ``spoken``: (j, 3)
    sentiment of the claims the actor makes.
    """
    pos, neg = labels.index("positif"), labels.index("négatif")
    x = [*_polar(senti, pos, neg), *_polar(senti[:1], pos, neg)[:2], *_polar(spoken, pos, neg)[:2],
         float(first), float(in_title), float(np.log1p(len(senti))), float(np.log1p(len(spoken)))]
    return np.asarray([x], dtype=np.float64)
