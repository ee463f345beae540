"""The nightly run: collect -> extract -> index -> analyse -> classify -> report, one run at a time.

Each stage reads its input from the store and commits its output in small transactions, so a run
killed at any moment is completed by the next one with nothing lost or duplicated. A run row left
'running' by a dead process is marked 'interrupted' by the next run (which holds the lock, so that
process cannot be alive). After each stage the database is checkpointed and copied to the
read-only snapshot analysts query (pipeline/store/snapshot.py). Each run writes a JSON-lines log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import secrets
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from .config import Settings, load_sources, load_topic
from .errors import RunLockedError
from .runlog import RunLog
from .store import Store, open_store
from .store.snapshot import publish_snapshot

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
    stage_seconds: dict[str, float] = field(default_factory=dict)
    interrupted: list[str] = field(default_factory=list)  # earlier runs found dead and marked
    log_path: str = ""
    report_path: str = ""
    seconds: float = 0.0


def _start_run(store: Store, result: RunResult, command: str, settings: Settings) -> None:
    store.upsert("runs", [{"run_id": result.run_id, "command": command, "started_at": datetime.now(timezone.utc),
                           "status": "running", "settings_hash": settings_hash(settings), "stage": "start",
                           "pid": os.getpid(), "hostname": socket.gethostname(), "log_path": result.log_path}])


def mark_interrupted_runs(store: Store) -> list[str]:
    """Mark runs still 'running' as 'interrupted'; only call while holding the run lock."""
    dead = [r["run_id"] for r in store.query("SELECT run_id FROM runs WHERE status = 'running' ORDER BY run_id")]
    if dead:
        store.con.execute(
            "UPDATE runs SET status = 'interrupted', summary = coalesce(summary, "
            "'Interrupted during stage ' || coalesce(stage, '?') || '; its work was completed by a later run.') "
            "WHERE run_id IN (SELECT unnest(?))", [dead])
    return dead


def _save_progress(store: Store, result: RunResult, stage: str) -> None:
    store.upsert("runs", [{"run_id": result.run_id, "stage": stage, "counts": result.counts,
                           "versions": result.versions, "stage_seconds": result.stage_seconds}])


def _finish_run(store: Store, result: RunResult) -> None:
    result.failures = {r["reason"]: r["n"] for r in store.query(
        "SELECT reason, count(*) AS n FROM failures WHERE run_id = ? GROUP BY reason ORDER BY n DESC, reason",
        [result.run_id])}
    row = {"run_id": result.run_id, "finished_at": datetime.now(timezone.utc), "status": result.status,
           "counts": result.counts, "failures": result.failures, "versions": result.versions,
           "stage_seconds": result.stage_seconds, "summary": result.summary or None}
    if result.status == "ok":
        row["stage"] = "done"  # otherwise the stage it stopped in stays
    store.upsert("runs", [row])


def summarise(result: RunResult, store: Store) -> str:
    """One paragraph for cron mail and logs."""
    total = store.scalar("SELECT count(*) FROM articles")
    on_topic = store.scalar("SELECT count(*) FROM articles WHERE is_relevant")
    fails = ", ".join(f"{n} {r}" for r, n in result.failures.items()) or "none"
    c = result.counts
    resumed = (f" Resumed after interrupted run(s) {', '.join(result.interrupted)}." if result.interrupted else "")
    tail = f" Log: {result.log_path}." if result.log_path else ""
    if result.report_path:
        tail += f" Report: {result.report_path}."
    return (f"Run {result.run_id} {result.status} in {result.seconds:.0f} s: discovered {c.get('discovered', 0)} URLs "
            f"({c.get('new_urls', 0)} new), fetched {c.get('fetched', 0)} pages, extracted "
            f"{c.get('extracted', 0)} articles, analysed {c.get('analysed', 0)}, "
            f"classified {c.get('classified', 0)} (student {result.versions.get('student', '-')}). "
            f"Database now holds {total} articles, {on_topic} on topic. Failures: {fails}.{resumed}{tail}")


class _Stages:
    """Runs the stages of one run: log, timing, progress saved in `runs`, snapshot after each."""

    def __init__(self, store: Store, result: RunResult, log: RunLog, settings: Settings,
                 progress: ProgressFactory):
        self.store, self.result, self.log, self.settings, self.progress = store, result, log, settings, progress
        self.snapshot_each = bool(settings["nightly.snapshot_each_stage"])

    @contextmanager
    def __call__(self, name: str, publish: bool = True) -> Iterator[Callable[[int, int], None]]:
        """Run one stage; ``publish=False`` for stages that do not write the database."""
        started = time.perf_counter()
        before = dict(self.result.counts)
        self.log.event("stage_start", stage=name)
        _save_progress(self.store, self.result, name)
        try:
            yield self.log.progress(name, self.progress(name), self.settings["nightly.progress_log_seconds"])
            if publish:
                # The queries' derived keys, days and aggregates (pipeline/store/derived.py), brought up
                # to date before readers see the stage's rows; cheap when the stage changed nothing.
                from .store.derived import refresh_derived

                self.log.event("derived", stage=name, **refresh_derived(self.store))
        except BaseException as exc:
            self.log.event("stage_error", level=logging.ERROR, exc_info=True, stage=name, error=f"{type(exc).__name__}: {exc}")
            raise
        if self.snapshot_each and publish:
            self.publish(name)
        self.result.stage_seconds[name] = round(time.perf_counter() - started, 3)
        _save_progress(self.store, self.result, name)
        changed = {k: v for k, v in self.result.counts.items() if before.get(k) != v}
        self.log.event("stage_end", stage=name, seconds=self.result.stage_seconds[name], counts=changed)

    def publish(self, after: str) -> None:
        """Publish the read-only snapshot and log it."""
        info = publish_snapshot(self.store, self.settings["store.snapshot_path"])
        self.log.event("snapshot", after=after, path=self.settings["store.snapshot_path"], **info)


def _versions(result: RunResult) -> None:
    import duckdb

    from . import __version__

    result.versions.update(veille=__version__, duckdb=duckdb.__version__,
                           python=platform.python_version())


def run_nightly(settings: Settings, progress: ProgressFactory | None = None, command: str = "nightly",
                reprocess: bool = False) -> RunResult:
    """Run every stage once against the configured outlets; return counts and the summary.

    With ``reprocess`` nothing is fetched: every archived page is extracted and analysed again
    from the WARC files (after an extractor or model upgrade).
    """
    from .collect import collect
    from .extract import extract_pending, extractor_versions
    from .distill import classify_stage
    from .nlp import analyse_pending, build_for_run, pipeline_version
    from .store.search import ensure_index

    progress = progress or (lambda name: None)
    outlets = load_sources(settings["sources.file"])
    topic = load_topic(settings["topic.file"])
    db_path = settings["store.path"]
    with run_lock(db_path), open_store(db_path) as store:
        started = time.perf_counter()
        result = RunResult(run_id=new_run_id(), status="running")
        log = RunLog(settings["nightly.log_dir"], result.run_id)
        result.log_path = str(log.path)
        stage = _Stages(store, result, log, settings, progress)
        try:
            result.interrupted = mark_interrupted_runs(store)
            _start_run(store, result, command, settings)
            _versions(result)
            log.event("run_start", command=command, pid=os.getpid(), db=str(db_path),
                      settings_hash=settings_hash(settings), resumes=result.interrupted)
            with stage("collect") as bar:
                if reprocess:
                    n = store.con.execute("UPDATE pages SET extract_status = 'pending'").fetchone()[0]
                    result.counts["reprocess_pages"] = n
                else:
                    stats = collect(outlets, settings.section("collect"), store, result.run_id,
                                    settings["store.archive_dir"], bar)
                    result.counts.update(discovered=stats.discovered, new_urls=stats.new_urls, fetched=stats.fetched,
                                         sources_not_modified=stats.sources_not_modified, **stats.feed_stats)
            with stage("extract") as bar:
                ex = extract_pending(store, settings.section("extract"), topic, result.run_id,
                                     settings["store.archive_dir"], bar)
                result.counts["extracted"] = ex["articles"]
                result.counts["syndicated_copies_found"] = ex["syndicated_copies_found"]
                result.versions["extractor"] = extractor_versions()
            with stage("index"):
                idx = ensure_index(store, result.run_id)
                result.counts.update(search_index_rebuilt=idx["rebuilt"], search_documents_indexed=idx["indexed"],
                                     search_documents=idx["documents"])
            with stage("analyse") as bar:
                # Trains the bundled sentiment/stance models first when they are missing (logged); a
                # corrupt model folder becomes a failure row and the stage keeps entities and claims.
                nlp = build_for_run(settings, topic, store, result.run_id,
                                    lambda msg: log.event("analyse_models", level=logging.WARNING, message=msg))
                result.versions["nlp"] = pipeline_version(nlp)
                an = analyse_pending(store, nlp, result.run_id, settings["nlp.batch_size"], bar,
                                     n_process=settings["nlp.n_process"], max_chars=settings["nlp.max_chars"])
                result.counts.update(analysed=an["articles"], mentions=an["mentions"], claims=an["claims"],
                                     annotations=an["annotations"])
            with stage("classify") as bar:
                # The distilled student scores every stored article (trained first if none exists).
                # It is retrained when the teacher (the analysis version just used) changed (distill.retrain).
                counts, result.versions["student"] = classify_stage(
                    store, settings, topic, result.run_id, bar, teacher=result.versions.get("nlp"),
                    say=lambda msg: log.event("student_model", message=msg))
                result.counts.update(counts)
            if settings["nightly.report"]:
                with stage("report", publish=False):
                    result.report_path = _report(store, settings, result)
            result.status = "ok"
        except BaseException as exc:
            # Ctrl-C or SIGTERM (systemd stop) leaves a resumable run; anything else is a failure.
            result.status = "interrupted" if isinstance(exc, (KeyboardInterrupt, SystemExit)) else "failed"
            result.seconds = time.perf_counter() - started
            try:
                result.summary = (f"Run {result.run_id} {result.status} during stage "
                                  f"{_current_stage(store, result.run_id)}: {type(exc).__name__}: {exc}")
                _finish_run(store, result)
            except Exception as inner:  # e.g. the database connection died with the stage: keep the cause
                log.event("finish_error", level=logging.ERROR, error=f"{type(inner).__name__}: {inner}")
            log.event("run_end", level=logging.ERROR, status=result.status, summary=result.summary)
            log.close()
            raise
        result.seconds = time.perf_counter() - started
        _finish_run(store, result)
        result.summary = summarise(result, store)
        store.upsert("runs", [{"run_id": result.run_id, "summary": result.summary}])
        stage.publish("run_end")  # the snapshot also gets the final run row (status, summary)
        log.event("run_end", status=result.status, seconds=round(result.seconds, 3), counts=result.counts,
                  failures=result.failures, stage_seconds=result.stage_seconds, summary=result.summary)
        log.close()
    return result


def _current_stage(store: Store, run_id: str) -> str:
    return store.scalar("SELECT stage FROM runs WHERE run_id = ?", [run_id]) or "?"


def _report(store: Store, settings: Settings, result: RunResult) -> str:
    """Build the HTML report from the live connection (the run holds the only writer)."""
    from .report.html import build_report

    path = build_report(store.con, settings["report.out_dir"], settings["query.dir"],
                        period=settings["report.period"], run_id=result.run_id)
    result.counts["report_charts"] = path.charts
    return str(path.index)
