"""Collection stage: discover article URLs per outlet, fetch them politely, archive every response.

Entry point: :func:`collect`. It is incremental (per-source conditional GET cursors, a frontier of
discovered URLs, already-fetched pages are not fetched again) and crash-safe (pages are committed in
small batches; an interrupted run leaves the rest of the frontier for the next run).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

from ..errors import CollectError, Reason
from ..records import Discovered, Failure, Outlet, url_key
from .archive import RunArchive
from .discover import parse_feed, parse_sitemap
from .http import Fetcher, HostLimiter, Response, decode_html
from .robots import RobotsCache
from .urls import host_of

HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
BATCH = 25


@dataclass
class CollectStats:
    """Counters of one collection run."""

    sources_checked: int = 0
    sources_not_modified: int = 0
    discovered: int = 0
    new_urls: int = 0
    fetched: int = 0
    refetch_updated: int = 0
    failures: list[Failure] = field(default_factory=list)
    feed_stats: dict[str, int] = field(default_factory=dict)


def make_fetcher(cfg: dict) -> Fetcher:
    """Build the HTTP fetcher from the [collect] settings."""
    return Fetcher(
        user_agent=cfg["user_agent"], proxy=cfg["proxy"], connect_timeout=cfg["connect_timeout"],
        read_timeout=cfg["read_timeout"], max_body_bytes=cfg["max_body_bytes"],
        max_redirects=cfg["max_redirects"], retries=cfg["retries"], backoff_seconds=cfg["backoff_seconds"],
        max_wait_seconds=cfg["max_wait_seconds"], limiter=HostLimiter(), pool_size=cfg["max_in_flight"],
    )


def _discover(outlet: Outlet, fetcher: Fetcher, store, run_id: str,
              stats: CollectStats) -> tuple[list[Discovered], list[dict]]:
    """Read the outlet's feeds and sitemaps; return the entries and the new source cursors (unsaved)."""
    found: list[Discovered] = []
    cursors: list[dict] = []
    now = datetime.now(timezone.utc)
    sources = [(u, "feed") for u in outlet.feeds] + [(u, "sitemap") for u in outlet.sitemaps]
    for source_url, kind in sources:
        cursor = store.query("SELECT etag, last_modified, last_entry_at FROM source_cursors WHERE source_url = ?", [source_url])
        headers = {}
        if cursor and cursor[0]["etag"]:
            headers["If-None-Match"] = cursor[0]["etag"]
        if cursor and cursor[0]["last_modified"]:
            headers["If-Modified-Since"] = cursor[0]["last_modified"]
        stats.sources_checked += 1
        try:
            resp = fetcher.get(source_url, headers=headers)
            if resp.status == 304:
                stats.sources_not_modified += 1
                cursors.append({"source_url": source_url, "outlet_id": outlet.id, "source_kind": kind,
                                "checked_at": now, "run_id": run_id})
                continue
            if resp.status != 200:
                raise CollectError(f"HTTP {resp.status}", reason=Reason.HTTP_ERROR)
            parser = parse_feed if kind == "feed" else parse_sitemap
            entries = list(parser(resp.body, source_url, outlet.id, now, stats.feed_stats))
        except CollectError as exc:
            stats.failures.append(Failure("discover", source_url, exc.reason.value, exc.message, outlet.id))
            continue
        newest = max((e.published_hint for e in entries if e.published_hint), default=None)
        old_newest = cursor[0]["last_entry_at"] if cursor else None
        if old_newest and (newest is None or old_newest > newest):
            newest = old_newest
        cursors.append({
            "source_url": source_url, "outlet_id": outlet.id, "source_kind": kind,
            "etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
            "last_entry_at": newest, "entries_seen": len(entries), "checked_at": now, "run_id": run_id,
        })
        found.extend(entries)
    return found, cursors


def _record_discovered(store, entries: Iterable[Discovered], run_id: str, stats: CollectStats) -> None:
    by_key: dict[str, Discovered] = {}
    for e in entries:
        by_key.setdefault(url_key(e.url), e)
    if not by_key:
        return
    known = {r["url_key"]: r for r in store.query(
        "SELECT d.url_key, d.state, d.first_run_id, p.fetched_at FROM discovered d "
        "LEFT JOIN pages p ON p.page_key = d.url_key WHERE d.url_key IN (SELECT unnest(?))", [list(by_key)])}
    rows = []
    for key, e in by_key.items():
        old = known.get(key)
        state = old["state"] if old else "new"
        # An article updated since we fetched it (Atom <updated>, sitemap lastmod) is fetched again.
        if old and old["fetched_at"] and e.updated_hint and e.updated_hint > old["fetched_at"]:
            state = "new"
            stats.refetch_updated += 1
        rows.append({"url_key": key, "url": e.url, "outlet_id": e.outlet_id, "source_url": e.source_url,
                     "title": e.title, "published_hint": e.published_hint, "updated_hint": e.updated_hint,
                     "first_run_id": old["first_run_id"] if old else run_id, "last_run_id": run_id,
                     "state": state})
    stats.discovered += len(rows)
    stats.new_urls += sum(1 for k in by_key if k not in known)
    store.upsert("discovered", rows)


def _fetch_page(item: dict, fetcher: Fetcher, robots: RobotsCache, archive: RunArchive,
                run_id: str) -> tuple[dict, dict | None, Failure | None]:
    """Fetch, check and archive one page; return its pages-table row (the body stays in the WARC)."""
    url, outlet_id = item["url"], item["outlet_id"]
    try:
        if not robots.allowed(url):
            raise CollectError("disallowed by robots.txt", reason=Reason.ROBOTS_DISALLOWED)
        resp = fetcher.get(url)
        if resp.status != 200:
            raise CollectError(f"HTTP {resp.status}", reason=Reason.HTTP_ERROR)
        if resp.content_type not in HTML_TYPES:
            raise CollectError(f"content type {resp.content_type}", reason=Reason.NOT_HTML)
        _, charset = decode_html(resp.body, resp.headers.get("content-type", ""))
        offset = archive.write(resp)
        return item, _page_row(item, resp, charset, archive.name, offset, run_id), None
    except CollectError as exc:
        return item, None, Failure("collect", url, exc.reason.value, exc.message, outlet_id)
    except Exception as exc:  # one bad page must not stop the run
        return item, None, Failure("collect", url, Reason.PARSE_ERROR.value, f"{type(exc).__name__}: {exc}", outlet_id)


def _flush(store, pages: list[dict], states: list[dict], failures: list[Failure], run_id: str) -> None:
    with store.transaction():
        store.upsert("pages", pages)
        if states:
            store.con.execute(
                "UPDATE discovered SET state = s.state FROM (SELECT unnest(?) AS k, unnest(?) AS state) s "
                "WHERE discovered.url_key = s.k", [[s["url_key"] for s in states], [s["state"] for s in states]])
        write_failures(store, failures, run_id)


def write_failures(store, failures: Iterable[Failure], run_id: str) -> None:
    """Record failures (one row per run, stage, item and reason)."""
    now = datetime.now(timezone.utc)
    store.upsert("failures", [{"run_id": run_id, "stage": f.stage, "item": f.item, "reason": f.reason,
                               "detail": f.detail[:2000], "outlet_id": f.outlet_id, "occurred_at": now}
                              for f in failures])


def collect(outlets: list[Outlet], cfg: dict, store, run_id: str, archive_dir: str,
            progress: Callable[[int, int], None] | None = None) -> CollectStats:
    """Discover and fetch new articles of every outlet; pages and failures land in the store."""
    stats = CollectStats()
    fetcher = make_fetcher(cfg)
    robots = RobotsCache(fetcher, cfg["user_agent"], enabled=cfg["obey_robots"])
    store.upsert("outlets", [{"outlet_id": o.id, "name": o.name, "kind": o.kind, "country": o.country,
                              "language": o.language, "homepage": o.homepage, "feeds": list(o.feeds),
                              "sitemaps": list(o.sitemaps), "requests_per_second": o.requests_per_second,
                              "concurrency": o.concurrency, "run_id": run_id} for o in outlets])
    for o in outlets:
        for url in (o.homepage, *o.feeds, *o.sitemaps):
            fetcher.limiter.configure(host_of(url), o.requests_per_second, o.concurrency)
    try:
        with ThreadPoolExecutor(max_workers=min(len(outlets), 8) or 1) as pool:
            for entries, cursors in pool.map(lambda o: _discover(o, fetcher, store_proxy(store), run_id, stats), outlets):
                # A cursor (ETag) is saved with the URLs it led to, in one transaction: saved alone,
                # a crash would leave the next run a 304 Not Modified and those URLs never seen.
                with store.transaction():
                    _record_discovered(store, entries, run_id, stats)
                    store.upsert("source_cursors", cursors)
        for o in outlets:  # a Crawl-delay in robots.txt lowers the configured rate
            delay = robots.crawl_delay(o.homepage) if cfg["obey_robots"] else None
            if delay:
                fetcher.limiter.configure(host_of(o.homepage), min(o.requests_per_second, 1.0 / delay), o.concurrency)
        frontier = store.query("SELECT url_key, url, outlet_id FROM discovered WHERE state = 'new' "
                               "ORDER BY published_hint DESC NULLS LAST, url")
        if cfg["max_articles"]:
            frontier = frontier[: cfg["max_articles"]]
        archive = RunArchive(archive_dir, run_id)
        try:
            done = 0
            window = max(BATCH, 4 * cfg["max_in_flight"])
            with ThreadPoolExecutor(max_workers=cfg["max_in_flight"]) as pool:
                # Bounded windows keep memory flat however long the frontier is; each window is
                # committed before the next starts, so a crash loses at most one window of work.
                for start in range(0, len(frontier), window):
                    pages, states, failures = [], [], []
                    chunk = frontier[start:start + window]
                    for item, row, failure in pool.map(lambda it: _fetch_page(it, fetcher, robots, archive, run_id), chunk):
                        done += 1
                        if failure:
                            failures.append(failure)
                            states.append({"url_key": item["url_key"], "state": "failed"})
                        else:
                            stats.fetched += 1
                            pages.append(row)
                            states.append({"url_key": item["url_key"], "state": "fetched"})
                        if progress:
                            progress(done, len(frontier))
                    _flush(store, pages, states, failures, run_id)
                    stats.failures.extend(failures)
        finally:
            archive.close()
    finally:
        fetcher.close()
    write_failures(store, [f for f in stats.failures if f.stage == "discover"], run_id)
    return stats


def store_proxy(store):
    """DuckDB connections are not shared across threads: give each discovery thread a cursor."""
    from ..store.db import Store

    return Store(store.con.cursor(), store.path)


def _page_row(item: dict, resp: Response, charset: str, warc_name: str, offset: int, run_id: str) -> dict:
    return {"page_key": item["url_key"], "url": item["url"], "final_url": resp.final_url,
            "outlet_id": item["outlet_id"], "status_code": resp.status,
            "content_type": resp.headers.get("content-type", ""), "charset": charset,
            "fetched_at": resp.fetched_at, "body_sha256": resp.sha256, "size_bytes": len(resp.body),
            "warc_path": warc_name, "warc_offset": offset,
            "extract_status": "pending", "run_id": run_id}
