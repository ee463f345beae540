"""Agreement with the teacher, and macro-F1 of teacher and student against the corpus gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .data import TeacherData

GOLD_FIELDS = {"on_topic": "on_topic", "stance": "stance", "tone_openai": "tone_openai", "tone_deepseek": "tone_deepseek"}


def macro_f1(gold: list[str], pred: list[str], labels: list[str] | None = None) -> float:
    """Unweighted mean of per-class F1 over the classes present in gold or predictions."""
    classes = labels or sorted(set(gold) | set(pred))
    classes = [c for c in classes if c in set(gold) | set(pred)]
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def labels_of(probs: np.ndarray, head: str, labels: list[str]) -> list[str]:
    """Argmax labels of a head ("true"/"false" for on topic at 0.5)."""
    if head == "on_topic":
        return ["true" if p >= 0.5 else "false" for p in probs[:, 0]]
    return [labels[int(i)] for i in np.argmax(probs, axis=1)]


def teacher_labels(data: TeacherData, head: str, labels: list[str]) -> list[str]:
    """The teacher's effective label of every article: its argmax where it ran, else the default
    (not on topic is already a label; an unanalysed article has no stance or tone: neutre)."""
    t = data.targets[head]
    if head == "on_topic":
        return ["true" if v >= 0.5 else "false" for v in t[:, 0]]
    return ["neutre" if np.isnan(row[0]) else labels[int(np.argmax(row))] for row in t]


def agreement(data: TeacherData, probs: dict[str, np.ndarray], labels: dict[str, list[str]]) -> dict[str, dict]:
    """Per head, on the articles with a teacher label: label agreement and mean total-variation distance."""
    out = {}
    for head, lab in labels.items():
        mask = data.labelled(head) & ~np.isnan(probs[head][:, 0])
        if not mask.any():
            out[head] = {"n": 0, "agreement": None, "tv_distance": None}
            continue
        t, s = data.targets[head][mask], probs[head][mask]
        if head == "on_topic":
            t, s = np.hstack([t, 1 - t]), np.hstack([s, 1 - s])
        same = np.argmax(t, 1) == np.argmax(s, 1)
        names = ["true", "false"] if head == "on_topic" else lab
        # Macro-F1 against the teacher's own labels: what model choices are made on (never the gold).
        f1 = macro_f1([names[i] for i in np.argmax(t, 1)], [names[i] for i in np.argmax(s, 1)], names)
        out[head] = {"n": int(mask.sum()), "agreement": round(float(same.mean()), 4),
                     "tv_distance": round(float(0.5 * np.abs(t - s).sum(1).mean()), 4),
                     "macro_f1_vs_teacher": round(f1, 4)}
    return out


def load_gold(path: str | Path) -> dict[str, dict]:
    """Gold records by URL (French, served articles only); {} when the file does not exist."""
    path = Path(path)
    if not str(path) or not path.is_file():
        return {}
    out = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            g = json.loads(line)
            if g.get("served", True) and g.get("language", "fr") == "fr":
                out[g["url"]] = g
    return out


def _gold_value(g: dict, head: str) -> str:
    v = g[GOLD_FIELDS[head]]
    return ("true" if v else "false") if head == "on_topic" else str(v)


def gold_table(data: TeacherData, students: dict[str, dict[str, np.ndarray]], labels: dict[str, list[str]],
               gold: dict[str, dict]) -> dict[str, Any]:
    """Macro-F1 per head against gold for the teacher and each student view, with the ratio."""
    rows = [i for i, url in enumerate(data.urls) if url in gold]
    if not rows:
        return {"n": 0, "heads": {}}
    heads: dict[str, Any] = {}
    for head, lab in labels.items():
        if head not in GOLD_FIELDS:
            continue
        want = [_gold_value(gold[data.urls[i]], head) for i in rows]
        classes = ["true", "false"] if head == "on_topic" else lab
        teacher = teacher_labels(data, head, lab)
        entry = {"teacher": round(macro_f1(want, [teacher[i] for i in rows], classes), 4)}
        for name, probs in students.items():
            pred = labels_of(probs[head], head, lab)
            keep = [k for k, i in enumerate(rows) if not np.isnan(probs[head][i, 0])]
            score = macro_f1([want[k] for k in keep], [pred[rows[k]] for k in keep], classes)
            entry[name] = round(score, 4)
            entry[f"{name}_vs_teacher"] = round(score / entry["teacher"], 4) if entry["teacher"] else None
        heads[head] = entry
    views = [name for name in students]
    mean = {v: round(float(np.mean([h[v] for h in heads.values()])), 4) for v in ["teacher", *views]}
    return {"n": len(rows), "heads": heads, "mean": mean,
            "ratio": {v: round(mean[v] / mean["teacher"], 4) if mean["teacher"] else None for v in views}}


def flat_rows(report: dict[str, Any]) -> list[tuple]:
    """(head, teacher F1, student views..., agreement) rows for a table."""
    gold = report.get("gold", {})
    views = list(report.get("gold", {}).get("ratio", {}))
    rows = []
    for head, entry in gold.get("heads", {}).items():
        agree = report.get("agreement", {}).get("student_cv", {}).get(head, {}).get("agreement")
        rows.append((head, entry["teacher"], *[entry.get(v) for v in views],
                     *[entry.get(f"{v}_vs_teacher") for v in views], agree))
    return rows
