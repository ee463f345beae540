"""The replay server answers for the corpus' hosts like the web does."""

from __future__ import annotations

import httpx


def test_serves_every_manifest_url_byte_for_byte(replay):
    import json
    from pathlib import Path

    site = Path(__file__).resolve().parents[1] / "corpus" / "site"
    entries = json.loads((site / "manifest.json").read_text())["entries"]
    with httpx.Client(proxy=replay.url, trust_env=False) as client:
        for entry in entries:
            resp = client.get(entry["url"])
            assert resp.status_code == entry.get("status", 200)
            if entry.get("file"):
                assert resp.content == (site / entry["file"]).read_bytes()


def test_unknown_url_is_404_and_conditional_get_is_304(replay):
    url = next(u for u in replay.urls if u.endswith((".xml", "/rss")) or "rss" in u or "feed" in u)
    with httpx.Client(proxy=replay.url, trust_env=False) as client:
        assert client.get("http://www.lhorizon.test/nexiste-pas").status_code == 404
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def test_server_stops_and_releases_the_port(tmp_path):
    from pipeline.replay import ReplayServer
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    server = ReplayServer(corpus).start()
    proxy = server.url
    server.stop()
    try:
        httpx.get("http://www.lhorizon.test/", proxy=proxy, timeout=1.0, trust_env=False)
        raise AssertionError("server still answering")
    except httpx.TransportError:
        pass
