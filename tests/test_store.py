"""The DuckDB store: migrations, idempotent bulk upserts, documented schema."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from pipeline.errors import StoreError
from pipeline.store import open_store


def test_migrations_are_recorded_and_idempotent(tmp_path):
    path = tmp_path / "v.duckdb"
    with open_store(path) as store:
        first = store.scalar("SELECT count(*) FROM schema_migrations")
        assert first >= 1
        assert store.migrate() == []
    with open_store(path) as store:  # reopening applies nothing new
        assert store.scalar("SELECT count(*) FROM schema_migrations") == first


def test_changed_migration_is_refused(tmp_path):
    path = tmp_path / "v.duckdb"
    with open_store(path) as store:
        store.con.execute("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1")
    with pytest.raises(StoreError, match="changed after it was applied"):
        open_store(path)


def test_upsert_is_idempotent_and_replaces_by_key(tmp_path):
    now = datetime.now(timezone.utc)
    row = {"article_id": "a1", "canonical_url": "http://x.test/a", "url": "http://x.test/a", "outlet_id": "x",
           "authors": ["A"], "field_sources": {"title": "newspaper3k"}, "run_id": "r1", "extracted_at": now}
    with open_store(tmp_path / "v.duckdb") as store:
        store.upsert("articles", [row, {**row, "article_id": "a2"}])
        store.upsert("articles", [row])
        assert store.scalar("SELECT count(*) FROM articles") == 2
        store.upsert("articles", [{**row, "authors": ["B", "C"]}])
        assert store.scalar("SELECT authors FROM articles WHERE article_id = 'a1'") == ["B", "C"]
        # a partial upsert keeps the columns it does not name
        store.upsert("articles", [{"article_id": "a1", "title": "T", "canonical_url": "http://x.test/a",
                                   "url": "http://x.test/a", "outlet_id": "x", "run_id": "r2", "extracted_at": now}])
        assert store.query("SELECT title, authors FROM articles WHERE article_id = 'a1'") == [{"title": "T", "authors": ["B", "C"]}]


def test_every_table_and_column_is_documented(tmp_path):
    with open_store(tmp_path / "v.duckdb") as store:
        undocumented_tables = store.query(
            "SELECT table_name FROM duckdb_tables() WHERE comment IS NULL AND table_name <> 'schema_migrations'")
        undocumented_cols = store.query(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE comment IS NULL AND NOT internal "
            "AND table_name IN (SELECT table_name FROM duckdb_tables()) AND table_name <> 'schema_migrations'")
    assert undocumented_tables == [] and undocumented_cols == []


def test_every_table_has_a_primary_key(tmp_path):
    with open_store(tmp_path / "v.duckdb") as store:
        tables = {r["table_name"] for r in store.query("SELECT table_name FROM duckdb_tables()")}
        keyed = {r["table_name"] for r in store.query(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")}
    assert tables == keyed


def test_read_only_missing_db_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="No database"):
        open_store(tmp_path / "absent.duckdb", read_only=True)


def test_a_process_killed_right_after_migrating_leaves_a_database_that_opens(tmp_path):
    # kill -9 before any checkpoint: the next open replays the WAL (DuckDB failed on the migrations' DDL).
    import subprocess
    import sys

    path = tmp_path / "killed.duckdb"
    code = ("import os, sys\nfrom datetime import datetime, timezone\nfrom pipeline.store import open_store\n"
            "s = open_store(sys.argv[1])\n"
            "s.upsert('articles', [{'article_id': 'a1', 'canonical_url': 'u', 'url': 'u', 'outlet_id': 'o',"
            " 'run_id': 'r', 'extracted_at': datetime.now(timezone.utc), 'text': 'x'}])\n"
            "os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    with open_store(path) as store:
        assert store.query("SELECT article_id, article_key FROM articles") == [{"article_id": "a1", "article_key": 1}]
