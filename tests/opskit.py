"""Helpers for operations tests: run `python -m pipeline` in subprocesses, watch their logs, kill them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def gold_sources(tmp: Path, name: str = "sources.toml") -> Path:
    """The corpus sources without the outlets' archive sitemaps: a run collects exactly the gold
    articles, which the tests compare the database with (the unlabelled archive articles are the
    backfill of `make run`; tests/test_corpus.py checks they are served)."""
    text = re.sub(r',?\s*"[^"]*/sitemap-archives\.xml"', "", (CORPUS / "sources.toml").read_text("utf-8"))
    path = tmp / name
    path.write_text(text, "utf-8")
    return path


def fast_sources(tmp: Path) -> Path:
    """The gold sources with a higher request rate per outlet (tests need not be polite to 127.0.0.1)."""
    text = gold_sources(tmp).read_text("utf-8")
    text = re.sub(r"requests_per_second = [0-9.]+", "requests_per_second = 40.0", text)
    text = re.sub(r"concurrency = [0-9]+", "concurrency = 4", text)
    path = tmp / "sources.toml"
    path.write_text(text, "utf-8")
    return path


def as_cli(settings) -> list[str]:
    """``--set`` options reproducing ``settings`` (every key) for a `python -m pipeline` subprocess."""
    import json

    out: list[str] = []
    for section, values in settings.data.items():
        for key, value in values.items():
            literal = ("true" if value else "false") if isinstance(value, bool) else json.dumps(value, ensure_ascii=False)
            out += ["--set", f"{section}.{key}={literal}"]
    return out


def run_settings(base, tmp: Path, proxy: str, sources: Path | None = None, *extra: str):
    """``base`` settings (the reference run's: same models, same extraction) with every file of the
    run under ``tmp``, a fresh database, and a progress line in the log after every item."""
    from pipeline.config import load_settings

    overrides = [f"store.path={tmp / 'veille.duckdb'}", f"store.archive_dir={tmp / 'archive'}",
                 f"store.snapshot_path={tmp / 'veille.snapshot.duckdb'}", f"nightly.log_dir={tmp / 'logs'}",
                 f"report.out_dir={tmp / 'report'}", f"sources.file={sources or gold_sources(tmp, 'gold-sources.toml')}",
                 f"collect.proxy={proxy}", "nightly.progress_log_seconds=0.0", *extra]
    args = [a for a in as_cli(base) if a != "--set"]
    return load_settings(None, [*args, *overrides], environ={})


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    """Start ``python -m pipeline ARGS`` (from ``cwd``, so relative defaults stay in tmp)."""
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline ARGS`` to completion."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=_env())


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("VEILLE_CONFIG", None)
    return env


def events(log_dir: Path, since: float = 0.0) -> list[dict]:
    """Every event of the run logs in ``log_dir`` modified after ``since`` (a time.time())."""
    out = []
    if not log_dir.exists():
        return out
    for path in sorted(log_dir.glob("*.jsonl")):
        if path.stat().st_mtime < since:
            continue
        for line in path.read_text("utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # the line being written right now
                pass
    return out


def wait_for(predicate: Callable[[], bool], proc: subprocess.Popen | None, timeout: float, what: str) -> None:
    """Poll until ``predicate()``; fail if the process ended first or the time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended (rc={proc.returncode}) before {what}:\n{proc.stderr.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def progress_at(log_dir: Path, since: float, stage: str, fraction: float) -> Callable[[], bool]:
    """Predicate: a progress event of ``stage`` has reached ``fraction`` of its items (and not all)."""
    def check() -> bool:
        for e in events(log_dir, since):
            if e.get("event") == "progress" and e.get("stage") == stage and e["total"]:
                if fraction * e["total"] <= e["done"] < e["total"]:
                    return True
        return False
    return check


def kill9(proc: subprocess.Popen) -> None:
    """SIGKILL: no cleanup of any kind runs in the process."""
    proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
