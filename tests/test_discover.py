"""Feed and sitemap parsing: entries without links, duplicates, future dates, hostile XML."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pipeline.collect.discover import parse_feed, parse_sitemap
from pipeline.collect.urls import normalise_url
from pipeline.errors import CollectError

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)

RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Sans lien</title><guid isPermaLink="false">abc</guid></item>
<item><title>Un</title><link>http://x.test/un?utm_source=rss&amp;id=4</link><pubDate>Wed, 29 Jan 2025 08:00:00 +0100</pubDate></item>
<item><title>Un bis</title><link>http://X.test/un?id=4&amp;xtor=RSS-1#haut</link></item>
<item><title>Futur</title><link>/futur</link><pubDate>Wed, 29 Jan 2031 08:00:00 +0100</pubDate></item>
</channel></rss>"""

BILLION_LAUGHS = """<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>http://x.test/a</link></item></channel></rss>"""


def test_feed_quirks_are_counted_not_fatal():
    stats: dict[str, int] = {}
    found = list(parse_feed(RSS.encode(), "http://x.test/rss.xml", "x", NOW, stats))
    assert [d.url for d in found] == ["http://x.test/un?id=4", "http://x.test/futur"]
    assert found[0].published_hint == datetime(2025, 1, 29, 7, 0, tzinfo=timezone.utc)
    assert found[1].published_hint is None  # a date in the future is not trusted
    assert stats == {"entries_without_link": 1, "duplicate_entries": 1, "future_dates": 1}


def test_hostile_feed_does_not_expand_entities():
    stats: dict[str, int] = {}
    try:
        found = list(parse_feed(BILLION_LAUGHS.encode(), "http://x.test/rss.xml", "x", NOW, stats))
    except CollectError as exc:
        assert exc.reason.value == "feed_error"
        return
    assert all(len(d.title) < 10_000 for d in found)


def test_garbage_feed_is_a_feed_error():
    with pytest.raises(CollectError) as err:
        list(parse_feed(b"<html><body>pas un flux</body>", "http://x.test/rss.xml", "x", NOW, {}))
    assert err.value.reason.value == "feed_error"


def test_news_sitemap():
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://x.test/a</loc><news:news><news:publication_date>2025-01-29T08:00:00+01:00</news:publication_date><news:title>A</news:title></news:news></url>
<url><loc>http://x.test/b</loc><lastmod>2025-02-01</lastmod></url>
<url><loc>http://x.test/a</loc></url><url><loc></loc></url></urlset>"""
    stats: dict[str, int] = {}
    found = list(parse_sitemap(xml, "http://x.test/sitemap.xml", "x", NOW, stats))
    assert [(d.url, d.title) for d in found] == [("http://x.test/a", "A"), ("http://x.test/b", "")]
    assert found[0].published_hint == datetime(2025, 1, 29, 7, 0, tzinfo=timezone.utc)
    assert stats == {"duplicate_entries": 1, "entries_without_link": 1}


def test_hostile_sitemap_is_refused():
    xml = BILLION_LAUGHS.replace("<rss", "<urlset").encode()
    with pytest.raises(CollectError):
        list(parse_sitemap(xml, "http://x.test/s.xml", "x", NOW, {}))


def test_url_normalisation():
    assert normalise_url("HTTP://Www.X.test:80/a/b?utm_medium=x&p=2&fbclid=9#frag") == "http://www.x.test/a/b?p=2"
    assert normalise_url("../c", base="http://x.test/a/b/") == "http://x.test/a/c"
