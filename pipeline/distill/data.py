"""Training data for the student: the teacher's outputs on stored articles, read through the table
contract of the analysis stage.

- on topic: ``articles.is_relevant`` (the extraction stage's topic filter) for **every** stored
  article in an analysed language, so the student sees all the off-topic articles as negatives,
  not only the analysed ones;
- stance / tone: the article-scope rows of ``annotations`` (task ``stance`` target = the topic's
  stance target; task ``tone`` target = each tone actor), their ``probs`` map as soft labels. Only
  articles the teacher analysed (``articles.nlp_version`` set) have them; the other articles carry
  no stance/tone target (masked in the loss). The teacher writes a tone row only for the actors an
  article mentions: a missing one means neutre (not mentioned).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

ARTICLE_SQL = """
SELECT a.article_id, a.url, a.outlet_id, coalesce(a.title, '') AS title, coalesce(a.text, '') AS text, a.lead,
       a.content_sha256, a.is_relevant, a.relevance, a.nlp_version, coalesce(a.cluster_id, a.article_id) AS cluster_id
FROM articles a
WHERE a.language IN (SELECT unnest(?))
ORDER BY a.article_id
"""

# The teacher's rows of the analysis version ``teacher`` (NULL = of whichever version analysed the article).
TEACHER_SQL = """
SELECT n.article_id, n.task, n.target, n.label, n.probs, n.model_name, n.model_version, n.model_hash, n.backend
FROM annotations n JOIN articles a USING (article_id)
WHERE n.scope = 'article' AND a.nlp_version IS NOT NULL
  AND ($teacher::VARCHAR IS NULL OR a.nlp_version = $teacher)
  AND a.language IN (SELECT unnest($languages))
ORDER BY n.article_id, n.task, n.target
"""


FIELDS = ("title", "lead", "text")  # the article fields the student reads, in this order


def compose_input(title: str | None, text: str | None,
                  lead: str | None = None) -> tuple[str, list[tuple[str, int, int]]]:
    """What the student reads (headline, lead, main text joined by blank lines, as the analysis joins
    them) and the (field, start, end) of each non-empty part in it."""
    parts, bounds, pos = [], [], 0
    for name, value in zip(FIELDS, (title, lead, text)):
        value = (value or "").strip()
        if not value:
            continue
        if parts:
            pos += 2
        bounds.append((name, pos, pos + len(value)))
        parts.append(value)
        pos += len(value)
    return "\n\n".join(parts), bounds


def student_input(title: str | None, text: str | None, lead: str | None = None) -> str:
    """What the student reads: the headline, the lead if any, the main text, blank lines between."""
    return compose_input(title, text, lead)[0]


@dataclass
class TeacherData:
    """Aligned arrays: one row per stored article; NaN rows of a head mean "no teacher label"."""

    article_ids: list[str]
    texts: list[str]
    groups: list[str]
    urls: list[str]
    targets: dict[str, np.ndarray]  # head -> [n, n_labels] probabilities (on_topic: [n, 1])
    teacher_ids: list[str] = field(default_factory=list)
    analysed: np.ndarray | None = None  # bool [n]: the teacher ran its full analysis
    bounds: list | None = None  # per text: (field, start, end) of its title, lead and main text

    def __len__(self) -> int:
        return len(self.article_ids)

    def labelled(self, head: str) -> np.ndarray:
        """Boolean mask of the rows that have a teacher target for ``head``."""
        return ~np.isnan(self.targets[head][:, 0])

    def counts(self) -> dict[str, int]:
        """How many teacher-labelled articles each head was trained on (and positives for on_topic)."""
        out = {"articles": len(self), "analysed": int(self.analysed.sum()) if self.analysed is not None else 0}
        for head in self.targets:
            out[head] = int(self.labelled(head).sum())
        out["on_topic_positive"] = int(np.nansum(self.targets["on_topic"][:, 0] > 0.5))
        return out

    def data_hash(self) -> str:
        """sha256 of what training saw: each article's id, text hash and targets (rounded)."""
        h = hashlib.sha256()
        for i, aid in enumerate(self.article_ids):
            row = [aid, hashlib.sha256(self.texts[i].encode()).hexdigest()]
            for head in sorted(self.targets):
                row.append([None if np.isnan(v) else round(float(v), 6) for v in self.targets[head][i]])
            h.update(json.dumps(row, ensure_ascii=False).encode())
        return h.hexdigest()

    def teacher_id(self) -> str:
        """Which teacher produced the labels: analysis version(s) and the models behind each head."""
        return "; ".join(self.teacher_ids) or "none"

    def subset(self, idx: np.ndarray) -> "TeacherData":
        """Rows ``idx`` only (cross-validation folds)."""
        return TeacherData([self.article_ids[i] for i in idx], [self.texts[i] for i in idx],
                           [self.groups[i] for i in idx], [self.urls[i] for i in idx],
                           {h: t[idx] for h, t in self.targets.items()}, self.teacher_ids,
                           None if self.analysed is None else self.analysed[idx],
                           None if self.bounds is None else [self.bounds[i] for i in idx])


def _probs_vector(probs, label: str, labels: list[str]) -> np.ndarray:
    """Teacher's probabilities in our label order, renormalised; a bare label becomes one-hot."""
    vec = np.zeros(len(labels))
    if probs:
        items = probs.items() if isinstance(probs, dict) else probs
        for k, v in items:
            if k in labels and v is not None:
                vec[labels.index(k)] = max(float(v), 0.0)
    if vec.sum() <= 0 and label in labels:
        vec[labels.index(label)] = 1.0
    return vec / vec.sum() if vec.sum() > 0 else np.full(len(labels), np.nan)


def load_teacher_data(store, labels: dict[str, list[str]], sources: dict[str, list[str]],
                      languages: list[str], teacher: str | None = None) -> TeacherData:
    """Read every stored article in ``languages`` with the teacher's labels for each head.

    ``teacher``: only the labels of that analysis version (articles analysed by another version
    are then on-topic examples only); None = whichever version analysed each article.
    """
    rows = store.query(ARTICLE_SQL, [list(languages)])
    index = {r["article_id"]: i for i, r in enumerate(rows)}
    n = len(rows)
    targets = {head: np.full((n, len(lab)), np.nan) for head, lab in labels.items()}
    targets["on_topic"][:, 0] = [1.0 if r["is_relevant"] else 0.0 for r in rows]
    by_source = {(task, target): head for head, (task, target) in sources.items()}
    models: dict[str, set[str]] = {}
    has_rows: set[int] = set()
    for t in store.query(TEACHER_SQL, {"teacher": teacher, "languages": list(languages)}):
        head = by_source.get((t["task"], t["target"]))
        i = index.get(t["article_id"])
        if head is None or i is None:
            continue
        targets[head][i] = _probs_vector(t["probs"], t["label"], labels[head])
        has_rows.add(i)
        desc = " ".join(str(x) for x in (t["model_name"], t["model_version"], (t["model_hash"] or "")[:12]) if x)
        models.setdefault(f"{t['task']}:{t['target']}", set()).add(desc)
    # The teacher writes a tone row only for actors the article mentions; an analysed article (one
    # with article-scope rows) without a tone row for an actor has that actor's tone: neutre.
    for head in labels:
        if head.startswith("tone_") and "neutre" in labels[head]:
            implied = np.isnan(targets[head][:, 0]) & np.array([i in has_rows for i in range(n)], dtype=bool)
            targets[head][implied] = np.eye(len(labels[head]))[labels[head].index("neutre")]
    analysed = np.array([bool(r["nlp_version"]) and (teacher is None or r["nlp_version"] == teacher)
                         for r in rows], dtype=bool)
    versions = sorted({r["nlp_version"] for r, ok in zip(rows, analysed) if ok})
    ids = [f"analysis {', '.join(versions)}"] if versions else []
    ids += [f"{k} = {', '.join(sorted(v))}" for k, v in sorted(models.items())]
    ids.append("on_topic = articles.is_relevant (topic keyword filter)")
    inputs = [compose_input(r["title"], r["text"], r["lead"]) for r in rows]
    return TeacherData([r["article_id"] for r in rows], [x[0] for x in inputs], [r["cluster_id"] for r in rows],
                       [r["url"] for r in rows], targets, ids, analysed, [x[1] for x in inputs])


def fold_of(group: str, folds: int) -> int:
    """Stable fold of a near-duplicate cluster (syndicated copies never straddle train and test)."""
    return int(hashlib.sha1(group.encode()).hexdigest(), 16) % folds


UNITS_SQL = """
SELECT n.article_id, n.scope, n.field, n.span_start, n.span_end, n.task, n.target, n.label, n.probs,
       CASE n.field WHEN 'title' THEN a.title WHEN 'lead' THEN a.lead ELSE a.text END AS text,
       coalesce(a.cluster_id, a.article_id) AS cluster_id
FROM annotations n JOIN articles a USING (article_id)
WHERE n.scope IN ('sentence', 'claim') AND a.nlp_version IS NOT NULL
  AND ($teacher::VARCHAR IS NULL OR a.nlp_version = $teacher)
  AND a.language IN (SELECT unnest($languages))
ORDER BY n.article_id, n.scope, n.field, n.span_start, n.span_end, n.task, n.target
"""


UNIT_FIELDS_SQL = """
SELECT DISTINCT n.field
FROM annotations n JOIN articles a USING (article_id)
WHERE n.scope = 'sentence' AND a.nlp_version IS NOT NULL
  AND ($teacher::VARCHAR IS NULL OR a.nlp_version = $teacher)
  AND a.language IN (SELECT unnest($languages))
"""


def teacher_unit_fields(store, languages: list[str], teacher: str | None = None) -> list[str]:
    """The article fields whose sentences the teacher scores (and aggregates into stance and tone)."""
    found = {r["field"] for r in store.query(UNIT_FIELDS_SQL, {"teacher": teacher, "languages": list(languages)})}
    return [f for f in FIELDS if f in found] or ["text"]


def load_teacher_units(store, unit_labels: dict[str, list[str]], unit_sources: dict[str, list[str]],
                       languages: list[str], teacher: str | None = None) -> TeacherData:
    """The teacher's sentence- and claim-scope labels, one row per span of an analysed article.

    These are the per-sentence outputs the teacher aggregates into article stance and tone: a few
    thousand teacher-labelled examples where the article scope has only a few hundred.
    """
    by_source = {(task, target): head for head, (task, target) in unit_sources.items()}
    units: dict[tuple, dict] = {}
    for r in store.query(UNITS_SQL, {"teacher": teacher, "languages": list(languages)}):
        head = by_source.get((r["task"], r["target"]))
        if head is None:
            continue
        key = (r["article_id"], r["scope"], r["field"], r["span_start"], r["span_end"])
        u = units.setdefault(key, {"text": r["text"][r["span_start"]:r["span_end"]].strip(),
                                   "group": r["cluster_id"], "targets": {}})
        u["targets"][head] = _probs_vector(r["probs"], r["label"], unit_labels[head])
    keys = [k for k in units if units[k]["text"]]
    n = len(keys)
    targets = {f"unit_{h}": np.full((n, len(lab)), np.nan) for h, lab in unit_labels.items()}
    for i, k in enumerate(keys):
        for head, vec in units[k]["targets"].items():
            targets[f"unit_{head}"][i] = vec
    return TeacherData([k[0] for k in keys], [units[k]["text"] for k in keys], [units[k]["group"] for k in keys],
                       [""] * n, targets)


def training_set(articles: TeacherData, units: TeacherData | None, network_heads: list[str]) -> TeacherData:
    """Articles (their on-topic and any article-level targets the network learns; a network head
    ``doc_<head>`` learns the articles' ``<head>`` labels) followed by the teacher-labelled sentences;
    heads a row has no label for are NaN (masked in the loss)."""
    parts = [articles] + ([units] if units is not None and len(units) else [])
    n = sum(len(p) for p in parts)

    def source(p: TeacherData, head: str):
        if head in p.targets:
            return p.targets[head]
        return articles.targets.get(head[4:]) if p is articles and head.startswith("doc_") else None

    targets = {}
    for head in network_heads:
        width = next(source(p, head).shape[1] for p in parts if source(p, head) is not None)
        targets[head] = np.vstack([source(p, head) if source(p, head) is not None else np.full((len(p), width), np.nan)
                                   for p in parts]) if n else np.zeros((0, width))
    return TeacherData([a for p in parts for a in p.article_ids], [t for p in parts for t in p.texts],
                       [g for p in parts for g in p.groups], [u for p in parts for u in p.urls], targets,
                       articles.teacher_ids)
