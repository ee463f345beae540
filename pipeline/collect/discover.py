"""Discovery: article URLs from RSS/Atom feeds (feedparser) and XML/news sitemaps."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

import feedparser
from lxml import etree

from ..errors import CollectError, Reason
from ..records import Discovered
from .urls import normalise_url

_SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def _as_utc(struct) -> datetime | None:
    if not struct:
        return None
    return datetime(*struct[:6], tzinfo=timezone.utc)


def _parse_iso(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def refuse_entity_declarations(body: bytes) -> None:
    """Raise feed_error for XML that declares entities: feeds and sitemaps never need them, and they
    are how "billion laughs" expansion attacks work. (feedparser would fall back to its loose parser
    and read such a feed anyway, unexpanded; refusing it makes the hostile source visible.)"""
    head = body[:65536]
    if b"<!ENTITY" in head or b"<!entity" in head or "<!ENTITY".encode("utf-16-le") in head:
        raise CollectError("XML declares entities (possible entity-expansion attack): refused",
                           reason=Reason.FEED_ERROR)


def _admit(raw: str, source_url: str, seen: set[str], stats: dict[str, int]) -> str | None:
    """Normalised URL of a feed entry or sitemap <loc>, or None (counted) when missing or repeated."""
    if not raw:
        stats["entries_without_link"] = stats.get("entries_without_link", 0) + 1
        return None
    url = normalise_url(raw, base=source_url)
    if url in seen:
        stats["duplicate_entries"] = stats.get("duplicate_entries", 0) + 1
        return None
    seen.add(url)
    return url


def _not_future(value: datetime | None, now: datetime, stats: dict[str, int]) -> datetime | None:
    """A publication date after ``now`` is not trusted (counted as future_dates)."""
    if value and value > now:
        stats["future_dates"] = stats.get("future_dates", 0) + 1
        return None
    return value


def parse_feed(body: bytes, source_url: str, outlet_id: str, now: datetime, stats: dict[str, int]) -> Iterator[Discovered]:
    """Yield one Discovered per usable feed entry; count entries without link and future dates."""
    # Hostile XML (entity declarations) is refused outright; a feed that yields nothing and is
    # flagged malformed is reported as feed_error.
    refuse_entity_declarations(body)
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise CollectError(f"unreadable feed: {parsed.get('bozo_exception')}", reason=Reason.FEED_ERROR)
    seen: set[str] = set()
    for entry in parsed.entries:
        url = _admit(entry.get("link") or "", source_url, seen, stats)
        if url is None:
            continue
        # dict.get bypasses feedparser's deprecated updated->published key fallback
        updated = _as_utc(dict.get(entry, "updated_parsed"))
        published = _not_future(_as_utc(dict.get(entry, "published_parsed")) or updated, now, stats)
        if updated and updated > now:
            updated = None
        yield Discovered(url=url, outlet_id=outlet_id, source_url=source_url,
                         title=(entry.get("title") or "").strip(), published_hint=published,
                         updated_hint=updated if updated and updated != published else None)


def parse_sitemap(body: bytes, source_url: str, outlet_id: str, now: datetime, stats: dict[str, int]) -> Iterator[Discovered]:
    """Yield article URLs of an XML sitemap or Google News sitemap (no nested index following)."""
    refuse_entity_declarations(body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise CollectError(f"unreadable sitemap: {exc}", reason=Reason.FEED_ERROR) from None
    seen: set[str] = set()
    for node in root.iterfind("sm:url", _SITEMAP_NS):
        loc = (node.findtext("sm:loc", default="", namespaces=_SITEMAP_NS) or "").strip()
        url = _admit(loc, source_url, seen, stats)
        if url is None:
            continue
        raw_date = (node.findtext("news:news/news:publication_date", default="", namespaces=_SITEMAP_NS)
                    or node.findtext("sm:lastmod", default="", namespaces=_SITEMAP_NS) or "").strip()
        published = _not_future(_parse_iso(raw_date) if raw_date else None, now, stats)
        title = node.findtext("news:news/news:title", default="", namespaces=_SITEMAP_NS) or ""
        lastmod = (node.findtext("sm:lastmod", default="", namespaces=_SITEMAP_NS) or "").strip()
        updated = _parse_iso(lastmod) if lastmod else None
        yield Discovered(url=url, outlet_id=outlet_id, source_url=source_url, title=title.strip(),
                         published_hint=published,
                         updated_hint=updated if updated and updated != published and updated <= now else None)
