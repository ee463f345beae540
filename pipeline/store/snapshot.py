"""Read-only snapshot of the database for analysts, published atomically by the writer.

DuckDB lets one process open a file for writing and then nobody else may open it, not even to
read. The nightly run therefore publishes a copy after each stage: checkpoint (so the main file
holds everything and the write-ahead log is empty), copy to a temporary file beside the
snapshot, check that the copy opens, then ``os.replace`` it over the snapshot. Readers that
already have the old snapshot open keep reading it (the old inode lives until they close it);
new readers get the new one. A crash at any moment leaves the previous snapshot intact.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb

from ..errors import StoreError


def publish_snapshot(store, snapshot_path: str | Path) -> dict[str, float]:
    """Copy the store's database file to ``snapshot_path`` atomically; return size and seconds."""
    started = time.perf_counter()
    src = Path(store.path)
    dst = Path(snapshot_path)
    if src.resolve() == dst.resolve():
        raise StoreError(f"store.snapshot_path must differ from store.path ({src}).", code="E220")
    dst.parent.mkdir(parents=True, exist_ok=True)
    for stale in dst.parent.glob(f".{dst.name}.*.tmp"):  # left by a run killed while copying
        stale.unlink(missing_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    store.con.execute("CHECKPOINT")
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout, 8 * 1024 * 1024)
            fout.flush()
            os.fsync(fout.fileno())
        # A copy that does not open is never published (the old snapshot stays).
        duckdb.connect(str(tmp), read_only=True).close()
        os.replace(tmp, dst)
        dir_fd = os.open(dst.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return {"bytes": dst.stat().st_size, "seconds": round(time.perf_counter() - started, 3)}


def reader_path(settings, explicit: str | Path | None = None) -> Path:
    """The database file a reader should open: --db if given, else the snapshot if published,
    else the live database (before the first nightly run has published anything)."""
    if explicit:
        return Path(explicit)
    snap = Path(settings["store.snapshot_path"])
    if snap.exists():
        return snap
    return Path(settings["store.path"])
