"""Near-duplicate clustering (MinHash/LSH) of syndicated wire copies, on the corpus' real pages:
incremental across runs, earliest member as cluster id, stable when nothing changes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.collect.http import decode_html
from pipeline.extract import article_row
from pipeline.extract.article import extract_html
from pipeline.extract.dedupe import cluster_articles, shingles, signature
from pipeline.store import open_store

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def wire():
    """The corpus' largest syndication family (original dispatch + copies) and a few unrelated articles."""
    manifest = CORPUS / "site" / "manifest.json"
    if not manifest.is_file():
        pytest.skip("corpus not rendered (run corpus/build.py)")
    entries = {e["url"]: e for e in json.loads(manifest.read_text("utf-8"))["entries"]}
    gold = [json.loads(line) for line in (CORPUS / "gold" / "articles.jsonl").read_text("utf-8").splitlines() if line]
    served = {g["id"]: g for g in gold if g["served"] and g["url"] in entries and "empty_body" not in g["special"]}
    families: dict[str, list[str]] = {}
    for g in served.values():
        if g["syndicated_from"] in served:
            families.setdefault(g["syndicated_from"], []).append(g["id"])
    if not families:
        pytest.skip("no syndicated copies in the corpus yet")
    original, copies = max(families.items(), key=lambda kv: len(kv[1]))
    others = [g["id"] for g in served.values() if not g["syndicated_from"] and g["id"] not in families
              and g["language"] == "fr"][:12]

    def article(gid):
        g = served[gid]
        e = entries[g["url"]]
        html, _ = decode_html((CORPUS / "site" / e["file"]).read_bytes(), e["headers"].get("Content-Type", ""))
        return extract_html(html, g["url"], g["outlet"])

    return {gid: article(gid) for gid in [original, *copies, *others]}, original, copies, others


def _insert(store, arts, run_id="r1"):
    store.upsert("articles", [article_row(a, run_id, False) for a in arts])


def _clusters(store) -> dict[str, tuple[str, bool]]:
    return {r["article_id"]: (r["cluster_id"], r["is_syndicated_copy"])
            for r in store.query("SELECT article_id, cluster_id, is_syndicated_copy FROM articles")}


def test_shingles_ignore_case_and_apostrophe_style():
    assert shingles("L’accusation d’OpenAI vise DeepSeek depuis lundi") == \
        shingles("l'accusation d'openai vise deepseek depuis LUNDI")
    a = signature("OpenAI accuse DeepSeek d'avoir distillé ses modèles, affirme le groupe américain lundi soir.", 128)
    assert a.jaccard(a) == 1.0


def test_copies_join_the_original_across_runs(tmp_path, wire):
    arts, original, copies, others = wire
    with open_store(tmp_path / "v.duckdb") as store:
        # Run 1: the copies and unrelated articles arrive before the original dispatch.
        _insert(store, [arts[c] for c in copies] + [arts[o] for o in others])
        s1 = cluster_articles(store, "r1")
        c1 = _clusters(store)
        copy_ids = {arts[c].id for c in copies}
        first_copy = min(copies, key=lambda c: (arts[c].published_at, arts[c].id))
        assert {c1[i][0] for i in copy_ids} == {arts[first_copy].id}  # one cluster, earliest copy first
        assert all(c1[arts[o].id] == (arts[o].id, False) for o in others)  # unrelated: alone
        assert s1["signed"] == len(copies) + len(others)
        # Run 2: the original arrives; it is the earliest, so it becomes everybody's cluster id.
        _insert(store, [arts[original]], "r2")
        s2 = cluster_articles(store, "r2")
        c2 = _clusters(store)
        oid = arts[original].id
        assert s2["signed"] == 1
        assert c2[oid] == (oid, False)
        assert all(c2[i] == (oid, True) for i in copy_ids)
        # Run 3: nothing new, nothing changes (and nothing is re-signed).
        assert cluster_articles(store, "r3")["dirty"] == 0 and _clusters(store) == c2
        assert store.scalar("SELECT count(*) FROM article_minhash") == len(c2)


def test_changed_text_leaves_the_cluster(tmp_path, wire):
    arts, original, copies, others = wire
    with open_store(tmp_path / "v.duckdb") as store:
        _insert(store, [arts[original]] + [arts[c] for c in copies] + [arts[others[0]]])
        cluster_articles(store, "r1")
        oid, moved = arts[original].id, arts[copies[0]].id
        # Re-extraction gives that page another text (e.g. the outlet replaced the dispatch).
        store.con.execute("UPDATE articles SET text = (SELECT text FROM articles WHERE article_id = ?), "
                          "content_sha256 = 'changed' WHERE article_id = ?", [arts[others[0]].id, moved])
        stats = cluster_articles(store, "r2")
        c = _clusters(store)
        assert stats["signed"] == 1
        assert c[moved][0] != oid  # now grouped with the article whose text it took
        assert all(c[arts[x].id] == (oid, True) for x in copies[1:])


def test_undated_copy_never_becomes_the_original(tmp_path, wire):
    arts, original, copies, _ = wire
    undated = arts[copies[0]]
    undated.published_at = None
    with open_store(tmp_path / "v.duckdb") as store:
        _insert(store, [undated, arts[original]])
        cluster_articles(store, "r1")
        assert _clusters(store)[undated.id] == (arts[original].id, True)


def test_window_limits_comparisons_to_nearby_dates(tmp_path, wire):
    arts, original, copies, _ = wire
    late = arts[copies[0]]
    late.published_at = arts[original].published_at + timedelta(days=400)
    with open_store(tmp_path / "v.duckdb") as store:
        _insert(store, [arts[original]])
        cluster_articles(store, "r1", window_days=30)
        _insert(store, [late], "r2")
        cluster_articles(store, "r2", window_days=30)
        assert _clusters(store)[late.id] == (late.id, False)


def test_nightly_clusters_match_the_corpus_syndication(nightly_run, gold):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        rows = {r["url"]: r for r in store.query(
            "SELECT article_id, url, cluster_id, is_syndicated_copy, language, is_relevant, nlp_version FROM articles")}
    by_id = {g["id"]: g for g in gold}
    url_of = {r["article_id"]: u for u, r in rows.items()}
    stored = [g for g in gold if g["url"] in rows]
    for g in stored:
        r = rows[g["url"]]
        if g["syndicated_from"] and by_id[g["syndicated_from"]]["url"] in rows:
            assert r["is_syndicated_copy"] and url_of[r["cluster_id"]] == by_id[g["syndicated_from"]]["url"], g["id"]
        elif not any(o["syndicated_from"] == g["id"] for o in stored):
            assert (r["cluster_id"], r["is_syndicated_copy"]) == (r["article_id"], False), g["id"]
    for g in stored:
        if g["language"] != "fr":  # stored, flagged, and skipped by the NLP stage
            r = rows[g["url"]]
            assert r["language"] == g["language"] and not r["is_relevant"] and r["nlp_version"] is None
