"""Full-text search (DuckDB FTS, BM25, French stemming) on the corpus database, judged by the gold."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from pipeline.errors import StoreError
from pipeline.store import open_store
from pipeline.store.search import ensure_index, fts_extension_path, index_state, load_fts, search


@pytest.fixture(scope="module")
def con(nightly_run):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        yield store.con


@pytest.fixture(scope="module")
def by_id(con, gold):
    urls = dict(con.execute("SELECT article_id, url FROM articles").fetchall())
    gold_by_url = {g["url"]: g for g in gold}
    return {aid: gold_by_url[url] for aid, url in urls.items() if url in gold_by_url}


def test_the_extension_is_loaded_from_the_local_wheel():
    assert fts_extension_path() is not None and fts_extension_path().exists()


def test_the_nightly_run_built_the_index_over_every_article(con):
    state = index_state(con)
    assert state["documents"] == con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert state["stemmer"] == "french" and state["terms"] > 1000 and state["build_seconds"] >= 0


def _precision(hits, by_id, relevant) -> float:
    return sum(1 for h in hits if h["article_id"] in by_id and relevant(by_id[h["article_id"]])) / len(hits)


def test_a_query_about_the_memo_finds_the_2026_memo_articles_first(con, by_id):
    hits = search(con, "mémo d'OpenAI au Congrès", limit=5)
    assert len(hits) == 5
    assert _precision(hits, by_id, lambda g: g["on_topic"] and g["published_date"] >= "2026") >= 0.8


def test_the_accusation_query_ranks_on_topic_articles_first(con, by_id):
    hits = search(con, "distillation sans autorisation", limit=5)
    assert _precision(hits, by_id, lambda g: g["on_topic"]) >= 0.8


def test_distilling_spirits_is_told_apart_from_distilling_models(con, by_id):
    hits = search(con, "alambic eau-de-vie cognac", limit=5)
    assert len(hits) == 5
    assert _precision(hits, by_id, lambda g: not g["on_topic"]) == 1.0


def _ids(con, text):
    return {h["article_id"] for h in search(con, text, limit=1000)}


def test_french_stemming_and_accents(con):
    assert _ids(con, "distillation") == _ids(con, "distillés") == _ids(con, "DISTILLER")
    assert _ids(con, "modèles") == _ids(con, "modele")
    # stop words are not indexed: alone they match (next to) nothing, though every article has them
    # (a rare word can still stem to one of them, e.g. « dé » to « de »)
    n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(_ids(con, "le la les de")) <= 0.02 * n


def test_filters_and_snippets(con):
    hits = search(con, "DeepSeek", limit=50, outlet="apc")
    assert hits and {h["outlet_id"] for h in hits} == {"apc"}
    on = search(con, "distillation", limit=200, on_topic=True)
    off = search(con, "distillation", limit=200, on_topic=False)
    assert on and off and not {h["article_id"] for h in on} & {h["article_id"] for h in off}
    recent = search(con, "DeepSeek", limit=200, since="2026-01-01")
    assert recent and all(str(h["day"]) >= "2026" for h in recent)
    assert all(h["score"] > 0 for h in hits) and hits == sorted(hits, key=lambda h: -h["score"])
    assert all("deepseek" in h["snippet"].lower() for h in hits[:5])


def test_index_is_rebuilt_only_when_articles_change(nightly_run, tmp_path):
    settings, _ = nightly_run
    path = tmp_path / "copy.duckdb"
    shutil.copy(settings["store.path"], path)
    with open_store(path) as store:
        assert ensure_index(store)["rebuilt"] == 0  # nothing changed since the nightly run built it
        aid = store.scalar("SELECT min(article_id) FROM articles")
        store.con.execute("UPDATE articles SET text = text || ' Zygomorphe quasar.', extracted_at = ? "
                          "WHERE article_id = ?", [datetime.now(timezone.utc), aid])
        assert search(store.con, "zygomorphe") == []  # the stale index does not know the new word
        done = ensure_index(store, "r")
        assert (done["rebuilt"], done["indexed"], done["removed"]) == (0, 1, 1)  # that article only, in place
        assert [h["article_id"] for h in search(store.con, "zygomorphe")] == [aid]


def test_search_without_an_index_says_how_to_get_one(tmp_path):
    with open_store(tmp_path / "empty.duckdb") as store:
        with pytest.raises(StoreError) as e:
            search(store.con, "deepseek")
    assert e.value.code == "E211" and "nightly" in e.value.hint


def test_cli_search_reads_the_snapshot(nightly_run):
    settings, _ = nightly_run
    result = subprocess.run([sys.executable, "-m", "pipeline", "--set", f"store.path={settings['store.path']}",
                             "--set", f"store.snapshot_path={settings['store.snapshot_path']}",
                             "search", "distillation sans autorisation", "--limit", "3", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and {"article_id", "title", "score", "snippet", "outlet_id", "day"} <= set(rows[0])


def _index_content(con, schema: str = "fts_main_articles") -> dict:
    """What BM25 scores depend on, independent of the internal ids: tokens per document and field,
    document lengths, document frequencies, collection statistics."""
    return {
        "tokens": sorted(con.execute(
            f"SELECT d.name, f.field, di.term, count(*) FROM {schema}.terms t JOIN {schema}.docs d USING (docid) "
            f"JOIN {schema}.dict di USING (termid) JOIN {schema}.fields f USING (fieldid) GROUP BY ALL").fetchall()),
        "lengths": sorted(con.execute(f"SELECT name, len FROM {schema}.docs").fetchall()),
        "df": sorted(con.execute(f"SELECT term, df FROM {schema}.dict").fetchall()),
        "stats": con.execute(f"SELECT num_docs, avgdl FROM {schema}.stats").fetchall(),
    }


def _extension_build(path, tmp_path) -> tuple[dict, dict]:
    """The extension's own full build over a copy of the articles, and its search results."""
    import duckdb

    from pipeline.store.search import STOPWORDS_FR

    ref = duckdb.connect(str(tmp_path / "reference.duckdb"))
    ref.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
    ref.execute("CREATE OR REPLACE TABLE articles AS SELECT * FROM src.articles")
    ref.execute("DETACH src")
    ref.execute("CREATE OR REPLACE TABLE sw AS SELECT unnest(?::VARCHAR[]) AS sw", [list(STOPWORDS_FR)])
    load_fts(ref)
    ref.execute("PRAGMA create_fts_index('articles', 'article_id', 'title', 'text', stemmer = 'french', "
                "stopwords = 'sw', strip_accents = 1, lower = 1, overwrite = 1)")
    hits = {q: search(ref, q, limit=25) for q in QUERIES}
    content = _index_content(ref)
    ref.close()
    return content, hits


QUERIES = ("distillation sans autorisation", "mémo OpenAI Congrès", "alambic eau-de-vie cognac", "DeepSeek")


def test_the_index_updated_in_place_is_the_extensions_full_build(nightly_run, tmp_path):
    settings, _ = nightly_run
    path = tmp_path / "copy.duckdb"
    shutil.copy(settings["store.path"], path)
    with open_store(path) as store:
        con = store.con
        first = ensure_index(store, "r1", force=True)  # from scratch, as a first run or a changed stemmer does
        assert first["rebuilt"] == 1 and first["indexed"] == first["documents"]
        # a night's changes: one article re-extracted with new words, one deleted, one new
        ids = [r[0] for r in con.execute("SELECT article_id FROM articles ORDER BY article_id LIMIT 2").fetchall()]
        con.execute("UPDATE articles SET text = text || ' Alambic zygomorphe.', extracted_at = ? WHERE article_id = ?",
                    [datetime.now(timezone.utc), ids[0]])
        con.execute("DELETE FROM articles WHERE article_id = ?", [ids[1]])
        store.upsert("articles", [{"article_id": "zz-new", "canonical_url": "http://x.test/n", "url": "http://x.test/n",
                                   "outlet_id": "apc", "title": "Un alambic neuf", "text": "La distillation du cognac.",
                                   "language": "fr", "run_id": "r2", "extracted_at": datetime.now(timezone.utc)}])
        night = ensure_index(store, "r2")
        assert (night["rebuilt"], night["indexed"], night["removed"]) == (0, 2, 2)
        assert index_state(con)["update_kind"] == "incremental" and index_state(con)["updated_documents"] == 4
        mine = _index_content(con)
        hits = {q: search(con, q, limit=25) for q in QUERIES}
    reference, reference_hits = _extension_build(path, tmp_path)
    assert mine == reference
    assert hits == reference_hits and any(h["article_id"] == "zz-new" for h in hits["alambic eau-de-vie cognac"])
