"""Derived query data (migrations 0007 and 0010, pipeline/store/derived.py): integer article keys,
publication days, speaker and entity aggregates. Filled by the nightly run, kept right when writers
replace rows, idempotent, and the rewritten queries give the same rows as before issue 7."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.report import list_queries, run_query
from pipeline.store import open_store
from pipeline.store.derived import derived_problems, refresh_derived

ROOT = Path(__file__).resolve().parents[1]
AGGREGATES = ("speaker_stats", "speaker_stances", "entity_articles", "entity_pairs", "student_facts")


def _rows(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_the_nightly_run_leaves_every_derived_column_and_table_consistent(nightly_run):
    settings, _ = nightly_run
    for path in (settings["store.path"], settings["store.snapshot_path"]):  # what analysts open too
        with open_store(path, read_only=True) as store:
            assert derived_problems(store.con) == dict.fromkeys(derived_problems(store.con), 0)
            con = store.con
            assert con.execute("SELECT count(*) FROM articles WHERE published_day IS NULL "
                               "AND published_at IS NOT NULL").fetchone()[0] == 0
            # the aggregates count what the base tables hold
            assert con.execute("SELECT sum(claims) FROM speaker_stats").fetchone()[0] == con.execute(
                "SELECT count(*) FROM claims WHERE speaker_id IS NOT NULL").fetchone()[0] > 0
            assert con.execute("SELECT sum(articles) FROM entity_articles").fetchone()[0] == con.execute(
                "SELECT count(*) FROM (SELECT DISTINCT article_id, coalesce(actor_id, label || ':' || lower(text)) "
                "FROM mentions)").fetchone()[0] > 0
            assert con.execute("SELECT count(*), count(*) FILTER (WHERE scored) FROM student_facts").fetchone() == \
                con.execute("SELECT count(*), count(*) FILTER (WHERE article_id IN (SELECT article_id FROM predictions)) "
                            "FROM articles").fetchone()


def test_a_refresh_with_nothing_new_changes_nothing(nightly_copy):
    before = {t: _rows(nightly_copy.con, t) for t in AGGREGATES}
    keys = nightly_copy.con.execute("SELECT article_id, article_key FROM articles ORDER BY 1").fetchall()
    done = refresh_derived(nightly_copy)
    assert {k: v for k, v in done.items() if k != "seconds"} == dict.fromkeys(set(done) - {"seconds"}, 0)
    assert {t: _rows(nightly_copy.con, t) for t in AGGREGATES} == before
    assert nightly_copy.con.execute("SELECT article_id, article_key FROM articles ORDER BY 1").fetchall() == keys


def test_rows_written_behind_the_derived_data_are_caught_up(nightly_copy):
    con = nightly_copy.con
    keys = dict(con.execute("SELECT article_id, article_key FROM articles").fetchall())
    busy = con.execute("SELECT article_id FROM claims WHERE speaker_id IS NOT NULL GROUP BY 1 "
                       "ORDER BY count(*) DESC, 1 LIMIT 3").fetchall()
    replaced, moved, emptied = (r[0] for r in busy)
    # the analysis replaces an article's rows: a new speaker for its claims, the same mentions again
    claims = nightly_copy.query("SELECT * EXCLUDE (article_key) FROM claims WHERE article_id = ?", [replaced])
    mentions = nightly_copy.query("SELECT * EXCLUDE (article_key) FROM mentions WHERE article_id = ?", [replaced])
    nightly_copy.replace_children("claims", [replaced], [{**c, "speaker_id": "person:Nouvelle Voix"} for c in claims])
    nightly_copy.replace_children("mentions", [replaced], mentions)
    # re-extraction moves a publication date across midnight in Paris and makes another article a copy
    con.execute("UPDATE articles SET published_at = published_at + INTERVAL 1 DAY, is_syndicated_copy = true "
                "WHERE article_id = ?", [moved])
    # an article loses its mentions; a new article arrives without any derived column set
    con.execute("DELETE FROM mentions WHERE article_id = ?", [emptied])
    now = datetime.now(timezone.utc)
    nightly_copy.upsert("articles", [{"article_id": "zz-new", "canonical_url": "http://x.test/new", "url": "http://x.test/new",
                              "outlet_id": "apc", "published_at": now - timedelta(hours=3), "language": "fr",
                              "is_relevant": True, "run_id": "r", "extracted_at": now}])
    assert derived_problems(con)["wrong_published_day"] >= 2

    done = refresh_derived(nightly_copy)
    assert done["claims_keyed"] == len(claims) and done["mentions_keyed"] == len(mentions)
    assert done["published_days"] == 2 and done["speakers"] > 0 and done["entities"] > 0
    assert derived_problems(con) == dict.fromkeys(derived_problems(con), 0)
    # keys never change for an article that was there; the new one got the next number
    assert {a: k for a, k in con.execute("SELECT article_id, article_key FROM articles").fetchall()
            if a in keys} == keys
    assert con.execute("SELECT article_key FROM articles WHERE article_id = 'zz-new'").fetchone()[0] > max(keys.values())
    assert con.execute("SELECT sum(claims) FROM speaker_stats WHERE speaker_id = 'person:Nouvelle Voix'"
                       ).fetchone()[0] == len(claims)
    # the incremental result is what a rebuild from scratch gives
    caught_up = {t: _rows(con, t) for t in AGGREGATES}
    refresh_derived(nightly_copy, force=True)
    assert {t: _rows(con, t) for t in AGGREGATES} == caught_up


@pytest.mark.slow
def test_reprocess_keeps_article_keys_and_derived_data_consistent(nightly_run, tmp_path):
    from pipeline.config import load_settings
    from pipeline.nightly import run_nightly

    settings, _ = nightly_run
    path = tmp_path / "reprocess.duckdb"
    shutil.copy(settings["store.path"], path)
    local = load_settings(None, [f"{k}={v}" for k, v in {
        **{k: settings[k] for k in ("store.archive_dir", "sources.file", "distill.model_dir", "nlp.bundled_dir")},
        "store.path": path, "store.snapshot_path": tmp_path / "snap.duckdb", "nightly.log_dir": tmp_path / "logs",
        "report.out_dir": tmp_path / "report", "nightly.report": "false"}.items()], environ={})
    with open_store(path, read_only=True) as store:
        keys = dict(store.con.execute("SELECT article_id, article_key FROM articles").fetchall())
    run_nightly(local, command="reprocess", reprocess=True)
    for db in (path, tmp_path / "snap.duckdb"):
        with open_store(db, read_only=True) as store:
            assert derived_problems(store.con) == dict.fromkeys(derived_problems(store.con), 0)
            assert dict(store.con.execute("SELECT article_id, article_key FROM articles").fetchall()) == keys


# -- the rewritten queries give the rows of the queries before issue 7 ---------------------------

VARIANTS = [({}), ({"on_topic_only": "false", "include_copies": "true"}), ({"tz": "America/New_York"}),
            ({"period": "month"}), ({"actors_only": "false", "min_articles": "1"}), ({"limit": "7", "examples": "12"}),
            ({"speaker": "openai"}), ({"actor": "openai", "min_claims": "5"}), ({"threshold": "0.95"}),
            ({"model_version": "v1"}), ({"target": "autre"})]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_queries", ROOT / "bench" / "queries.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """20,000 articles from the bench's generator, derived data filled as in the pipeline."""
    bench = _bench()
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.duckdb"
    bench.generate(path, 20_000, quiet=True)
    with open_store(path, read_only=True, migrate=False) as store:
        yield store.con


@pytest.fixture(scope="module")
def queries_before(tmp_path_factory):
    """queries/ before issue 7, read from git history (the bench's BEFORE_ISSUE_7 revision)."""
    bench = _bench()
    try:
        return str(bench.queries_at(bench.BEFORE_ISSUE_7, tmp_path_factory.mktemp("before")))
    except LookupError as exc:  # e.g. a shallow clone: nothing to compare with
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", sorted(list_queries()))
def test_each_query_gives_the_rows_it_gave_before_the_derived_data(synthetic, queries_before, name):
    before = list_queries(queries_before)
    if name not in before:
        pytest.skip(f"{name} is newer than issue 7")
    tried = 0
    for params in VARIANTS:
        params = {k: v for k, v in params.items() if k in list_queries()[name].params}
        if not params and tried:
            continue
        tried += 1
        cols, rows = run_query(synthetic, name, params)
        old_cols, old_rows = run_query(synthetic, name, params, configured=queries_before)
        assert cols == old_cols
        if name == "top_speakers":  # examples at equal publication times were picked arbitrarily before
            i = cols.index("example_claims")
            assert [r[:i] for r in rows] == [r[:i] for r in old_rows]
            assert [len(r[i] or []) for r in rows] == [len(r[i] or []) for r in old_rows]
        else:
            assert rows == old_rows, (name, params)
