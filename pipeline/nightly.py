"""The nightly run: collect -> extract -> analyse -> classify -> report, one run at a time.

Each stage reads its input from the store and commits its output in small transactions, so a run
killed at any moment is completed by the next one with nothing lost or duplicated.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from .config import Settings, load_sources, load_topic
from .errors import RunLockedError
from .store import Store, open_store

ProgressFactory = Callable[[str], Callable[[int, int], None]]


def new_run_id() -> str:
    """UTC start time plus a random suffix: sortable and unique."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def settings_hash(settings: Settings) -> str:
    """Hash of the effective settings, stored on each run."""
    return hashlib.sha256(json.dumps(settings.data, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextmanager
def run_lock(db_path: str | Path) -> Iterator[None]:
    """Exclusive lock beside the database; the OS releases it if the process dies."""
    lock_path = Path(str(db_path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(lock_path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise RunLockedError(f"Another Veille run is writing {db_path} ({holder}).",
                             hint="Wait for it to finish; the lock is released when it ends or dies.", code="E701") from None
    fh.truncate(0)
    fh.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%SZ}")
    fh.flush()
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@dataclass
class RunResult:
    """What a run did: counts per stage and failures by reason."""

    run_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    summary: str = ""


def _start_run(store: Store, run_id: str, command: str, settings: Settings) -> None:
    store.upsert("runs", [{"run_id": run_id, "command": command, "started_at": datetime.now(timezone.utc),
                           "status": "running", "settings_hash": settings_hash(settings)}])


def _finish_run(store: Store, result: RunResult) -> None:
    result.failures = {r["reason"]: r["n"] for r in store.query(
        "SELECT reason, count(*) AS n FROM failures WHERE run_id = ? GROUP BY reason ORDER BY n DESC", [result.run_id])}
    store.upsert("runs", [{"run_id": result.run_id, "finished_at": datetime.now(timezone.utc),
                           "status": result.status, "counts": result.counts, "failures": result.failures,
                           "versions": result.versions, "summary": result.summary}])


def summarise(result: RunResult, store: Store) -> str:
    """One paragraph for cron mail and logs."""
    total = store.scalar("SELECT count(*) FROM articles")
    on_topic = store.scalar("SELECT count(*) FROM articles WHERE is_relevant")
    fails = ", ".join(f"{n} {r}" for r, n in result.failures.items()) or "none"
    c = result.counts
    return (f"Run {result.run_id} {result.status}: discovered {c.get('discovered', 0)} URLs "
            f"({c.get('new_urls', 0)} new), fetched {c.get('fetched', 0)} pages, extracted "
            f"{c.get('extracted', 0)} articles, analysed {c.get('analysed', 0)}. "
            f"Database now holds {total} articles, {on_topic} on topic. Failures: {fails}.")


def run_nightly(settings: Settings, progress: ProgressFactory | None = None, command: str = "nightly",
                reprocess: bool = False) -> RunResult:
    """Run every stage once against the configured outlets; return counts and the summary.

    With ``reprocess`` nothing is fetched: every archived page is extracted and analysed again
    from the WARC files (after an extractor or model upgrade).
    """
    from .collect import collect
    from .extract import extract_pending, extractor_versions
    from .nlp import analyse_pending, build_nlp, pipeline_version

    progress = progress or (lambda name: None)
    outlets = load_sources(settings["sources.file"])
    topic = load_topic(settings["topic.file"])
    db_path = settings["store.path"]
    with run_lock(db_path), open_store(db_path) as store:
        result = RunResult(run_id=new_run_id(), status="running")
        _start_run(store, result.run_id, command, settings)
        try:
            if reprocess:
                store.con.execute("UPDATE pages SET extract_status = 'pending'")
            else:
                stats = collect(outlets, settings.section("collect"), store, result.run_id,
                                settings["store.archive_dir"], progress("collect"))
                result.counts.update(discovered=stats.discovered, new_urls=stats.new_urls, fetched=stats.fetched,
                                     sources_not_modified=stats.sources_not_modified, **stats.feed_stats)
            ex = extract_pending(store, settings.section("extract"), topic, result.run_id,
                                 settings["store.archive_dir"], progress("extract"))
            result.counts["extracted"] = ex["articles"]
            result.versions["extractor"] = extractor_versions()
            nlp = build_nlp(settings["nlp.spacy_model"], topic)
            result.versions["nlp"] = pipeline_version(nlp)
            an = analyse_pending(store, nlp, result.run_id, settings["nlp.batch_size"], progress("analyse"))
            result.counts.update(analysed=an["articles"], mentions=an["mentions"])
            result.status = "ok"
        except BaseException:
            result.status = "failed"
            _finish_run(store, result)
            raise
        _finish_run(store, result)
        result.summary = summarise(result, store)
        store.upsert("runs", [{"run_id": result.run_id, "summary": result.summary}])
    return result
