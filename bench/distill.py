"""Teacher (the full analysis) vs the distilled student on the same CPU, in one run.

1. Speed: the teacher's articles/s (``analyse_pending`` re-analysing N stored on-topic articles: spaCy,
   claims, sentiment/stance models, rows written) against the student's on the same N texts (cold
   and warm tokenizer cache) and its end-to-end ``classify_pending`` over every stored article. Each
   side runs in its own process, one after the other, so the peak memory (max RSS) is its own.
2. Student batch-size sweep: articles/s and tokens/s per inference batch size.
3. With --compare: candidate students (granularity, initial vectors, bigrams, pooling; the compact
   Transformer too with --transformer) trained on the same teacher labels, each scored by held-out
   agreement with the teacher (5-fold, by near-duplicate cluster) — that decides — with held-out
   gold macro-F1, training time, CPU speed and size beside.

Usage: python bench/distill.py [--db data/veille.duckdb] [--articles 0] [--compare] [--quick]
Needs a database where the nightly run has analysed articles. JSON to bench/results/distill.json
(`veille distill` copies the comparison into the model card), a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CANDIDATES = [
    ("bag, sentence level, spaCy vectors, negation marking (default)", {}),
    ("bag, sentence level, no negation marking", {"negation": False}),
    ("bag, sentence level, random init", {"init_vectors": ""}),
    ("bag + 32768 hashed bigrams", {"hash_buckets": 32768}),
    ("bag + attention pooling", {"pool": "mean+attn"}),
    ("bag, article-level labels only", {"granularity": "article"}),
]
# Only with --transformer: on 2 CPU cores one epoch took 112 s (the bag's whole training: 10 s), so
# its 5-fold comparison takes over an hour here; meant for a machine with a GPU.
TRANSFORMER = ("transformer 2 layers x 64, sentence level", {"arch": "transformer", "max_tokens": 512,
                                                             "init_vectors": ""})


def _settings(db: str, extra: list[str]):
    from pipeline.config import load_settings

    return load_settings(None, [f"store.path={db}", *extra])


def _max_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _subset(store, n: int) -> list[str]:
    ids = [r["article_id"] for r in store.query(
        "SELECT article_id FROM articles WHERE is_relevant AND language = 'fr' ORDER BY article_id")]
    return ids[:n] if n else ids


def part_teacher(db: str, n: int, extra: list[str]) -> dict:
    """Re-analyse N on-topic articles with the nightly's analysis; time it."""
    from pipeline import nlp as nlpmod
    from pipeline.config import load_topic
    from pipeline.store import open_store

    settings = _settings(db, extra)
    topic = load_topic(settings["topic.file"])
    with open_store(db) as store:
        ids = _subset(store, n)
        words = store.scalar("SELECT sum(word_count) FROM articles WHERE article_id IN (SELECT unnest(?))", [ids])
        t0 = time.perf_counter()
        if hasattr(nlpmod, "build_for_run"):  # what the nightly uses (bundled models trained if missing)
            nlp = nlpmod.build_for_run(settings, topic, store, "bench")
        else:
            nlp = nlpmod.build_nlp(settings["nlp.spacy_model"], topic)
        load_s = time.perf_counter() - t0
        store.con.execute("UPDATE articles SET nlp_version = NULL WHERE article_id IN (SELECT unnest(?))", [ids])
        store.con.execute("UPDATE articles SET is_relevant = false WHERE is_relevant AND article_id NOT IN "
                          "(SELECT unnest(?))", [ids])
        t0 = time.perf_counter()
        counts = nlpmod.analyse_pending(store, nlp, "bench", settings["nlp.batch_size"])
        seconds = time.perf_counter() - t0
    return {"articles": counts["articles"], "words": int(words or 0), "seconds": round(seconds, 3),
            "articles_per_s": round(counts["articles"] / seconds, 2), "load_s": round(load_s, 2),
            "version": nlpmod.pipeline_version(nlp), "max_rss_mb": _max_rss_mb()}


def part_student(db: str, n: int, model_dir: str, extra: list[str], sizes: list[int]) -> dict:
    """The student on the same N texts (cold then warm), a batch sweep, and classify_pending on all."""
    from pipeline.config import load_topic
    from pipeline.distill import classify_pending, student_from_settings, train_student
    from pipeline.distill.data import student_input
    from pipeline.distill.model import CONFIG
    from pipeline.store import open_store

    settings = _settings(db, [f"distill.model_dir={model_dir}", *extra])
    cfg = settings.section("distill")
    out: dict = {}
    if not (Path(model_dir) / CONFIG).is_file():
        with open_store(db, read_only=True) as store:
            t0 = time.perf_counter()
            train_student(store, {**cfg, "cv_folds": 0}, load_topic(settings["topic.file"]),
                          settings["extract.languages"], model_dir)
            out["trained_here_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    student = student_from_settings(cfg)
    out["load_s"] = round(time.perf_counter() - t0, 3)
    with open_store(db, read_only=True) as store:
        ids = _subset(store, n)
        rows = store.query("SELECT title, text FROM articles WHERE article_id IN (SELECT unnest(?)) "
                           "ORDER BY article_id", [ids])
    texts = [student_input(r["title"], r["text"]) for r in rows]
    student.tokenizer = student.tokenizer.fresh()  # cold cache
    t0 = time.perf_counter()
    student.probabilities(texts)
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        student.probabilities(texts)
        runs.append(time.perf_counter() - t0)
    n_tokens = sum(len(x) for x in student.tokenizer.encode_ids(texts))
    out.update(version=student.version, articles=len(texts), tokens=n_tokens, batch_size=student.batch_size,
               cold_articles_per_s=round(len(texts) / cold, 1), articles_per_s=round(len(texts) / min(runs), 1),
               tokens_per_s=round(n_tokens / min(runs), 1), device=str(student.device), threads=student.threads)
    default_batch = student.batch_size
    sweep = []
    reps = max(1, 2000 // max(len(texts), 1))  # enough work per measurement on a small corpus
    for bs in sizes:
        student.batch_size = bs
        t0 = time.perf_counter()
        for _ in range(reps):
            student.probabilities(texts)
        dt = (time.perf_counter() - t0) / reps
        sweep.append({"batch_size": bs, "articles_per_s": round(len(texts) / dt, 1),
                      "tokens_per_s": round(n_tokens / dt, 1)})
    out["sweep"] = sweep
    student.batch_size = default_batch
    with open_store(db) as store:
        store.con.execute("DELETE FROM predictions")
        t0 = time.perf_counter()
        res = classify_pending(store, student, "bench", settings["extract.languages"], model_dir)
        out["classify"] = {"articles": res["articles"], "seconds": round(time.perf_counter() - t0, 3)}
        out["classify"]["articles_per_s"] = round(res["articles"] / out["classify"]["seconds"], 1)
    out["max_rss_mb"] = _max_rss_mb()
    return out


def compare(db: str, extra: list[str], quick: bool, transformer: bool = False) -> list[dict]:
    """Train each candidate with held-out evaluation; agreement with the teacher decides."""
    import numpy as np

    from pipeline.config import load_topic
    from pipeline.store import open_store
    from pipeline.distill import train_student

    settings = _settings(db, extra)
    topic = load_topic(settings["topic.file"])
    rows = []
    for name, over in (CANDIDATES[:2] if quick else CANDIDATES) + ([TRANSFORMER] if transformer else []):
        cfg = {**settings.section("distill"), **over}
        with tempfile.TemporaryDirectory() as tmp, open_store(db, read_only=True) as store:
            t0 = time.perf_counter()
            report = train_student(store, cfg, topic, settings["extract.languages"], Path(tmp) / "student")
            total = time.perf_counter() - t0
        held = report["agreement"].get("student_held_out", {})
        gold = report.get("gold") or {}
        rows.append({"name": name, "overrides": over, "parameters": report["parameters"],
                     "agreement_mean": round(float(np.mean([h["agreement"] for h in held.values()])), 4) if held else None,
                     "agreement": {h: v["agreement"] for h, v in held.items()},
                     "gold_macro_f1_mean": (gold.get("mean") or {}).get("student_held_out"),
                     "teacher_gold_macro_f1_mean": (gold.get("mean") or {}).get("teacher"),
                     "train_seconds": report["training"]["seconds"], "with_cv_seconds": round(total, 1),
                     "articles_per_s": report["speed"]["articles_per_s"]})
        print(f"  {name:<40} agreement {rows[-1]['agreement_mean']}  gold {rows[-1]['gold_macro_f1_mean']}  "
              f"train {rows[-1]['train_seconds']} s  {rows[-1]['articles_per_s']} art/s", flush=True)
    return rows


def _child(args: list[str]) -> dict:
    res = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise SystemExit(f"bench part failed: {' '.join(args)}\n{res.stdout}\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default="data/veille.duckdb", help="database analysed by a nightly run")
    ap.add_argument("--model-dir", default="", help="student folder (default: distill.model_dir; trained if missing)")
    ap.add_argument("--articles", type=int, default=0, help="on-topic articles to time (0 = all)")
    ap.add_argument("--batch-sizes", default="1,8,32,128,512")
    ap.add_argument("--compare", action="store_true", help="also train and compare candidate students")
    ap.add_argument("--quick", action="store_true", help="30 articles, 2 candidates")
    ap.add_argument("--transformer", action="store_true", help="with --compare: also the compact Transformer (slow on CPU)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="settings override")
    ap.add_argument("--out", default=str(ROOT / "bench/results/distill.json"))
    ap.add_argument("--part", choices=["teacher", "student"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(x) for x in args.batch_sizes.split(",") if x]
    n = 30 if args.quick and not args.articles else args.articles
    if args.part == "teacher":
        print(json.dumps(part_teacher(args.db, n, args.overrides)))
        return
    if args.part == "student":
        print(json.dumps(part_student(args.db, n, args.model_dir, args.overrides, sizes)))
        return
    model_dir = args.model_dir or _settings(args.db, args.overrides)["distill.model_dir"]
    with tempfile.TemporaryDirectory() as tmp:
        copy = str(Path(tmp) / "bench.duckdb")
        shutil.copy(args.db, copy)  # the teacher re-analyses and the student re-scores a copy
        sets = [x for o in args.overrides for x in ("--set", o)]
        print("teacher ...", flush=True)
        teacher = _child(["--part", "teacher", "--db", copy, "--articles", str(n), *sets])
        shutil.copy(args.db, copy)
        print("student ...", flush=True)
        student = _child(["--part", "student", "--db", copy, "--articles", str(n), "--model-dir", model_dir,
                          "--batch-sizes", args.batch_sizes, *sets])
    result = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "cpu": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "load_average": [round(x, 2) for x in os.getloadavg()], "teacher": teacher, "student": student,
              "speedup": round(student["articles_per_s"] / teacher["articles_per_s"], 1),
              "speedup_cold": round(student["cold_articles_per_s"] / teacher["articles_per_s"], 1),
              "speedup_classify": round(student["classify"]["articles_per_s"] / teacher["articles_per_s"], 1)}
    if args.compare:
        print("candidates ...", flush=True)
        result["architectures"] = compare(args.db, args.overrides, args.quick, args.transformer)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    t, s = teacher, student
    print(f"\n{'':<34}{'articles/s':>12}{'peak RSS MB':>13}")
    print(f"{'teacher (analyse_pending)':<34}{t['articles_per_s']:>12}{t['max_rss_mb']:>13}")
    print(f"{'student, warm (probabilities)':<34}{s['articles_per_s']:>12}{s['max_rss_mb']:>13}")
    print(f"{'student, cold tokenizer cache':<34}{s['cold_articles_per_s']:>12}")
    print(f"{'student, classify_pending (all)':<34}{s['classify']['articles_per_s']:>12}")
    print(f"speed-up: {result['speedup']}x warm, {result['speedup_cold']}x cold, {result['speedup_classify']}x "
          f"classify end to end (same CPU, {t['articles']} on-topic articles; load average {result['load_average']})")
    print("\nbatch size  articles/s  tokens/s")
    for row in s["sweep"]:
        print(f"{row['batch_size']:>10}  {row['articles_per_s']:>10}  {row['tokens_per_s']:>8}")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
