"""Single-page extraction: newspaper3k and trafilatura side by side, each field from what measures best
(see docs/extraction.md): text = trafilatura completed by newspaper3k and cleaned; title, authors and
dates from the page's own markup first, the libraries as fallbacks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ..collect.urls import normalise_url
from ..errors import ExtractError, Reason
from ..records import Article
from .authors import find_authors
from .dates import find_dates, local_zone, parse_datetime
from .engines import extractor_versions, run_newspaper, run_trafilatura, trafilatura_metadata
from .htmlmeta import norm_space, parse_html, read_meta, visible_blocks
from .lead import find_lead
from .text import combine_text
from .titles import find_title

__all__ = ["extract_html", "extractor_versions", "clean_text", "canonical_url"]
_WS = re.compile(r"[ \t\u00a0\u202f\u2009]+")


def clean_text(text: str) -> str:
    """NFC, no soft hyphens, single spaces, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00ad", "")
    paras = [_WS.sub(" ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paras if p)


def canonical_url(url: str, *declared: str) -> str:
    """The first declared canonical URL that is plausible for this page, normalised; else the URL itself."""
    page = urlsplit(url)
    for candidate in declared:
        if not candidate or candidate.startswith(("javascript:", "mailto:", "#")):
            continue
        absolute = normalise_url(candidate, base=url)
        parts = urlsplit(absolute)
        # A canonical pointing at a site's home page (a common template bug) would merge every article.
        if parts.scheme in ("http", "https") and (parts.path not in ("", "/") or page.path in ("", "/")):
            return absolute
    return normalise_url(url)


def extract_html(html: str, url: str, outlet_id: str = "", fetched_at: datetime | None = None, *,
                 country: str = "", min_text_chars: int = 200) -> Article:
    """Extract title, authors, dates and main text from one HTML page (language and relevance come later)."""
    if not html or not html.strip():
        raise ExtractError("empty page", reason=Reason.EMPTY_TEXT)
    if urlsplit(url).path in ("", "/") and urlsplit(url).netloc:
        raise ExtractError(f"{url} is a home page, not an article", reason=Reason.NOT_ARTICLE)
    fetched_at = fetched_at or datetime.now(timezone.utc)
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    tree = parse_html(html)
    if tree is None:
        raise ExtractError("the page cannot be parsed as HTML", reason=Reason.PARSE_ERROR)
    try:
        np_fields = run_newspaper(html, url)
        tr_fields = run_trafilatura(html, url, metadata=False)
    except Exception as exc:  # the libraries raise many types on malformed markup
        raise ExtractError(f"{type(exc).__name__}: {exc}", reason=Reason.PARSE_ERROR) from exc
    cache: dict[str, dict] = {}

    def tr_meta() -> dict:
        """trafilatura's metadata, computed only if our own readers found nothing (a third of its time)."""
        if "m" not in cache:
            try:
                cache["m"] = trafilatura_metadata(html, url)
            except Exception:  # a fallback must never fail the page
                cache["m"] = {"title": "", "author": "", "date": ""}
        return cache["m"]

    meta = read_meta(tree)
    sources: dict[str, str] = {}
    title, sources["title"] = find_title(meta, np_fields["title"], lambda: tr_meta()["title"])
    title = norm_space(title)
    recall = ""
    if len(tr_fields["text"]) < min_text_chars and len(np_fields["text"]) < min_text_chars:
        try:
            recall = run_trafilatura(html, url, mode="recall")["text"]
        except Exception:  # the recall pass is a bonus; the balanced pass already succeeded
            recall = ""
    text, sources["text"] = combine_text(tr_fields["text"], np_fields["text"], title, recall, min_text_chars)
    text = clean_text(text)
    blocks = visible_blocks(tree)
    first_para = norm_space(text.split("\n\n", 1)[0]) if text else ""
    meta.aside.protect(blocks, first_para)
    authors, sources["authors"] = find_authors(meta, lambda: tr_meta()["author"], np_fields["authors"], blocks,
                                               urlsplit(url).hostname or "")
    tz = local_zone(country)
    dates = find_dates(meta, blocks, url, fetched_at, tz, first_para)
    published, date_source = dates.published, dates.source
    sources["published_at"] = f"veille:{dates.detail}" if published else "none"
    if published is None:
        # Last resort: the date the libraries found (htmldate's extensive search over the page's text and
        # markup): flagged "text", the weakest tier that still reads the page itself.
        for name, value in (("trafilatura", tr_meta()["date"]), ("newspaper3k", np_fields["published_at"])):
            dt = parse_datetime(value.isoformat() if isinstance(value, datetime) else value, tz) if value else None
            if dt and dt <= fetched_at:
                published, date_source, sources["published_at"] = dt, "text", name
                break
    lead, sources["lead"] = find_lead(meta, blocks, text)
    canonical = canonical_url(url, meta.canonical, meta.first("og:url"), np_fields["canonical"])
    return Article(
        url=url, canonical_url=canonical, outlet_id=outlet_id, title=title, authors=authors,
        published_at=published, date_source=date_source, modified_at=dates.modified, language="", text=text,
        lead=lead,
        extractor=extractor_versions(), field_sources=sources,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
