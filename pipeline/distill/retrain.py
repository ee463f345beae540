"""When a student is stale: the teacher it learnt from is not the current one.

The teacher's identity is the analysis version (``articles.nlp_version``, from
``pipeline.nlp.pipeline_version``: spaCy model and version, Veille version, the analysis rules and the
sentiment/stance models' names, hashes and backends) plus the aggregation constant the student
re-implements (``min_evidence``). A student records both in its config.json when it is trained.
"""

from __future__ import annotations

from typing import Any

MODES = ("when_teacher_changes", "never")

CURRENT_SQL = """
SELECT nlp_version, count(*) AS n
FROM articles
WHERE nlp_version IS NOT NULL AND language IN (SELECT unnest(?))
GROUP BY nlp_version
ORDER BY n DESC, nlp_version DESC
LIMIT 1
"""

COVERAGE_SQL = """
SELECT count(*) AS relevant, count(*) FILTER (WHERE nlp_version = ?) AS current
FROM articles
WHERE is_relevant AND language IN (SELECT unnest(?))
"""


def current_teacher(store, languages: list[str]) -> str | None:
    """The analysis version that labelled most stored articles (None when nothing was analysed).

    Used when the caller does not know the running teacher (``veille distill``); the nightly passes
    the version its analysis stage just ran.
    """
    rows = store.query(CURRENT_SQL, [list(languages)])
    return rows[0]["nlp_version"] if rows else None


def student_teacher(config: dict[str, Any]) -> str | None:
    """The analysis version a student was trained on, from its config.json.

    Students trained before ``teacher_version`` was recorded carry it in ``teacher_id``
    ("analysis <version>[, <version>...]; ..."); None when it cannot be told.
    """
    if config.get("teacher_version"):
        return str(config["teacher_version"])
    first = str(config.get("teacher_id") or "").split("; ")[0]
    return first[len("analysis "):] if first.startswith("analysis ") else None


def teacher_changes(config: dict[str, Any], teacher: str, min_evidence: float) -> list[str]:
    """Why the student's teacher differs from the current one; [] = the same teacher."""
    reasons = []
    old = student_teacher(config)
    if old != teacher:
        reasons.append(f"analysis version {old or 'unknown'} -> {teacher}")
    trained = config.get("min_evidence")
    if config.get("granularity", "sentence") == "sentence" and trained is not None \
            and abs(float(trained) - min_evidence) > 1e-9:
        reasons.append(f"aggregation MIN_EVIDENCE {trained} -> {min_evidence}")
    return reasons


def retrain_blocker(store, teacher: str, languages: list[str], min_share: float) -> str | None:
    """Why the student cannot be retrained on ``teacher`` yet (too few of the on-topic articles carry
    its labels: the analysis has not re-analysed them all), or None."""
    row = store.query(COVERAGE_SQL, [teacher, list(languages)])[0]
    relevant, current = int(row["relevant"]), int(row["current"])
    if relevant == 0 or current < min_share * relevant:
        return (f"only {current} of {relevant} on-topic articles are labelled by the current teacher "
                f"(distill.retrain_min_share = {min_share})")
    return None
