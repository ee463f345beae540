"""First-stage topic filter: weighted keywords from the topic file, with the terms that matched.

A dispute is a *conjunction* (its parties AND what one accuses the other of), while a keyword sum is a
disjunction: "distillation" of cognac or DeepSeek news without the accusation reach the threshold on
their own. So the topic file may list ``[relevance] require_all`` groups of terms; an article is
relevant when its score reaches the threshold AND it matches at least one term of every group.
A term ending in ``*`` matches any word starting with it ("distill*": distillation, distillé...).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..records import Topic


def _pattern(term: str) -> re.Pattern:
    if term.endswith("*"):
        return re.compile(r"(?<!\w)" + re.escape(term[:-1]) + r"\w*", re.IGNORECASE)
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=8)
def _patterns(keywords: tuple[tuple[str, float], ...]) -> list[tuple[str, float, re.Pattern]]:
    return [(term, weight, _pattern(term)) for term, weight in keywords]


@lru_cache(maxsize=8)
def _groups(groups: tuple[tuple[str, ...], ...]) -> list[list[re.Pattern]]:
    return [[_pattern(t) for t in group] for group in groups]


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


def groups_matched(title: str, text: str, topic: Topic) -> bool:
    """Every ``require_all`` group of the topic has a term in the title or text (true when none are set)."""
    full = f"{title or ''}\n{text or ''}"
    return all(any(p.search(full) for p in group) for group in _groups(getattr(topic, "require_all", ()) or ()))


def judge_relevance(title: str, text: str, topic: Topic, threshold: float) -> tuple[float, list[str], bool]:
    """Score, matched terms and the decision (score >= threshold and every required group present)."""
    score, matched = score_relevance(title, text, topic)
    return score, matched, score >= threshold and groups_matched(title, text, topic)
