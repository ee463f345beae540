"""Single-page extraction: newspaper3k and trafilatura side by side, best field from each."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from importlib.metadata import version

from ..errors import ExtractError, Reason
from ..records import Article
from ..collect.urls import normalise_url

_WS = re.compile(r"[ \t\u00a0\u202f\u2009]+")


def extractor_versions() -> str:
    """Versions of the extraction libraries, recorded on every article."""
    return f"newspaper3k {version('newspaper3k')} + trafilatura {version('trafilatura')}"


def clean_text(text: str) -> str:
    """NFC, no soft hyphens, single spaces, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00ad", "")
    paras = [_WS.sub(" ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paras if p)


def _newspaper(html: str, url: str) -> dict:
    import newspaper

    art = newspaper.Article(url, language="fr", fetch_images=False)
    art.download(input_html=html)
    art.parse()
    return {"title": art.title or "", "authors": list(art.authors or []), "published_at": art.publish_date,
            "text": art.text or "", "canonical": art.canonical_link or ""}


def _trafilatura(html: str, url: str) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True, deduplicate=True,
                                      as_dict=False)
    if doc is None:
        return {"title": "", "authors": [], "published_at": None, "text": "", "canonical": ""}
    authors = [a.strip() for a in re.split(r";|,| et ", doc.author or "") if a.strip()]
    published = None
    if doc.date:
        try:
            published = datetime.fromisoformat(doc.date)
        except ValueError:
            published = None
    return {"title": doc.title or "", "authors": authors, "published_at": published, "text": doc.text or "",
            "canonical": doc.url or ""}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def extract_html(html: str, url: str, outlet_id: str = "", fetched_at: datetime | None = None) -> Article:
    """Extract title, authors, dates, language and main text from one HTML page."""
    if not html or not html.strip():
        raise ExtractError("empty page", reason=Reason.EMPTY_TEXT)
    fetched_at = fetched_at or datetime.now(timezone.utc)
    try:
        np_fields = _newspaper(html, url)
        tr_fields = _trafilatura(html, url)
    except Exception as exc:  # the libraries raise many types on malformed markup
        raise ExtractError(f"{type(exc).__name__}: {exc}", reason=Reason.PARSE_ERROR) from exc
    sources = {}
    text, sources["text"] = (tr_fields["text"], "trafilatura") if tr_fields["text"] else (np_fields["text"], "newspaper3k")
    title, sources["title"] = (np_fields["title"], "newspaper3k") if np_fields["title"] else (tr_fields["title"], "trafilatura")
    authors, sources["authors"] = (np_fields["authors"], "newspaper3k") if np_fields["authors"] else (tr_fields["authors"], "trafilatura")
    published = _utc(np_fields["published_at"]) or _utc(tr_fields["published_at"])
    sources["published_at"] = "newspaper3k" if np_fields["published_at"] else ("trafilatura" if published else "none")
    if published and published > fetched_at:
        published = None
    text = clean_text(text)
    canonical = normalise_url(np_fields["canonical"] or tr_fields["canonical"] or url, base=url)
    return Article(
        url=url, canonical_url=canonical, outlet_id=outlet_id, title=clean_text(title).replace("\n\n", " "),
        authors=authors, published_at=published, date_source="metadata" if published else "none",
        modified_at=None, language="", text=text, extractor=extractor_versions(), field_sources=sources,
        content_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
