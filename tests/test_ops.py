"""Nightly operations for real: runs killed with SIGKILL mid-stage and resumed, one run at a time,
readers never blocked, the structured log. Each `veille nightly` here is a separate process.

One scenario (module fixture) drives five runs against one database, killing the first four at
different points: during discovery (a feed held by a `delay` fault while the other outlets'
feeds are read), during fetching, during extraction, during analysis. The fifth completes. A
reader process queries the snapshot the whole time; a second nightly is started during run 2.
The result is compared with the uninterrupted run of the `nightly_run` fixture.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opskit import CORPUS, as_cli, events, fast_sources, kill9, progress_at, run, run_settings, start, wait_for
from pipeline.config import load_sources
from pipeline.replay import ReplayServer
from pipeline.store import open_store

# Several full nightly runs in subprocesses (minutes): deselect with -m "not slow" for quick checks.
pytestmark = pytest.mark.slow

READER = r"""
import json, sys, time, os, duckdb
snap, stop = sys.argv[1], sys.argv[2]
ok = errors = missing = 0
seen_running = 0
messages = []
while not os.path.exists(stop):
    if not os.path.exists(snap):
        missing += 1
        time.sleep(0.05)
        continue
    try:
        con = duckdb.connect(snap, read_only=True)
        con.execute("SELECT count(*) FROM articles").fetchone()
        status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        seen_running += bool(status and status[0] == "running")
        con.close()
        ok += 1
    except Exception as exc:
        errors += 1
        messages.append(f"{type(exc).__name__}: {exc}"[:300])
    time.sleep(0.05)
print(json.dumps({"ok": ok, "errors": errors, "missing": missing, "seen_running": seen_running,
                  "messages": messages[:5]}))
"""


def _served(server: ReplayServer, urls: set[str]) -> set[str]:
    got = {f"http://{host}{path}" for _, host, path, _ in server.log.items}
    return urls & got


@pytest.fixture(scope="module")
def chain(tmp_path_factory, replay, nightly_run):
    # The reference run goes first; these runs use its settings (the same bundled models and
    # student, already trained) with their own database and files.
    base, _ = nightly_run
    tmp = tmp_path_factory.mktemp("chain")
    sources = fast_sources(tmp)
    logs = tmp / "logs"
    outlets = load_sources(sources)
    obs: dict = {"tmp": tmp, "logs": logs, "kills": []}
    stop = tmp / "stop-reader"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp / "veille.snapshot.duckdb"), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        # Run 1: killed during discovery. The first outlet's feed answers only after 60 s; the
        # other outlets' feeds and sitemaps are all read meanwhile, then the process is killed.
        held = outlets[0].feeds[0]
        faults = tmp / "delay.toml"
        faults.write_text(f'[[faults]]\nurl = "{held}"\nkind = "delay"\nseconds = 60\n', "utf-8")
        others = {u for o in outlets[1:] for u in (*o.feeds, *o.sitemaps)}
        with ReplayServer(CORPUS, faults_file=faults) as slow:
            t0 = time.time()
            held_settings = run_settings(base, tmp, slow.url, sources, "collect.read_timeout=90.0")
            p = start([*as_cli(held_settings), "nightly", "--quiet"], tmp)
            wait_for(lambda: _served(slow, others) == others, p, 180, "the other outlets' feeds")
            time.sleep(1.0)  # their entries are parsed: only the held outlet keeps discovery going
            kill9(p)
            obs["kills"].append("discover")
        settings = as_cli(run_settings(base, tmp, replay.url, sources))
        args = [*settings, "nightly", "--quiet"]

        # Run 2: killed while fetching pages.
        t0 = time.time()
        p = start(args, tmp)
        wait_for(progress_at(logs, t0, "collect", 0.3), p, 300, "fetching 30 % of the pages")
        kill9(p)
        obs["kills"].append("collect")

        # Run 3: killed while extracting.
        t0 = time.time()
        p = start(args, tmp)
        wait_for(progress_at(logs, t0, "extract", 0.3), p, 300, "extracting 30 % of the pages")
        kill9(p)
        obs["kills"].append("extract")

        # Run 4: during analysis (the longest stage) a second run must refuse at once, and an
        # analyst's `veille query` reads the snapshot; then it is killed after a committed batch.
        t0 = time.time()
        p = start(args, tmp)
        wait_for(lambda: any(e["event"] == "stage_start" and e["stage"] == "analyse" for e in events(logs, t0)),
                 p, 300, "the analysis stage")
        started = time.monotonic()
        obs["second"] = run(args, tmp, timeout=120)
        obs["second_seconds"] = time.monotonic() - started
        obs["first_still_running"] = p.poll() is None
        obs["query_during_run"] = run([*settings, "query", "runs", "--format", "json"], tmp)
        wait_for(progress_at(logs, t0, "analyse", 0.15), p, 600, "analysing 15 % of the articles")
        assert p.poll() is None, "run 4 ended before it could be killed during analysis"
        kill9(p)
        obs["kills"].append("analyse")

        # Run 5: completes.
        obs["final"] = run(args, tmp, timeout=900)
    finally:
        stop.write_text("")
        out, _ = reader.communicate(timeout=60)
    obs["reader"] = json.loads(out.strip().splitlines()[-1])
    return obs


def test_killed_runs_are_marked_interrupted_and_the_last_completes(chain):
    final = chain["final"]
    assert final.returncode == 0, final.stderr[-3000:]
    assert "Resumed after interrupted run" in final.stdout
    with open_store(chain["tmp"] / "veille.duckdb", read_only=True) as store:
        runs = store.query("SELECT status, stage, finished_at FROM runs ORDER BY started_at")
    assert [r["status"] for r in runs] == ["interrupted"] * 4 + ["ok"]
    # where each killed run was when it died
    assert [r["stage"] for r in runs[:4]] == ["collect", "collect", "extract", "analyse"]
    assert runs[-1]["stage"] == "done" and runs[-1]["finished_at"] is not None


FIELDS = ["url", "canonical_url", "outlet_id", "title", "text", "published_at", "language", "is_relevant",
          "cluster_id", "is_syndicated_copy", "nlp_version", "mentions"]


def _articles(path: Path) -> dict[str, tuple]:
    with open_store(path, read_only=True) as store:
        rows = store.con.execute(
            f"SELECT article_id, {', '.join(FIELDS[:-1])}, "
            "(SELECT count(*) FROM mentions m WHERE m.article_id = a.article_id) AS mentions "
            "FROM articles a").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_resumed_database_matches_an_uninterrupted_run(chain, nightly_run):
    settings, _ = nightly_run
    resumed = _articles(chain["tmp"] / "veille.duckdb")
    reference = _articles(Path(settings["store.path"]))
    assert set(resumed) == set(reference), "articles lost or added by the interruptions"
    different = {k: [(FIELDS[i], a, b) for i, (a, b) in enumerate(zip(resumed[k], reference[k])) if a != b]
                 for k in reference if resumed[k] != reference[k]}
    assert different == {}
    with open_store(chain["tmp"] / "veille.duckdb", read_only=True) as store:
        # none duplicated: one article per URL and per canonical URL, one page per URL
        assert store.scalar("SELECT count(*) - count(DISTINCT url) FROM articles") == 0
        assert store.scalar("SELECT count(*) - count(DISTINCT canonical_url) FROM articles") == 0
        assert store.scalar("SELECT count(*) - count(DISTINCT url) FROM pages") == 0
        # nothing left half-done, and every archived page is readable (the WARC offsets are valid)
        assert store.scalar("SELECT count(*) FROM discovered WHERE state = 'new'") == 0
        assert store.scalar("SELECT count(*) FROM pages WHERE extract_status = 'pending'") == 0
        assert store.scalar("SELECT count(*) FROM failures WHERE reason = 'archive_error'") == 0
        resumed_failures = {(r["item"], r["reason"]) for r in store.query("SELECT item, reason FROM failures")}
    with open_store(settings["store.path"], read_only=True) as store:
        first = store.scalar("SELECT min(run_id) FROM runs")
        reference_failures = {(r["item"], r["reason"]) for r in store.query(
            "SELECT item, reason FROM failures WHERE run_id = ?", [first])}
    assert resumed_failures == reference_failures


def test_a_second_concurrent_run_refuses_at_once_with_exit_code_3(chain):
    second = chain["second"]
    assert second.returncode == 3, second.stderr
    assert "Another Veille run is writing" in second.stderr and "pid" in second.stderr
    assert "Traceback" not in second.stderr
    # it answered while the first run still held the lock: it refused instead of waiting
    assert chain["first_still_running"], chain["second_seconds"]


def test_readers_are_never_blocked_while_a_run_writes(chain):
    reader = chain["reader"]
    assert reader["errors"] == 0, reader["messages"]
    assert reader["ok"] >= 20 and reader["seen_running"] >= 5  # it did read while runs were writing
    q = chain["query_during_run"]
    assert q.returncode == 0, q.stderr
    runs = json.loads(q.stdout)
    assert runs[0]["status"] == "running"  # the snapshot shows the run in progress


def test_structured_log_has_every_stage_and_the_run_row_points_to_it(chain):
    with open_store(chain["tmp"] / "veille.duckdb", read_only=True) as store:
        last = store.query("SELECT * FROM runs ORDER BY started_at DESC LIMIT 1")[0]
    log = [json.loads(line) for line in Path(last["log_path"]).read_text("utf-8").splitlines()]
    assert all({"ts", "level", "run_id", "event"} <= set(e) for e in log)
    assert {e["run_id"] for e in log} == {last["run_id"]}
    names = [e["event"] for e in log]
    assert names[0] == "run_start" and names[-1] == "run_end"
    assert len(log[0]["resumes"]) == 1  # the run killed just before it
    stages = [e["stage"] for e in log if e["event"] == "stage_end"]
    assert stages[:4] == ["collect", "extract", "index", "analyse"] and stages[-1] == "report"
    assert log[-1]["status"] == "ok" and log[-1]["summary"] == last["summary"]
    assert set(last["stage_seconds"]) == set(stages)
    assert {"veille", "duckdb", "python", "extractor", "nlp"} <= set(last["versions"])
    # the killed runs' logs end abruptly (no run_end), as SIGKILL allows no cleanup
    killed = [e for e in events(chain["logs"]) if e["run_id"] != last["run_id"] and e["event"] == "run_end"]
    assert killed == []


def test_sigterm_stops_a_run_cleanly_as_interrupted(replay, nightly_run, tmp_path):
    import signal

    t0 = time.time()
    settings = run_settings(nightly_run[0], tmp_path, replay.url, fast_sources(tmp_path))
    p = start([*as_cli(settings), "nightly", "--quiet"], tmp_path)
    wait_for(progress_at(tmp_path / "logs", t0, "collect", 0.2), p, 300, "fetching 20 % of the pages")
    p.send_signal(signal.SIGTERM)  # what systemctl stop and shutdown send
    started = time.monotonic()
    assert p.wait(timeout=120) == 143
    assert time.monotonic() - started < 60
    p.stdout.close(), p.stderr.close()
    with open_store(tmp_path / "veille.duckdb", read_only=True) as store:
        run = store.query("SELECT status, stage, finished_at, summary FROM runs")[0]
    assert run["status"] == "interrupted" and run["stage"] == "collect" and run["finished_at"] is not None
    log = events(tmp_path / "logs")
    assert log[-1]["event"] == "run_end" and log[-1]["status"] == "interrupted"
