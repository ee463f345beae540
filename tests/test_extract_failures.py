"""Each extraction failure reason, served for real by the replay server from real corpus pages, through
collect() and extract_pending(): the bad page becomes a failures row, the run goes on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.collect import collect
from pipeline.config import load_settings, load_sources, load_topic
from pipeline.extract import extract_pending
from pipeline.replay import ReplayServer
from pipeline.store import open_store

from sitekit import SiteKit, rss

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


def _real(pred) -> tuple[dict, bytes]:
    manifest = CORPUS / "site" / "manifest.json"
    if not manifest.is_file():
        pytest.skip("corpus not rendered (run corpus/build.py)")
    entries = {e["url"]: e for e in json.loads(manifest.read_text("utf-8"))["entries"]}
    for line in (CORPUS / "gold" / "articles.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        if rec["served"] and rec["url"] in entries and pred(rec):
            return rec, (CORPUS / "site" / entries[rec["url"]]["file"]).read_bytes()
    pytest.skip("no such corpus page yet")


def _without_canonical(page: bytes) -> bytes:
    return re.sub(rb'<link rel="canonical"[^>]*>|<meta property="og:url"[^>]*>', b"", page)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One collect + extract over a small site of real pages, each one a failure case (or a good page)."""
    tmp = tmp_path_factory.mktemp("extract_failures")
    _, good = _real(lambda r: r["outlet"] == "horizon" and not r["special"] and r["on_topic"])
    _, other = _real(lambda r: r["outlet"] == "courrier-eco" and not r["special"])
    _, english = _real(lambda r: r["language"] == "en")
    _, video = _real(lambda r: "empty_body" in r["special"])
    pages = {
        "/good": good,                              # stored, clustered alone
        "/amp/good": good,                          # same rel=canonical as /good: duplicate
        "/plain": _without_canonical(other),        # no canonical link: its own URL is the key
        "/plain-copy": _without_canonical(other),   # same text, same outlet, other URL: duplicate
        "/english": english,                        # stored, flagged not_french
        "/video": video,                            # one caption line: empty_text
        "/blank": b"<!-- cache vide -->",           # nothing an HTML parser can build: parse_error
    }
    kit = SiteKit(tmp / "web")
    kit.add("http://f.test/rss.xml", rss("f.test", [(p, p) for p in pages]), "application/rss+xml")
    kit.add("http://f.test/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    for path, body in pages.items():
        kit.add(f"http://f.test{path}", body)
    root = kit.write()
    sources = kit.sources([{"id": "f", "host": "f.test", "rps": 50.0, "concurrency": 2}])
    settings = load_settings(None, [], environ={})
    with ReplayServer(root) as server, open_store(tmp / "v.duckdb") as store:
        cfg = dict(settings.section("collect"), proxy=server.url, requests_per_second=50.0)
        collect(load_sources(sources), cfg, store, "run1", str(tmp / "archive"))
        counts = extract_pending(store, settings.section("extract"), load_topic("openai_deepseek"), "run1",
                                 tmp / "archive")
        failures = {r["item"].split("f.test", 1)[1]: r["reason"] for r in store.query(
            "SELECT item, reason FROM failures WHERE stage = 'extract'")}
        articles = {r["url"].split("f.test", 1)[1]: r for r in store.query("SELECT * FROM articles")}
        statuses = {r["url"].split("f.test", 1)[1]: r["extract_status"] for r in store.query(
            "SELECT url, extract_status FROM pages")}
    return counts, failures, articles, statuses


def _pair(articles: dict, *paths: str) -> tuple[str, str]:
    """(kept, duplicate) among two URLs of one article: whichever was extracted first is kept."""
    kept = [p for p in paths if p in articles]
    assert len(kept) == 1
    return kept[0], next(p for p in paths if p != kept[0])


def test_each_failure_reason(run):
    _, failures, articles, _ = run
    _, dup_good = _pair(articles, "/good", "/amp/good")
    _, dup_plain = _pair(articles, "/plain", "/plain-copy")
    assert failures == {dup_good: "duplicate", dup_plain: "duplicate",
                        "/english": "not_french", "/video": "empty_text", "/blank": "parse_error"}


def test_the_run_goes_on_and_keeps_good_and_foreign_pages(run):
    counts, _, articles, statuses = run
    good, _ = _pair(articles, "/good", "/amp/good")
    plain, _ = _pair(articles, "/plain", "/plain-copy")
    assert set(articles) == {good, plain, "/english"}
    assert counts["articles"] == 3 and counts["not_french"] == 1
    assert statuses["/video"] == statuses["/blank"] == "failed" and statuses[good] == "done"
    assert statuses["/english"] == "done"  # stored: coverage counts it


def test_non_french_is_flagged_and_not_analysed(run):
    _, _, articles, _ = run
    en = articles["/english"]
    assert en["language"] == "en" and en["is_relevant"] is False  # analyse_pending takes is_relevant only
    good = articles[_pair(articles, "/good", "/amp/good")[0]]
    assert good["language"] == "fr" and good["is_relevant"] is True


def test_stored_articles_are_clustered(run):
    _, _, articles, _ = run
    for a in articles.values():
        assert a["cluster_id"] == a["article_id"] and a["is_syndicated_copy"] is False
