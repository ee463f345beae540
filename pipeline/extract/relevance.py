"""First-stage topic filter: weighted keywords from the topic file, with the terms that matched."""

from __future__ import annotations

import re
from functools import lru_cache

from ..records import Topic


@lru_cache(maxsize=8)
def _patterns(keywords: tuple[tuple[str, float], ...]) -> list[tuple[str, float, re.Pattern]]:
    return [(term, weight, re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE))
            for term, weight in keywords]


def score_relevance(title: str, text: str, topic: Topic) -> tuple[float, list[str]]:
    """Sum of weights of the topic terms present (title counts twice); and the matched terms."""
    score, matched = 0.0, []
    for term, weight, pattern in _patterns(tuple(sorted(topic.keywords.items()))):
        in_title = bool(pattern.search(title or ""))
        in_text = bool(pattern.search(text or ""))
        if in_title or in_text:
            matched.append(term)
            score += weight * (int(in_title) * 2 + int(in_text))
    return round(score, 3), matched
