"""Collection against the real replay server: politeness, robots, conditional GET, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.collect import collect
from pipeline.collect.http import decode_html
from pipeline.config import load_settings, load_sources
from pipeline.errors import CollectError
from pipeline.replay import ReplayServer
from pipeline.store import open_store

from sitekit import SiteKit, article_html, rss

FAULTS = """
[[faults]]
url = "http://a.test/slow"
kind = "timeout"
seconds = 3
[[faults]]
url = "http://a.test/boom"
kind = "status"
status = 500
[[faults]]
url = "http://a.test/flaky"
kind = "flaky"
status = 503
retry_after = "0"
times = 1
[[faults]]
url = "http://a.test/huge"
kind = "huge"
size = 3000000
[[faults]]
url = "http://a.test/bomb"
kind = "gzip_bomb"
size = 50000000
[[faults]]
url = "http://a.test/loop"
kind = "redirect_loop"
[[faults]]
url = "http://a.test/reset"
kind = "reset"
"""


@pytest.fixture
def site(tmp_path):
    kit = SiteKit(tmp_path / "web")
    a_items = [(f"/ok{i}", f"Article {i}") for i in range(3)] + [
        ("/missing", "Absent"), ("/private/secret", "Interdit"), ("/slow", "Lent"), ("/boom", "Erreur"),
        ("/flaky", "Instable"), ("/huge", "Énorme"), ("/bomb", "Bombe"), ("/loop", "Boucle"), ("/reset", "Coupé"),
        ("/doc.pdf", "PDF")]
    kit.add("http://a.test/rss.xml", rss("a.test", a_items), "application/rss+xml")
    kit.add("http://a.test/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    for path, title in a_items:
        if path not in ("/missing",):
            kit.add(f"http://a.test{path}", article_html(title))
    kit.add("http://a.test/doc.pdf", b"%PDF-1.4 binary", "application/pdf")
    b_items = [(f"/b{i}", f"Dépêche {i}") for i in range(6)]
    kit.add("http://b.test/rss.xml", rss("b.test", b_items), "application/rss+xml")
    for path, title in b_items:
        kit.add(f"http://b.test{path}", article_html(title))
    root = kit.write()
    (root / "faults.toml").write_text(FAULTS)
    sources = kit.sources([{"id": "a", "host": "a.test", "rps": 50.0, "concurrency": 4},
                           {"id": "b", "host": "b.test", "rps": 5.0, "concurrency": 1}])
    with ReplayServer(root, faults_file=root / "faults.toml") as server:
        yield server, sources, tmp_path


def _settings(tmp: Path, proxy: str):
    return load_settings(None, [f"collect.proxy={proxy}", "collect.read_timeout=1.0", "collect.retries=1",
                                "collect.backoff_seconds=0.05", "collect.max_body_bytes=2000000"], environ={})


def test_collect_records_each_failure_and_keeps_good_pages(site):
    server, sources, tmp = site
    settings = _settings(tmp, server.url)
    with open_store(tmp / "v.duckdb") as store:
        stats = collect(load_sources(sources), settings.section("collect"), store, "run1", str(tmp / "archive"))
        reasons = {r["item"].rsplit("/", 1)[-1]: r["reason"] for r in store.query("SELECT item, reason FROM failures")}
        fetched = {r["url"] for r in store.query("SELECT url FROM pages")}
    assert reasons == {
        "missing": "http_error", "secret": "robots_disallowed", "slow": "timeout", "boom": "http_error",
        "huge": "too_large", "bomb": "too_large", "loop": "too_many_redirects", "reset": "connection_error",
        "doc.pdf": "not_html",
    }
    good = {f"http://a.test/ok{i}" for i in range(3)} | {f"http://b.test/b{i}" for i in range(6)} | {"http://a.test/flaky"}
    assert fetched == good  # the flaky page succeeded on retry
    assert stats.fetched == len(good)
    assert [p for _, _, p, _ in server.log.for_host("a.test")].count("/robots.txt") == 1  # cached per run


def test_politeness_spacing_per_host_and_hosts_in_parallel(site):
    server, sources, tmp = site
    settings = _settings(tmp, server.url)
    with open_store(tmp / "v.duckdb") as store:
        collect(load_sources(sources), settings.section("collect"), store, "run1", str(tmp / "archive"))
    b_times = sorted(t for t, _, _, _ in server.log.for_host("b.test"))
    gaps = [b - a for a, b in zip(b_times, b_times[1:])]
    assert len(b_times) >= 8  # robots + feed + 6 pages
    # b.test allows 5 requests per second, one at a time: the achieved rate stays under it, and no
    # two requests arrive in a burst (arrival times at the server jitter by a few tens of ms).
    achieved = (len(b_times) - 1) / (b_times[-1] - b_times[0])
    assert achieved <= 5.0 * 1.05
    assert min(gaps) >= 0.2 * 0.5
    a_times = [t for t, _, _, _ in server.log.for_host("a.test")]
    # a.test was served while b.test was still being paced: hosts are fetched concurrently
    assert min(a_times) < max(b_times) and max(a_times) > min(b_times)


def test_second_run_is_incremental_with_conditional_get(site):
    server, sources, tmp = site
    settings = _settings(tmp, server.url)
    with open_store(tmp / "v.duckdb") as store:
        collect(load_sources(sources), settings.section("collect"), store, "run1", str(tmp / "archive"))
        pages = store.scalar("SELECT count(*) FROM pages")
        before = len(server.log.items)
        stats = collect(load_sources(sources), settings.section("collect"), store, "run2", str(tmp / "archive"))
        assert store.scalar("SELECT count(*) FROM pages") == pages
    second = server.log.items[before:]
    feed_statuses = [s for _, _, p, s in second if p == "/rss.xml"]
    assert feed_statuses == [304, 304]
    assert stats.sources_not_modified == 2 and stats.fetched == 0
    assert not [p for _, _, p, _ in second if p.startswith(("/ok", "/b"))]  # nothing re-fetched


def test_archive_holds_every_fetched_page(site):
    from pipeline.collect.archive import read_record

    server, sources, tmp = site
    settings = _settings(tmp, server.url)
    with open_store(tmp / "v.duckdb") as store:
        collect(load_sources(sources), settings.section("collect"), store, "run1", str(tmp / "archive"))
        rows = store.query("SELECT url, warc_path, warc_offset, body_sha256 FROM pages")
    import hashlib

    for row in rows:
        url, headers, body = read_record(tmp / "archive" / row["warc_path"], row["warc_offset"])
        assert url == row["url"] and hashlib.sha256(body).hexdigest() == row["body_sha256"]
        assert headers["content-type"].startswith("text/html")


def test_unreachable_proxy_is_a_failure_not_a_crash(tmp_path):
    kit = SiteKit(tmp_path / "web")
    sources = kit.sources([{"id": "a", "host": "a.test"}])
    settings = load_settings(None, ["collect.proxy=http://127.0.0.1:9", "collect.retries=0"], environ={})
    with open_store(tmp_path / "v.duckdb") as store:
        stats = collect(load_sources(sources), settings.section("collect"), store, "r", str(tmp_path / "arch"))
        assert store.query("SELECT stage, reason FROM failures") == [{"stage": "discover", "reason": "connection_error"}]
    assert stats.fetched == 0


def test_charset_from_header_meta_or_detection():
    text = "L'été à Genève : éléphants, œuvres et déjà-vu. " * 20
    assert decode_html(text.encode("utf-8"), "text/html; charset=utf-8") == (text, "utf-8")
    meta = f'<meta charset="iso-8859-1"><p>{text}</p>'.replace("œ", "oe")
    decoded, enc = decode_html(meta.encode("latin-1"), "text/html")
    assert "Genève" in decoded and enc == "iso-8859-1"
    # declared UTF-8 but really windows-1252: detection takes over
    wrong = f"<p>{text}</p>".encode("cp1252")
    decoded, enc = decode_html(wrong, "text/html; charset=utf-8")
    assert "Genève" in decoded and "œuvres" in decoded


def _atom(host: str, updated: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{host}</title>'
            f'<entry><title>Mis à jour</title><link href="http://{host}/live"/><id>live</id>'
            f'<published>2025-01-29T08:00:00+01:00</published><updated>{updated}</updated></entry></feed>')


def test_entry_updated_after_fetch_is_fetched_again(tmp_path):
    from datetime import datetime, timezone

    def serve(version: str, updated: str):
        kit = SiteKit(tmp_path / f"web-{version}")
        kit.add("http://u.test/rss.xml", _atom("u.test", updated), "application/atom+xml")
        kit.add("http://u.test/live", article_html(f"Direct {version}"))
        kit.write()
        return kit

    kit1 = serve("v1", "2025-01-29T09:00:00+01:00")
    sources = kit1.sources([{"id": "u", "host": "u.test"}])
    with open_store(tmp_path / "v.duckdb") as store:
        with ReplayServer(kit1.root) as server:
            settings = _settings(tmp_path, server.url)
            collect(load_sources(sources), settings.section("collect"), store, "r1", str(tmp_path / "a"))
            first = store.scalar("SELECT body_sha256 FROM pages")
            unchanged = collect(load_sources(sources), settings.section("collect"), store, "r2", str(tmp_path / "a"))
        assert unchanged.fetched == 0
        import time

        time.sleep(1.1)  # the feed's <updated> has second precision: make it later than the fetch
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        kit2 = serve("v2", now)
        with ReplayServer(kit2.root) as server:
            settings = _settings(tmp_path, server.url)
            stats = collect(load_sources(sources), settings.section("collect"), store, "r3", str(tmp_path / "a"))
        assert stats.refetch_updated == 1 and stats.fetched == 1
        assert store.scalar("SELECT body_sha256 FROM pages") != first
        assert store.scalar("SELECT count(*) FROM pages") == 1
