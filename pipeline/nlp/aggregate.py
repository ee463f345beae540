"""Article-level labels from sentence-level probabilities (numpy only, so the distilled student can
import it where spaCy is not installed).

The rule (chosen a priori, see docs/analysis.md): only *opinionated* sentences (whose most probable
label is not neutral) are evidence. With S and C the summed probabilities of the two polar labels
over them, the article gets probabilities proportional to (S, C, max(2·min(S, C), 1)): one side wins
when it outweighs the other two to one *and* amounts to more than one sentence's worth of evidence;
an even split, a stray sentence or no evidence at all is neutral.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

_EPS = 1e-6
# Neutral mass is at least one sentence's worth: a single stray opinionated sentence never decides.
MIN_EVIDENCE = 1.0


def aggregate(probs: np.ndarray, labels: Sequence[str], pos: str, neg: str, neutral: str) -> tuple[str, dict[str, float], int]:
    """Article label, probabilities and number of opinionated units from per-unit probabilities."""
    ip, ineg, ineu = labels.index(pos), labels.index(neg), labels.index(neutral)
    if len(probs):
        opinionated = probs[probs.argmax(1) != ineu]
    else:
        opinionated = probs
    s = float(opinionated[:, ip].sum()) if len(opinionated) else 0.0
    c = float(opinionated[:, ineg].sum()) if len(opinionated) else 0.0
    b = max(2 * min(s, c), MIN_EVIDENCE)
    raw = {pos: s + _EPS, neg: c + _EPS, neutral: b + 2 * _EPS}
    total = sum(raw.values())
    out = {k: round(v / total, 4) for k, v in raw.items()}
    return max(out, key=lambda k: (out[k], k == neutral)), {lab: out[lab] for lab in labels}, len(opinionated)
