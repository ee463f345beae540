"""Open the DuckDB file, apply migrations, and write rows in bulk through Arrow."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from ..errors import StoreError

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


def _migrations() -> list[tuple[int, str, str]]:
    """Return (version, name, sql) for each packaged migration file, in order."""
    folder = resources.files("pipeline.store").joinpath("migrations")
    out = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text("utf-8")))
    return sorted(out)


class Store:
    """A DuckDB connection with the schema applied; use as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str):
        self.con = con
        self.path = path
        self._schemas: dict[str, pa.Schema] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one transaction: all of it lands, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction, then refresh derived data; return the names applied."""
        self.con.execute(MIGRATIONS_TABLE)
        done = {
            v: c for v, c in self.con.execute("SELECT version, checksum FROM schema_migrations").fetchall()
        }
        applied = []
        for version, name, sql in _migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()[:16]
            if version in done:
                if done[version] != checksum:
                    raise StoreError(
                        f"Migration {name} changed after it was applied to {self.path}.",
                        hint="Never edit an applied migration; add a new numbered file instead.",
                        code="E201",
                    )
                continue
            with self.transaction():
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                    [version, name, checksum, datetime.now(timezone.utc)],
                )
            applied.append(name)
        self._schemas.clear()
        if applied:
            # A new schema may add derived columns or tables: fill them for the rows already there.
            from .derived import refresh_derived

            refresh_derived(self)
            # Make the new schema durable in the database file now. DuckDB 1.5.5 cannot replay a WAL
            # holding `ADD COLUMN ... DEFAULT nextval(...)` (migration 0007): a run killed before its
            # first checkpoint left a database that would not open ("Failure while replaying WAL").
            self.con.execute("CHECKPOINT")
        return applied

    # -- writes ------------------------------------------------------------------------------
    def _schema(self, table: str) -> pa.Schema:
        if table not in self._schemas:
            self._schemas[table] = self.con.execute(f'SELECT * FROM "{table}" LIMIT 0').arrow().schema
        return self._schemas[table]

    def _batch(self, table: str, rows: Sequence[dict[str, Any]]) -> pa.Table:
        schema = self._schema(table)
        names = set(rows[0])
        fields = [f for f in schema if f.name in names]
        return pa.Table.from_pylist(list(rows), schema=pa.schema(fields))

    def upsert(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """Insert or replace rows by the table's primary key, in one bulk statement."""
        rows = list(rows)
        if not rows:
            return 0
        batch = self._batch(table, rows)
        self.con.register("_veille_batch", batch)
        try:
            self.con.execute(f'INSERT OR REPLACE INTO "{table}" BY NAME SELECT * FROM _veille_batch')
        except duckdb.Error as exc:
            raise StoreError(f"Could not write {len(rows)} rows to {table}: {exc}", code="E202") from exc
        finally:
            self.con.unregister("_veille_batch")
        return len(rows)

    def replace_children(self, table: str, article_ids: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
        """Replace every row of ``table`` for these articles (re-analysis drops stale rows)."""
        rows = list(rows)
        with self.transaction():
            if article_ids:
                self.con.execute(
                    f'DELETE FROM "{table}" WHERE article_id IN (SELECT unnest(?))', [list(article_ids)]
                )
            self.upsert(table, rows)
        return len(rows)

    # -- reads -------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query with bound parameters and return rows as dicts."""
        cur = self.con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query and return the first column of the first row."""
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        """Row count of every user table (for summaries and idempotency checks)."""
        tables = [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1").fetchall()]
        return {t: self.scalar(f'SELECT count(*) FROM "{t}"') for t in tables}


def open_store(path: str | Path, *, read_only: bool = False, migrate: bool = True) -> Store:
    """Open (creating if needed) the DuckDB file and bring its schema up to date."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        raise StoreError(f"No database at {path}.", hint="Run `veille nightly` first.", code="E203")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(
            f"Cannot open {path}: {exc}".splitlines()[0],
            hint="Another process may hold it for writing; analysts can query the snapshot file instead.",
            code="E204",
        ) from exc
    con.execute("SET TimeZone = 'UTC'")
    store = Store(con, str(path))
    if migrate and not read_only:
        store.migrate()
    return store
