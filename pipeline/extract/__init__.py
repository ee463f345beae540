"""Extraction stage: pages archived by the collector become articles (text, metadata, language,
relevance, duplicates). Entry points: :func:`extract_html` for one page, :func:`extract_pending`
for every stored page not yet extracted (then near-duplicate clustering of what changed)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..collect import write_failures
from ..collect.archive import read_record
from ..collect.http import decode_html
from ..errors import CollectError, ExtractError, Reason
from ..records import Article, Failure, Topic
from .article import extract_html, extractor_versions
from .dedupe import cluster_articles
from .language import detect_language
from .relevance import judge_relevance

__all__ = ["extract_html", "extract_pending", "extractor_versions", "article_row", "analyse_page"]
BATCH = 50


def article_row(a: Article, run_id: str, relevant: bool) -> dict:
    """The articles-table row of an extracted article (clusters are set afterwards by dedupe)."""
    return {
        "article_id": a.id, "canonical_url": a.canonical_url, "url": a.url, "page_key": a.page_key,
        "outlet_id": a.outlet_id, "title": a.title, "authors": a.authors, "published_at": a.published_at,
        "date_source": a.date_source, "modified_at": a.modified_at, "language": a.language, "text": a.text,
        "lead": a.lead or None,
        "word_count": len(a.text.split()), "content_sha256": a.content_sha256,
        "relevance": a.relevance, "matched_terms": a.matched_terms, "is_relevant": relevant,
        "extractor": a.extractor, "field_sources": a.field_sources, "nlp_version": None,
        "run_id": run_id, "extracted_at": datetime.now(timezone.utc),
    }


def analyse_page(html: str, url: str, outlet_id: str, fetched_at: datetime, topic: Topic, cfg: dict,
                 country: str = "") -> tuple[Article, bool]:
    """Extract one decoded page, add language and relevance; (article, is_relevant). ExtractError on bad pages."""
    article = extract_html(html, url, outlet_id, fetched_at, country=country, min_text_chars=cfg["min_text_chars"])
    if len(article.text) < cfg["min_text_chars"]:
        raise ExtractError(f"main text has {len(article.text)} characters (< {cfg['min_text_chars']})",
                           reason=Reason.EMPTY_TEXT)
    article.language = detect_language(article.text)
    article.relevance, article.matched_terms, relevant = judge_relevance(
        article.title, article.text, topic, cfg["relevance_threshold"])
    return article, relevant and article.language in cfg["languages"]


def extract_pending(store, cfg: dict, topic: Topic, run_id: str, archive_dir: str | Path,
                    progress: Callable[[int, int], None] | None = None, only_status: str = "pending") -> dict[str, int]:
    """Extract every page whose extract_status is ``only_status``; write articles and failures; cluster."""
    pages = store.query("SELECT page_key, url, outlet_id, fetched_at, warc_path, warc_offset FROM pages "
                        "WHERE extract_status = ? ORDER BY fetched_at, page_key", [only_status])
    counts = {"pages": len(pages), "articles": 0, "not_french": 0}
    countries = {r["outlet_id"]: r["country"] or "" for r in store.query("SELECT outlet_id, country FROM outlets")}
    # Exact duplicates: the same text again from the same outlet (URL variants the canonical link missed),
    # or the same canonical URL reached through another page. The same text from another outlet is a
    # republication: kept, and grouped with the original by the near-duplicate clustering.
    by_hash = {(r["content_sha256"], r["outlet_id"]): r["article_id"] for r in store.query(
        "SELECT content_sha256, outlet_id, article_id FROM articles")}
    by_id = {r["article_id"]: r["page_key"] for r in store.query("SELECT article_id, page_key FROM articles")}
    rows, statuses, failures = [], [], []
    for i, page in enumerate(pages, 1):
        try:
            _, headers, body = read_record(Path(archive_dir) / page["warc_path"], page["warc_offset"])
            html, _ = decode_html(body, headers.get("content-type", ""))
            article, relevant = analyse_page(html, page["url"], page["outlet_id"], page["fetched_at"], topic, cfg,
                                             countries.get(page["outlet_id"], ""))
            article.page_key = page["page_key"]
            same_url = by_id.get(article.id)
            if same_url and same_url != page["page_key"]:
                raise ExtractError(f"canonical URL {article.canonical_url} already extracted from another page",
                                   reason=Reason.DUPLICATE)
            dup_of = by_hash.get((article.content_sha256, article.outlet_id))
            if dup_of and dup_of != article.id:
                raise ExtractError(f"same text as article {dup_of} of the same outlet", reason=Reason.DUPLICATE)
            by_hash[(article.content_sha256, article.outlet_id)] = article.id
            by_id[article.id] = page["page_key"]
            if article.language not in cfg["languages"]:
                # Stored (coverage counts it) but flagged: is_relevant is false, so NLP skips it.
                failures.append(Failure("extract", page["url"], Reason.NOT_FRENCH.value,
                                        f"language {article.language!r}", page["outlet_id"]))
                counts["not_french"] += 1
            rows.append(article_row(article, run_id, relevant))
            statuses.append((page["page_key"], "done"))
        except (ExtractError, CollectError) as exc:
            failures.append(Failure("extract", page["url"], exc.reason.value, exc.message, page["outlet_id"]))
            statuses.append((page["page_key"], "failed"))
        except (OSError, ValueError) as exc:
            failures.append(Failure("extract", page["url"], Reason.ARCHIVE_ERROR.value, str(exc), page["outlet_id"]))
            statuses.append((page["page_key"], "failed"))
        if progress:
            progress(i, len(pages))
        if len(statuses) >= BATCH or i == len(pages):
            _flush(store, rows, statuses, failures, run_id)
            counts["articles"] += len(rows)
            rows, statuses, failures = [], [], []
    # Also picks up articles left unclustered by an interrupted run.
    dedupe = cluster_articles(store, run_id, cfg["near_duplicate_threshold"], cfg["minhash_permutations"],
                              cfg["near_duplicate_window_days"])
    counts.update(clustered=dedupe["dirty"], syndicated_copies_found=dedupe["copies"])
    return counts


def _flush(store, rows: list[dict], statuses: list[tuple[str, str]], failures: list[Failure], run_id: str) -> None:
    with store.transaction():
        store.upsert("articles", rows)
        if statuses:
            store.con.execute(
                "UPDATE pages SET extract_status = s.st FROM (SELECT unnest(?) AS k, unnest(?) AS st) s "
                "WHERE pages.page_key = s.k", [[k for k, _ in statuses], [st for _, st in statuses]])
        write_failures(store, failures, run_id)
