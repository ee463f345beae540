"""A real DuckDB store with teacher rows written through the analysis' table contract, for the
student's tests: corpus article texts (texts only, never their gold labels), on-topic from the real
topic keyword filter, and article-scope stance/tone rows with probabilities from a small
deterministic stand-in teacher (cue-word counts per sentence, aggregated per article like the
real analysis)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from pipeline.config import load_settings, load_topic
from pipeline.extract.relevance import score_relevance
from pipeline.store import open_store

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpus" / "gold" / "articles.jsonl"

# A tiny student: trains in a couple of seconds on 2 cores.
TINY = ["distill.epochs=2", "distill.dim=16", "distill.hidden=16", "distill.hash_buckets=0",
        "distill.vocab_size=1000", "distill.cv_folds=0", "distill.init_vectors=", "distill.batch_size=64",
        "distill.min_teacher_articles=10"]

_SUPPORT = ("preuve", "copi", "pillage", "journaux", "volé", "sanction", "substantial")
_CONTEST = ("rien ne prouve", "aucune preuve", "hypocri", "protection", "courante", "sans preuve")
_NEG = ("critique", "accus", "scandale", "dénonce", "inquiét", "chute")
_POS = ("impressionn", "succès", "prouesse", "excellent", "innov", "salue")


def _dist(text: str, a: tuple[str, ...], b: tuple[str, ...]) -> list[float]:
    x, y = sum(text.count(w) for w in a) * 2.0 + 0.2, sum(text.count(w) for w in b) * 2.0 + 0.2
    total = x + y + 1.0
    return [x / total, y / total, 1.0 / total]


def teacher_rows(article_id: str, text: str) -> list[dict]:
    """The stand-in teacher's rows, shaped like the analysis': sentence-scope sentiment and stance,
    and article-scope stance and tone aggregated from them (tone only for mentioned actors)."""
    from pipeline.distill.text import split_units
    from pipeline.distill.units import aggregate

    model = {"model_name": "stand-in-teacher", "model_version": "1", "model_hash": "0" * 16,
             "backend": "bundled", "run_id": "teacher-run"}
    stance_l, senti_l = ["soutient", "conteste", "neutre"], ["négatif", "neutre", "positif"]
    rows, stance_p, senti_p, mentions = [], [], [], {"openai": [], "deepseek": []}
    for a, b in split_units(text):
        low = text[a:b].lower()
        st = _dist(low, _SUPPORT, _CONTEST)
        neg, pos, neu = _dist(low, _NEG, _POS)
        se = [neg, neu, pos]
        stance_p.append(st)
        senti_p.append(se)
        for actor in mentions:
            mentions[actor].append(actor in low)
        for task, target, labels, p in (("sentiment", "", senti_l, se), ("stance", "accusation", stance_l, st)):
            probs = dict(zip(labels, p))
            rows.append({"article_id": article_id, "task": task, "scope": "sentence", "field": "text", "target": target,
                         "span_start": a, "span_end": b, "label": max(probs, key=probs.get), "probs": probs, **model})
    stance_a = aggregate(np.array(stance_p).reshape(-1, 3), stance_l, "soutient", "conteste")
    article = [("stance", "accusation", stance_l, stance_a)]
    for actor, flags in mentions.items():
        idx = [i for i, f in enumerate(flags) if f]
        if idx:  # like the real analysis: no tone row for an actor the article does not mention
            article.append(("tone", actor, senti_l, aggregate(np.array(senti_p)[idx], senti_l, "positif", "négatif")))
    for task, target, labels, p in article:
        probs = {lab: float(v) for lab, v in zip(labels, p)}
        rows.append({"article_id": article_id, "task": task, "scope": "article", "field": "article", "target": target,
                     "span_start": 0,
                     "span_end": len(text), "label": max(probs, key=probs.get), "probs": probs, **model})
    return rows


def build_teacher_db(path: Path, limit: int = 0, analyse: bool = True) -> list[dict]:
    """Articles from the corpus texts (+ teacher rows when ``analyse``); returns the article rows."""
    topic = load_topic("openai_deepseek")
    threshold = load_settings(None, [], environ={})["extract.relevance_threshold"]
    gold = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    gold = [g for g in gold if g["text"] and g["language"] == "fr"][: limit or None]
    now = datetime.now(timezone.utc)
    rows = []
    for g in gold:
        score, terms = score_relevance(g["title"], g["text"], topic)
        aid = hashlib.sha256(g["url"].encode()).hexdigest()[:16]
        rows.append({"article_id": aid, "canonical_url": g["url"], "url": g["url"], "outlet_id": g["outlet"],
                     "title": g["title"], "text": g["text"], "language": "fr",
                     "published_at": datetime.fromisoformat(g["published"]),
                     "content_sha256": hashlib.sha256(g["text"].encode()).hexdigest(), "cluster_id": aid,
                     "is_syndicated_copy": False, "relevance": score, "matched_terms": terms,
                     "is_relevant": score >= threshold, "nlp_version": None, "run_id": "extract-run",
                     "extracted_at": now - timedelta(days=1)})
    with open_store(path) as store:
        store.upsert("articles", rows)
        if analyse:
            relevant = [r for r in rows if r["is_relevant"]]
            store.upsert("annotations", [x for r in relevant for x in teacher_rows(r["article_id"], r["text"])])
            store.con.execute("UPDATE articles SET nlp_version = 'stand-in' WHERE is_relevant")
    return rows


def tiny_settings(tmp: Path, *extra: str):
    """Settings pointing at a DB and model folder under ``tmp``, with a tiny student."""
    return load_settings(None, [f"store.path={tmp / 'veille.duckdb'}", f"distill.model_dir={tmp / 'student'}",
                                f"distill.gold_file={GOLD}", *TINY, *extra], environ={})
