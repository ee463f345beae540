"""Shared fixtures: the real corpus, the real replay server on 127.0.0.1, real DuckDB files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opskit import gold_sources
from pipeline.config import load_settings
from pipeline.replay import ReplayServer

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "extraction"


def load_gold() -> list[dict]:
    """The corpus' article gold records."""
    path = CORPUS / "gold" / "articles.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    return load_gold()


@pytest.fixture(scope="session")
def replay():
    """The replay proxy serving the bundled corpus for the whole test session."""
    with ReplayServer(CORPUS) as server:
        yield server


def make_settings(tmp: Path, proxy: str, *extra: str):
    """Settings for a test run: a fresh DuckDB file and archive under ``tmp``."""
    return load_settings(None, [
        f"store.path={tmp / 'veille.duckdb'}", f"store.archive_dir={tmp / 'archive'}",
        f"store.snapshot_path={tmp / 'veille.snapshot.duckdb'}",
        f"nightly.log_dir={tmp / 'logs'}", f"report.out_dir={tmp / 'report'}",
        f"distill.model_dir={tmp / 'student'}",
        # Bundled sentiment/stance models: trained once per session (tmp.parent is pytest's base temp).
        f"nlp.bundled_dir={tmp.parent / 'nlp-bundled'}",
        f"sources.file={gold_sources(tmp, 'gold-sources.toml')}", f"collect.proxy={proxy}",
        "collect.requests_per_second=50.0", *extra,
    ], environ={})


@pytest.fixture(scope="session")
def nightly_run(tmp_path_factory, replay):
    """One real nightly run over the whole corpus; returns (settings, RunResult)."""
    from pipeline.nightly import run_nightly

    tmp = tmp_path_factory.mktemp("nightly")
    settings = make_settings(tmp, replay.url)
    result = run_nightly(settings)
    return settings, result


@pytest.fixture
def nightly_copy(nightly_run, tmp_path):
    """A writable copy of the nightly run's database, opened as a Store (the session's stays untouched)."""
    import shutil

    from pipeline.store import open_store

    settings, _ = nightly_run
    path = tmp_path / "nightly-copy.duckdb"
    shutil.copy(settings["store.path"], path)
    with open_store(path) as store:
        yield store
