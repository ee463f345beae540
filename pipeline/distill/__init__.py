"""Distil stage: a small student learns the full analysis (the teacher) from its outputs on stored
articles, then scores every stored article. Entry points: :func:`train_student` (``veille distill``),
:func:`classify_pending` (``veille classify``), :func:`classify_stage` (the nightly run) and
:func:`evaluate_student` (``veille eval distill``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import ModelError
from ..records import Topic
from .data import (TeacherData, compose_input, load_teacher_data, load_teacher_units, teacher_unit_fields,
                   training_set)
from .evaluate import agreement, gold_table, load_gold
from .infer import Student, load_student
from .model import CARD, CONFIG, METRICS, MODEL_NAME, STANCE_LABELS, TONE_LABELS, StudentConfig, save_folder
from .units import teacher_min_evidence

__all__ = ["train_student", "classify_pending", "classify_stage", "evaluate_student", "load_student", "run_classify",
           "student_config", "train_params", "student_from_settings", "heads_for_topic", "Student"]

Progress = Callable[[int, int], None]
CHUNK = 1024  # articles per predictions transaction


def heads_for_topic(topic: Topic) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Heads (labels) and their teacher sources (task, target) for a topic: on topic, stance toward
    the first stance target, tone toward each tone actor."""
    labels: dict[str, list[str]] = {"on_topic": ["on_topic"]}
    sources: dict[str, list[str]] = {}
    if topic.stance_targets:
        labels["stance"] = list(STANCE_LABELS)
        sources["stance"] = ["stance", topic.stance_targets[0].id]
    for actor in topic.tone_actors:
        labels[f"tone_{actor}"] = list(TONE_LABELS)
        sources[f"tone_{actor}"] = ["tone", actor]
    return labels, sources


def student_config(cfg: dict[str, Any], topic: Topic) -> StudentConfig:
    """Architecture from the [distill] settings; heads, sentence sources and actor aliases from the topic."""
    labels, sources = heads_for_topic(topic)
    target = topic.stance_targets[0].id if topic.stance_targets else ""
    actors = {a: list(topic.actor(a).aliases) for a in topic.tone_actors if topic.actor(a)}
    learnt = cfg["learn_aggregation"] and cfg["granularity"] == "sentence"
    return StudentConfig(arch=cfg["arch"], granularity=cfg["granularity"], vocab_size=cfg["vocab_size"],
                         max_piece=cfg["max_piece"],
                         dim=cfg["dim"], hidden=cfg["hidden"], hash_buckets=cfg["hash_buckets"], pool=cfg["pool"],
                         dropout=cfg["dropout"], max_tokens=cfg["max_tokens"], layers=cfg["layers"],
                         heads=cfg["heads"], min_words=cfg["min_words"], labels=labels, sources=sources,
                         unit_labels={"sentiment": list(TONE_LABELS), "stance": list(STANCE_LABELS)},
                         unit_sources={"sentiment": ["sentiment", ""], "stance": ["stance", target]},
                         actors=actors, min_evidence=teacher_min_evidence(), negation=cfg["negation"],
                         document_heads=[h for h in labels if h != "on_topic"] if learnt and cfg["document_heads"] else [],
                         stance_context=(["documents"] if cfg["document_heads"] else []) + ["sentiment"]
                         if learnt and cfg["stance_context"] else [])


def train_params(cfg: dict[str, Any]):
    """Optimisation settings from the [distill] section."""
    from .train import TrainParams

    return TrainParams(epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                       weight_decay=cfg["weight_decay"], seed=cfg["seed"], device=cfg["device"],
                       init_vectors=cfg["init_vectors"], threads=cfg["cpu_threads"],
                       temperature=cfg["target_temperature"])


def student_from_settings(cfg: dict[str, Any]) -> Student:
    """Load the student of ``[distill] model_dir`` with the configured device, batching and threads."""
    return load_student(cfg["model_dir"], cfg["device"], cfg["predict_batch_size"], cfg["max_batch_tokens"],
                        cfg["cpu_threads"])


def _check_data(data: TeacherData, units: TeacherData | None, scfg: StudentConfig, minimum: int) -> None:
    counts = data.counts()
    if units is not None:  # sentence granularity: the sentence heads need analysed articles
        wanted = {h: counts["analysed"] for h in scfg.labels if h != "on_topic"}
    else:
        wanted = {h: counts.get(h, 0) for h in scfg.labels if h != "on_topic"}
    short = [f"{h} ({n})" for h, n in wanted.items() if n < minimum]
    if units is not None and not len(units):
        short.append("sentences (0)")
    positives = counts["on_topic_positive"]
    if short or positives == 0 or positives == counts["articles"]:
        raise ModelError(
            f"Not enough teacher-labelled articles to train the student: {', '.join(short) or 'on_topic'} "
            f"(need {minimum} analysed articles and both on- and off-topic ones; {counts['articles']} stored, "
            f"{counts['analysed']} analysed).",
            hint="Run the nightly analysis first (veille nightly), or lower distill.min_teacher_articles.",
            code="E530")


def unit_agreement(units: TeacherData, probs: dict[str, np.ndarray]) -> dict[str, dict]:
    """Held-out agreement with the teacher on its sentence-level labels."""
    out = {}
    for head, p in probs.items():
        mask = units.labelled(head) & ~np.isnan(p[:, 0])
        t = units.targets[head][mask]
        out[head] = {"n": int(mask.sum()),
                     "agreement": round(float((np.argmax(t, 1) == np.argmax(p[mask], 1)).mean()), 4) if mask.any() else None,
                     "tv_distance": round(float(0.5 * np.abs(t - p[mask]).sum(1).mean()), 4) if mask.any() else None}
    return out


def measure_speed(student: Student, texts: list[str], repeat: int = 3) -> dict[str, Any]:
    """Articles/s and tokens/s of ``student.probabilities`` (tokenisation included), best of ``repeat``."""
    import torch

    n_tokens = sum(len(x) for x in student.tokenizer.encode_ids(texts))
    student.probabilities(texts[:8])  # warm-up: first-call allocations are not the steady state
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        student.probabilities(texts)
        best = min(best, time.perf_counter() - t0)
    return {"articles": len(texts), "seconds": round(best, 4), "articles_per_s": round(len(texts) / best, 1),
            "tokens_per_s": round(n_tokens / best, 1), "batch_size": student.batch_size,
            "device": str(student.device),
            "threads": student.threads if student.device.type == "cpu" and student.threads else torch.get_num_threads()}


def train_student(store, cfg: dict[str, Any], topic: Topic, languages: list[str], model_dir: str | Path,
                  progress: Progress | None = None, teacher: str | None = None) -> dict[str, Any]:
    """Train a student on the teacher's labels in ``store``, evaluate it, write the model folder.

    ``teacher``: the analysis version whose labels it learns (None = the version that analysed most
    stored articles); articles analysed by another version count for on topic only.
    Returns the training report (also written as metrics.json and the README.md model card).
    """
    from .card import render_card
    from .aggregation import fit_aggregation_heads
    from .retrain import current_teacher
    from .train import cross_validate, fit

    scfg = student_config(cfg, topic)
    params = train_params(cfg)
    teacher = teacher or current_teacher(store, languages)
    data = load_teacher_data(store, scfg.labels, scfg.sources, languages, teacher)
    units = load_teacher_units(store, scfg.unit_labels, scfg.unit_sources, languages, teacher) \
        if scfg.granularity == "sentence" else None
    scfg.unit_fields = teacher_unit_fields(store, languages, teacher)
    _check_data(data, units, scfg, cfg["min_teacher_articles"])
    counts = data.counts()
    if units is not None:
        counts.update({f"sentences_{h[5:]}": int(units.labelled(h).sum()) for h in units.targets})
        counts["sentences"] = len(units)
    report: dict[str, Any] = {"model_name": MODEL_NAME, "teacher_id": data.teacher_id(), "teacher_version": teacher,
                              "data_hash": _data_hash(data, units), "data": counts, "cv_folds": cfg["cv_folds"],
                              "params": {k: getattr(params, k) for k in ("epochs", "batch_size", "lr", "weight_decay",
                                                                         "seed", "device", "init_vectors")}}
    views: dict[str, dict[str, np.ndarray]] = {}
    if cfg["cv_folds"] >= 2:
        features: dict[str, np.ndarray] = {}
        views["student_held_out"], held_units = cross_validate(data, units, scfg, params, cfg["cv_folds"], features)
        if units is not None:
            report["sentence_agreement"] = {"student_held_out": unit_agreement(units, held_units)}
        if units is not None and cfg["learn_aggregation"]:
            # Learn how the teacher turns sentences into article labels (aggregation.py), from held-out outputs.
            scfg.article_heads, heads_report, held = fit_aggregation_heads(
                features, data.targets, data.groups, scfg.labels, scfg.unit_labels)
            # What learning the aggregation adds: held-out agreement of the rule's view beside the heads'.
            report["aggregation_heads"] = {"heads": heads_report, "held_out_by_rule": agreement(
                data, views["student_held_out"], scfg.labels)}
            views["student_held_out"] = _with_heads(views["student_held_out"], held, scfg.labels)
    train_set = training_set(data, units, list(scfg.network_labels()))
    model, tokenizer, facts = fit(train_set, scfg, params, progress, tokenizer_texts=data.texts)
    report["training"] = {**facts, "examples": len(train_set)}
    report["parameters"] = sum(p.numel() for p in model.parameters())
    student = Student(model, scfg, tokenizer, {"version": "", "model_name": MODEL_NAME}, _cpu(),
                      cfg["predict_batch_size"] or 32, cfg["max_batch_tokens"], cfg["cpu_threads"])
    views["student_final"] = student.probabilities(data.texts, data.bounds)
    report["agreement"] = {v: agreement(data, p, scfg.labels) for v, p in views.items()}
    report["gold"] = gold_table(data, views, scfg.labels, load_gold(cfg["gold_file"])) if cfg["gold_file"] else {}
    report["speed"] = measure_speed(student, data.texts)
    report["trained_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    report["config"] = scfg.arch_dict()

    # Write into a sibling temp folder, then swap: a crash never leaves a half-written model.
    final = Path(model_dir)
    tmp = final.with_name(final.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    meta = {"teacher_id": report["teacher_id"], "teacher_version": teacher, "train_data_hash": report["data_hash"],
            "train_counts": report["data"], "trained_at": report["trained_at"], "seed": params.seed}
    report["version"] = save_folder(tmp, model, scfg, tokenizer, meta)
    report["size_bytes"] = (tmp / "model.safetensors").stat().st_size
    (tmp / METRICS).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), "utf-8")
    (tmp / CARD).write_text(render_card(report), "utf-8")
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(final)
    return report


def _with_heads(view: dict[str, np.ndarray], held: dict[str, np.ndarray], labels: dict[str, list[str]]
                ) -> dict[str, np.ndarray]:
    """The held-out view with each learnt head's held-out predictions where it has one (stance composed
    with the held-out on-topic probability, as at inference)."""
    from .infer import compose_stance

    out = dict(view)
    for head, p in held.items():
        rows = ~np.isnan(p[:, 0])
        if head == "stance":
            p = compose_stance({"on_topic": view["on_topic"], "stance": np.nan_to_num(p)}, labels)["stance"]
        merged = out[head].copy()
        merged[rows] = p[rows]
        out[head] = merged
    return out


def _data_hash(data: TeacherData, units: TeacherData | None) -> str:
    """sha256 over the article-level and (if any) sentence-level training data."""
    import hashlib

    return hashlib.sha256((data.data_hash() + (units.data_hash() if units is not None else "")).encode()).hexdigest()


def _cpu():
    import torch

    return torch.device("cpu")


PENDING_SQL = """
SELECT a.article_id
FROM articles a
LEFT JOIN predictions p ON p.article_id = a.article_id AND p.model_version = ?
WHERE a.language IN (SELECT unnest(?))
  AND (p.article_id IS NULL OR p.content_sha256 IS DISTINCT FROM a.content_sha256)
ORDER BY a.article_id
"""


def _register(store, student: Student, folder: str | Path, run_id: str) -> None:
    """Record the student version in student_models (provenance for the coverage queries)."""
    cfg = student.config
    metrics = None
    path = Path(folder) / METRICS
    if path.is_file():
        m = json.loads(path.read_text("utf-8"))
        metrics = json.dumps({k: m.get(k) for k in ("agreement", "gold", "speed", "data")}, default=str)
    now = datetime.now(timezone.utc)
    first = store.scalar("SELECT first_used_at FROM student_models WHERE model_version = ?", [student.version])
    store.upsert("student_models", [{
        "model_version": student.version, "model_name": student.name, "arch": cfg.get("arch", ""),
        "teacher_id": cfg.get("teacher_id"), "train_data_hash": cfg.get("train_data_hash"),
        "train_articles": (cfg.get("train_counts") or {}).get("articles"),
        "trained_at": datetime.fromisoformat(cfg["trained_at"]) if cfg.get("trained_at") else None,
        "model_dir": str(folder), "metrics": metrics,
        "first_used_at": first or now, "last_run_id": run_id}])


def classify_pending(store, student: Student, run_id: str, languages: list[str], folder: str | Path = "",
                     progress: Progress | None = None) -> dict[str, Any]:
    """Score every stored article not yet scored by this student version (or whose text changed)."""
    # Ids first, texts one chunk at a time: memory stays bounded however many articles are pending.
    todo = [r["article_id"] for r in store.query(PENDING_SQL, [student.version, list(languages)])]
    head_cols = [h for h in student.cfg.labels if h != "on_topic"]
    columns = {r["column_name"] for r in store.query(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions'")}
    missing = [h for h in head_cols if h not in columns]
    if missing:
        raise ModelError(f"The predictions table has no column for head(s) {missing}.",
                         hint="Add them with a new migration, or use a topic whose tone actors are openai/deepseek.",
                         code="E531")
    if todo:
        _register(store, student, folder, run_id)
    t0 = time.perf_counter()
    for start in range(0, len(todo), CHUNK):
        chunk = store.query("SELECT article_id, title, lead, text, content_sha256 FROM articles "
                            "WHERE article_id IN (SELECT unnest(?)) ORDER BY article_id", [todo[start:start + CHUNK]])
        inputs = [compose_input(r["title"], r["text"], r["lead"]) for r in chunk]
        probs = student.probabilities([x[0] for x in inputs], [x[1] for x in inputs])
        now = datetime.now(timezone.utc)
        rows = []
        for i, r in enumerate(chunk):
            row = {"article_id": r["article_id"], "model_name": student.name, "model_version": student.version,
                   "on_topic_prob": float(probs["on_topic"][i, 0]), "content_sha256": r["content_sha256"],
                   "run_id": run_id, "predicted_at": now}
            for h in head_cols:
                labels = student.cfg.labels[h]
                row[h] = labels[int(np.argmax(probs[h][i]))]
                row[f"{h}_probs"] = {lab: float(v) for lab, v in zip(labels, probs[h][i])}
            rows.append(row)
        with store.transaction():
            store.upsert("predictions", rows)
        if progress:
            progress(min(start + CHUNK, len(todo)), len(todo))
    seconds = time.perf_counter() - t0
    return {"articles": len(todo), "model_version": student.version, "seconds": round(seconds, 3),
            "articles_per_s": round(len(todo) / seconds, 1) if todo and seconds > 0 else None}


def classify_stage(store, settings, topic: Topic, run_id: str, progress: Progress | None = None,
                   teacher: str | None = None, say: Callable[[str], None] | None = None) -> tuple[dict[str, int], str]:
    """The nightly's classify stage: train a student if none exists yet, retrain it when its teacher
    changed (``distill.retrain``), then score the articles the current student version has not scored.

    ``teacher``: the analysis version the run's analysis stage used (None = the store's most common);
    ``say`` receives one line per training decision (the run log). Returns integer counts (for
    ``runs.counts``: student_trained, student_retrained, student_stale = its teacher changed but it was
    kept, classified) and the student version, or ``none: <why>`` when there is too little teacher
    data to train a first one (nothing is scored then; the run goes on).
    """
    from .model import read_config
    from .retrain import MODES, current_teacher, retrain_blocker, teacher_changes

    cfg = settings.section("distill")
    if cfg["retrain"] not in MODES:
        raise ModelError(f"distill.retrain = {cfg['retrain']!r} is not one of {', '.join(MODES)}.",
                         hint='Use "when_teacher_changes" or "never".', code="E516")
    say = say or (lambda message: None)
    languages = settings["extract.languages"]
    folder = Path(cfg["model_dir"])
    teacher = teacher or current_teacher(store, languages)
    nightly_cfg = {**cfg, "cv_folds": cfg["nightly_cv_folds"]}
    counts = {"student_trained": 0, "student_retrained": 0, "student_stale": 0, "classified": 0}
    if not (folder / CONFIG).is_file():
        try:
            report = train_student(store, nightly_cfg, topic, languages, folder, teacher=teacher)
        except ModelError as exc:
            if exc.code != "E530":
                raise
            say(f"no student trained: {exc.message}")
            return counts, f"none: {exc.message}"
        counts["student_trained"] = 1
        say(f"student {report['version']} trained (none in {folder}) on teacher {teacher}")
    elif teacher:
        old = read_config(folder)
        changes = teacher_changes(old, teacher, teacher_min_evidence())
        if changes:
            why_not = "distill.retrain = never" if cfg["retrain"] == "never" else \
                retrain_blocker(store, teacher, languages, cfg["retrain_min_share"])
            if why_not is None:
                try:
                    report = train_student(store, nightly_cfg, topic, languages, folder, teacher=teacher)
                except ModelError as exc:
                    if exc.code != "E530":
                        raise
                    why_not = exc.message
            if why_not:
                counts["student_stale"] = 1
                say(f"teacher changed ({'; '.join(changes)}) but student {old.get('version')} is kept: {why_not}")
            else:
                counts["student_trained"] = counts["student_retrained"] = 1
                say(f"teacher changed ({'; '.join(changes)}): student {old.get('version')} retrained as "
                    f"{report['version']}")
    student = student_from_settings(cfg)
    res = classify_pending(store, student, run_id, languages, folder, progress)
    counts["classified"] = res["articles"]
    return counts, student.version


def evaluate_student(store, cfg: dict[str, Any], topic: Topic, languages: list[str]) -> dict[str, Any]:
    """Teacher vs the current student on the stored articles (agreement, gold macro-F1), plus the
    held-out figures recorded when the student was trained."""
    from .retrain import current_teacher

    student = student_from_settings(cfg)
    data = load_teacher_data(store, student.cfg.labels, student.cfg.sources, languages,
                             current_teacher(store, languages))
    probs = {"student_final": student.probabilities(data.texts, data.bounds)}
    report: dict[str, Any] = {"model_version": student.version, "teacher_id": data.teacher_id(),
                              "data": data.counts(), "agreement": {"student_final": agreement(data, probs["student_final"],
                                                                                              student.cfg.labels)}}
    report["gold"] = gold_table(data, probs, student.cfg.labels, load_gold(cfg["gold_file"])) if cfg["gold_file"] else {}
    metrics_path = Path(cfg["model_dir"]) / METRICS
    if metrics_path.is_file():
        trained = json.loads(metrics_path.read_text("utf-8"))
        report["at_training"] = {"gold": trained.get("gold"), "agreement": trained.get("agreement"),
                                 "teacher_id": trained.get("teacher_id"), "data_hash": trained.get("data_hash")}
    return report


def run_classify(settings, progress: Progress | None = None) -> dict[str, Any]:
    """``veille classify``: score pending articles with the current student as a run of its own
    (a ``runs`` row with command classify; the predictions carry its run id)."""
    from ..nightly import new_run_id, run_lock, settings_hash
    from ..store import open_store

    cfg = settings.section("distill")
    student = student_from_settings(cfg)  # no model: a clear error before anything is locked
    run_id = new_run_id()
    db = settings["store.path"]
    with run_lock(db), open_store(db) as store:
        started = datetime.now(timezone.utc)
        store.upsert("runs", [{"run_id": run_id, "command": "classify", "started_at": started, "status": "running",
                               "settings_hash": settings_hash(settings)}])
        try:
            res = classify_pending(store, student, run_id, settings["extract.languages"], cfg["model_dir"], progress)
        except BaseException as exc:
            store.upsert("runs", [{"run_id": run_id, "finished_at": datetime.now(timezone.utc), "status": "failed",
                                   "summary": f"classify failed: {type(exc).__name__}: {exc}"}])
            raise
        summary = (f"Run {run_id} ok: student {student.version} scored {res['articles']} articles "
                   f"on {student.device}.")
        store.upsert("runs", [{"run_id": run_id, "finished_at": datetime.now(timezone.utc), "status": "ok",
                               "counts": {"classified": res["articles"]}, "versions": {"student": student.version},
                               "summary": summary}])
    return {**res, "run_id": run_id, "summary": summary}
