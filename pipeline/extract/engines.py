"""The two extraction libraries, each run once per page, their fields returned as plain dicts."""

from __future__ import annotations

from importlib.metadata import version


def extractor_versions() -> str:
    """Versions of the extraction libraries, recorded on every article."""
    return (f"newspaper3k {version('newspaper3k')} + trafilatura {version('trafilatura')} "
            f"+ htmldate {version('htmldate')}")


def run_newspaper(html: str, url: str) -> dict:
    """newspaper3k's title, authors, publish date, text and canonical link."""
    import newspaper

    art = newspaper.Article(url or "http://localhost/", language="fr", fetch_images=False,
                            memoize_articles=False)
    art.download(input_html=html)
    art.parse()
    return {"title": art.title or "", "authors": list(art.authors or []), "published_at": art.publish_date,
            "text": art.text or "", "canonical": art.canonical_link or ""}


def run_trafilatura(html: str, url: str, mode: str = "balanced", metadata: bool = True) -> dict:
    """trafilatura's fields; ``mode`` is balanced (default settings), precision or recall.

    ``metadata=False`` extracts the text only (its metadata pass, htmldate's extensive search included,
    is about a third of trafilatura's time); :func:`trafilatura_metadata` gets it on demand.
    """
    import trafilatura
    from trafilatura.deduplication import LRUCache

    # A fresh cache per page: deduplicate=True would share one process-wide cache, so a paragraph seen
    # in earlier pages (e.g. the same wire dispatch republished) would vanish from later ones.
    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=metadata, include_comments=False, include_tables=False,
        favor_precision=mode == "precision", favor_recall=mode == "recall", deduplicate=LRUCache(maxsize=1024))
    if doc is None:
        return {"title": "", "author": "", "date": "", "text": "", "canonical": ""}
    return {"title": doc.title or "", "author": doc.author or "", "date": doc.date or "", "text": doc.text or "",
            "canonical": doc.url or ""}


def trafilatura_metadata(html: str, url: str) -> dict:
    """trafilatura's title, author and date (htmldate extensive search) for one page."""
    from trafilatura.metadata import extract_metadata

    doc = extract_metadata(html, default_url=url or None)
    return {"title": doc.title or "", "author": doc.author or "", "date": doc.date or ""}
