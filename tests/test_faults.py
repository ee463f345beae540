"""The nightly run against a faulty web: the real corpus, with a faults file making some of its real
URLs misbehave. The run completes, each fault is a `failures` row with its reason, and every
good article is still stored (pages that were slow, flaky or mislabelled included)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import pytest

from conftest import CORPUS, make_settings
from opskit import fast_sources
from pipeline.collect.discover import parse_feed, parse_sitemap
from pipeline.config import load_sources
from pipeline.nightly import run_nightly
from pipeline.replay import ReplayServer
from pipeline.store import open_store

# A full nightly run over the faulty corpus (a minute or two): deselect with -m "not slow".
pytestmark = pytest.mark.slow

SKIP = {"missing_404", "empty_body"}
# fault kind -> (extra TOML parameters, expected failure reason or None when the page must be stored)
ARTICLE_FAULTS = {
    "status": ("status = 500", "http_error"),
    "timeout": ("seconds = 3", "timeout"),
    "slow_body": ("seconds = 40", "timeout"),  # a chunk every 2 s: past the 1 s read timeout
    "reset": ("", "connection_error"),
    "gzip_bomb": ("size = 40000000", "too_large"),
    "huge": ("size = 4000000", "too_large"),
    "redirect_loop": ("", "too_many_redirects"),
    "robots_disallow": ("", "robots_disallowed"),  # put on the host's robots.txt
    "flaky": ('status = 503\nretry_after = "0"\ntimes = 1', None),
    "delay": ("seconds = 0.5", None),  # slow, but within the 1 s read timeout
    "wrong_charset": ("", None),
}


def _entries(manifest: dict, url: str, kind: str) -> set[str]:
    body = (CORPUS / "site" / manifest[url]["file"]).read_bytes()
    parser = parse_feed if kind == "feed" else parse_sitemap
    return {e.url for e in parser(body, url, "x", datetime.now(timezone.utc), {})}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, gold):
    tmp = tmp_path_factory.mktemp("faulty")
    manifest = {e["url"]: e for e in json.loads((CORPUS / "site" / "manifest.json").read_text("utf-8"))["entries"]}
    sources = fast_sources(tmp)
    outlets = load_sources(sources)
    # feed faults only where the outlet's other source lists every article, so none is lost
    feed_fault = sitemap_fault = None
    for o in outlets:
        if not (o.feeds and o.sitemaps):
            continue
        feed, sitemap = _entries(manifest, o.feeds[0], "feed"), _entries(manifest, o.sitemaps[0], "sitemap")
        if feed_fault is None and feed <= sitemap:
            feed_fault = o.feeds[0]
        elif sitemap_fault is None and sitemap <= feed:
            sitemap_fault = o.sitemaps[0]
    assert feed_fault and sitemap_fault, "the corpus no longer has outlets whose feed and sitemap overlap"
    # one plain article per fault, from different outlets where possible
    plain = [g for g in gold if g["served"] and not g["special"] and g["language"] == "fr"]
    chosen: dict[str, dict] = {}
    used_hosts: set[str] = set()
    for kind in ARTICLE_FAULTS:
        pick = next((g for g in plain if g not in chosen.values() and g["url"].split("/")[2] not in used_hosts), None) \
            or next(g for g in plain if g not in chosen.values())
        chosen[kind] = pick
        used_hosts.add(pick["url"].split("/")[2])
    lines = []
    for kind, (params, _) in ARTICLE_FAULTS.items():
        url = chosen[kind]["url"]
        if kind == "robots_disallow":
            host = url.split("/")[2]
            path = "/" + url.split("/", 3)[3]
            lines += ["[[faults]]", f'url = "http://{host}/robots.txt"', 'kind = "robots_disallow"', f'disallow = ["{path}"]']
        else:
            lines += ["[[faults]]", f'url = "{url}"', f'kind = "{kind}"', params]
    lines += ["[[faults]]", f'url = "{feed_fault}"', 'kind = "billion_laughs"',
              "[[faults]]", f'url = "{sitemap_fault}"', 'kind = "malformed_xml"']
    faults = tmp / "faults.toml"
    faults.write_text("\n".join(lines) + "\n", "utf-8")
    with ReplayServer(CORPUS, faults_file=faults) as server:
        settings = make_settings(tmp, server.url, f"sources.file={sources}", "collect.read_timeout=1.0",
                                 "collect.retries=1", "collect.backoff_seconds=0.05", "collect.max_body_bytes=3000000",
                                 # the analysis and the report are not under test here: nothing is
                                 # relevant (the analysis has nothing to do), no report
                                 "extract.relevance_threshold=1000.0", "nightly.report=false")
        started = time.monotonic()
        result = run_nightly(settings)
        seconds = time.monotonic() - started
    return {"settings": settings, "result": result, "chosen": chosen, "feed": feed_fault,
            "sitemap": sitemap_fault, "seconds": seconds}


def test_the_run_completes(faulty):
    assert faulty["result"].status == "ok"
    assert faulty["seconds"] < 600


def test_each_fault_is_a_failure_row_with_its_reason(faulty):
    with open_store(faulty["settings"]["store.path"], read_only=True) as store:
        reasons = {}
        for r in store.query("SELECT item, reason, stage FROM failures"):
            reasons.setdefault(r["item"], set()).add(r["reason"])
    for kind, (_, reason) in ARTICLE_FAULTS.items():
        url = faulty["chosen"][kind]["url"]
        if reason is None:
            assert url not in reasons, (kind, reasons.get(url))
        else:
            assert reasons.get(url) == {reason}, (kind, url, reasons.get(url))
    assert reasons[faulty["feed"]] == {"feed_error"}  # entity expansion refused, not expanded
    assert reasons[faulty["sitemap"]] == {"feed_error"}


def test_every_good_article_is_still_stored(faulty, gold):
    failed_on_purpose = {g["url"] for k, g in faulty["chosen"].items() if ARTICLE_FAULTS[k][1]}
    with open_store(faulty["settings"]["store.path"], read_only=True) as store:
        stored = {r["url"]: r for r in store.query("SELECT url, title, text FROM articles")}
        dup = {r["item"] for r in store.query("SELECT item FROM failures WHERE reason = 'duplicate'")}
    good = [g for g in gold if g["served"] and not SKIP & set(g["special"]) and g["url"] not in failed_on_purpose]
    missing = [g["url"] for g in good if g["url"] not in stored and g["url"] not in dup]
    assert missing == []
    # the page served as windows-1252 while declaring UTF-8 was decoded right
    mislabelled = faulty["chosen"]["wrong_charset"]
    text = stored[mislabelled["url"]]["text"]
    assert stored[mislabelled["url"]]["title"] == mislabelled["title"]
    assert all(s in text for s in mislabelled["must_contain"]) and "Ã" not in text
