"""Extraction evaluation gate: score the extractor on real pages (../shared/eval/extraction) and on the
corpus gold, per page and per group.

Matching follows ../shared/eval/extraction/README.md: NFC, soft hyphens deleted, U+00A0/U+202F/U+2009
as spaces, whitespace collapsed, then substring tests (a lenient variant also ignores all whitespace).
Page F1: true positives = must_contain found, false negatives = must_contain missing, false positives =
must_not_contain found. Titles compare after the same normalisation, dates on the day (in the page's own
offset), authors as sets of names (case, accents and punctuation ignored).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ExtractError, Reason
from .authors import name_key

GROUPS = ("traf_", "other", "corpus")
EXTRACTORS = ("combined", "newspaper3k", "trafilatura", "trafilatura-precision", "trafilatura-recall")


def normalise(text: str) -> str:
    """The README's normalisation: NFC, no soft hyphens, special spaces as spaces, collapsed whitespace."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00ad", "")
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return re.sub(r"\s+", " ", text).strip()


def found(snippet: str, text: str, lenient: bool = True) -> bool:
    """Snippet present in text after normalisation (or, leniently, with all whitespace removed)."""
    s, t = normalise(snippet), normalise(text)
    if s in t:
        return True
    return lenient and re.sub(r"\s", "", s) in re.sub(r"\s", "", t)


def page_scores(text: str, must: list[str], must_not: list[str], lenient: bool = True) -> dict:
    """Precision, recall and F1 of one page's text against its snippet lists."""
    missing = [s for s in must if not found(s, text, lenient)]
    leaked = [s for s in must_not if found(s, text, lenient)]
    tp, fn, fp = len(must) - len(missing), len(missing), len(leaked)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "missing": missing, "leaked": leaked}


@dataclass
class PageResult:
    """One evaluated page: scores, what was extracted, what was expected."""

    page: str
    group: str
    f1: float | None = None            # None for pages whose gold expects no text (empty_body)
    precision: float | None = None
    recall: float | None = None
    missing: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    title_ok: bool | None = None       # None when the gold has no value
    date_ok: bool | None = None
    author_ok: bool | None = None
    language_ok: bool | None = None
    relevant: bool | None = None        # corpus only, when a topic is given: the pipeline's is_relevant
    on_topic: bool | None = None        # corpus gold
    date_source_ok: bool | None = None  # corpus only: metadata / text / url as the page was rendered
    modified_ok: bool | None = None     # corpus only: modified_at on the day of the gold modification
    expected_empty: bool = False
    empty_ok: bool | None = None
    title: str = ""
    gold_title: str | None = None
    published: str | None = None
    modified: str | None = None
    date_source: str = ""
    gold_date: str | None = None
    authors: list[str] = field(default_factory=list)
    gold_authors: list[str] | None = None
    field_sources: dict = field(default_factory=dict)
    error: str = ""


def _authors_match(got: list[str], gold: list[str]) -> bool:
    return {name_key(a) for a in got} == {name_key(a) for a in gold if a.strip()}


def library_article(html: str, url: str, extractor: str, fetched_at: datetime, country: str = ""):
    """One library alone, every field as it returns it (for side-by-side measurement)."""
    from ..records import Article
    from .article import clean_text
    from .dates import local_zone, parse_datetime
    from .engines import run_newspaper, run_trafilatura

    tz = local_zone(country)
    if extractor == "newspaper3k":
        f = run_newspaper(html, url)
        title, authors, date, text = f["title"], f["authors"], f["published_at"], f["text"]
        date = date.isoformat() if date else ""
    else:
        f = run_trafilatura(html, url, extractor.partition("-")[2] or "balanced")
        title, date, text = f["title"], f["date"], f["text"]
        authors = [a.strip() for a in f["author"].split(";") if a.strip()]
    published = parse_datetime(date, tz) if date else None
    if published and published > fetched_at:
        published = None
    return Article(url=url, canonical_url=url, outlet_id="", title=title, authors=authors, published_at=published,
                   date_source="metadata" if published else "none", modified_at=None, language="",
                   text=clean_text(text), extractor=extractor, field_sources={})


def score_page(page: str, group: str, html: str, gold: dict, fetched_at: datetime, min_text_chars: int,
               country: str = "", extractor: str = "combined", topic=None, threshold: float = 3.0) -> PageResult:
    """Extract one page and compare it with its gold record (keys as in the shared gold / corpus gold)."""
    from .article import extract_html

    res = PageResult(page=page, group=group, gold_title=gold.get("title"), gold_date=gold.get("date"),
                     gold_authors=gold.get("authors"))
    text = ""
    try:
        if extractor == "combined":
            art = extract_html(html, gold["url"], "", fetched_at, country=country, min_text_chars=min_text_chars)
        else:
            art = library_article(html, gold["url"], extractor, fetched_at, country)
        text = art.text
        if len(text) < min_text_chars:
            raise ExtractError(f"main text has {len(text)} characters", reason=Reason.EMPTY_TEXT)
        res.title, res.authors, res.date_source = art.title, art.authors, art.date_source
        res.published = art.published_at.isoformat() if art.published_at else None
        res.modified = art.modified_at.isoformat() if art.modified_at else None
        res.field_sources = dict(art.field_sources)
        if gold.get("language"):
            from .language import detect_language

            res.language_ok = detect_language(text) == gold["language"]
        if topic is not None and gold.get("on_topic") is not None:
            from .relevance import judge_relevance

            res.on_topic, res.relevant = gold["on_topic"], judge_relevance(art.title, text, topic, threshold)[2]
    except ExtractError as exc:
        res.error = f"{exc.reason.value}: {exc.message}"
        text = ""
    if gold.get("expected_empty"):
        res.expected_empty, res.empty_ok = True, not text
        return res
    s = page_scores(text, gold["must_contain"], gold["must_not_contain"])
    res.f1, res.precision, res.recall, res.missing, res.leaked = s["f1"], s["precision"], s["recall"], s["missing"], s["leaked"]
    if gold.get("title"):
        res.title_ok = normalise(res.title) == normalise(gold["title"])
    if gold.get("date"):
        res.date_ok = bool(res.published) and res.published[:10] == gold["date"]
    if gold.get("authors") is not None:
        res.author_ok = _authors_match(res.authors, gold["authors"])
    if gold.get("date_source"):
        res.date_source_ok = res.date_source == gold["date_source"]
    if "modified" in gold:
        res.modified_ok = (res.modified or "")[:10] == (gold["modified"] or "")[:10]
    return res


def shared_pages(shared_dir: Path):
    """(file, group, html, gold) for each page of the shared real-page set."""
    from ..collect.http import decode_html

    for line in (shared_dir / "gold.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        html, _ = decode_html((shared_dir / "pages" / rec["file"]).read_bytes(), "")
        authors = [a.strip() for a in rec["author"].split(";")] if rec.get("author") else None
        gold = {"url": rec["url"], "title": rec.get("title"), "date": rec.get("date"), "authors": authors,
                "language": rec.get("language") or "fr",
                "must_contain": rec["must_contain"], "must_not_contain": rec["must_not_contain"]}
        yield rec["file"], ("traf_" if rec["file"].startswith("traf_") else "other"), html, gold


def corpus_pages(corpus_dir: Path):
    """(id, 'corpus', html, gold) for each served French page of the corpus gold."""
    from ..collect.http import decode_html

    manifest = json.loads((corpus_dir / "site" / "manifest.json").read_text("utf-8"))
    files = {e["url"]: e for e in manifest["entries"]}
    for line in (corpus_dir / "gold" / "articles.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if not rec.get("served") or rec.get("language") != "fr" or rec["url"] not in files:
            continue
        entry = files[rec["url"]]
        raw = (corpus_dir / "site" / entry["file"]).read_bytes()
        html, _ = decode_html(raw, entry.get("headers", {}).get("Content-Type", ""))
        gold = {"url": rec["url"], "outlet": rec["outlet"], "title": rec["title"], "date": rec.get("published_date"),
                "language": rec["language"], "on_topic": rec.get("on_topic"),
                "authors": list(rec.get("authors") or []), "must_contain": rec["must_contain"],
                "must_not_contain": rec["must_not_contain"],
                "expected_empty": not rec["must_contain"] and "empty_body" in rec.get("special", []),
                "date_source": ("text" if "date_text_only" in rec.get("special", []) else
                                "url" if "date_url_only" in rec.get("special", []) else "metadata"),
                "modified": rec.get("modified")}
        yield rec["id"], "corpus", html, gold


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def _relevance(rs: list[PageResult]) -> dict:
    judged = [r for r in rs if r.relevant is not None]
    if not judged:
        return {}
    tp = sum(r.relevant and r.on_topic for r in judged)
    fp = sum(r.relevant and not r.on_topic for r in judged)
    fn = sum(not r.relevant and r.on_topic for r in judged)
    return {"relevance_precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "relevance_recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "relevance_counts": {"tp": tp, "fp": fp, "fn": fn, "tn": len(judged) - tp - fp - fn}}


def summarise(results: list[PageResult]) -> dict:
    """Per-group means: page F1, precision, recall, title/date/author accuracy (over pages with gold)."""
    out = {}
    for group in GROUPS:
        rs = [r for r in results if r.group == group]
        if not rs:
            continue
        scored = [r for r in rs if not r.expected_empty]
        out[group] = {
            "pages": len(rs), "scored_pages": len(scored),
            "mean_f1": _mean([r.f1 for r in scored]), "mean_precision": _mean([r.precision for r in scored]),
            "mean_recall": _mean([r.recall for r in scored]),
            "title_accuracy": _mean([float(r.title_ok) for r in rs if r.title_ok is not None]),
            "date_accuracy": _mean([float(r.date_ok) for r in rs if r.date_ok is not None]),
            "author_accuracy": _mean([float(r.author_ok) for r in rs if r.author_ok is not None]),
            "date_source_accuracy": _mean([float(r.date_source_ok) for r in rs if r.date_source_ok is not None]),
            "modified_accuracy": _mean([float(r.modified_ok) for r in rs if r.modified_ok is not None]),
            "language_accuracy": _mean([float(r.language_ok) for r in rs if r.language_ok is not None]),
            **_relevance(rs),
            "titles_scored": sum(r.title_ok is not None for r in rs),
            "dates_scored": sum(r.date_ok is not None for r in rs),
            "authors_scored": sum(r.author_ok is not None for r in rs),
            "expected_empty": sum(r.expected_empty for r in rs),
            "expected_empty_ok": sum(bool(r.empty_ok) for r in rs),
            "errors": sum(bool(r.error) and not r.expected_empty for r in rs),
        }
    shared = [r for r in results if r.group in ("traf_", "other") and not r.expected_empty]
    if shared:
        out["shared_all"] = {"pages": len(shared), "mean_f1": _mean([r.f1 for r in shared]),
                             "date_accuracy": _mean([float(r.date_ok) for r in shared if r.date_ok is not None]),
                             "title_accuracy": _mean([float(r.title_ok) for r in shared if r.title_ok is not None])}
    return out


def evaluate_extraction(shared_dir: Path | None, corpus_dir: Path | None, min_text_chars: int = 200,
                        fetched_at: datetime | None = None, extractor: str = "combined", topic=None,
                        relevance_threshold: float = 3.0) -> dict:
    """Score the extractor on whichever of the two page sets exist; {"summary", "pages", "skipped"}.

    ``extractor``: "combined" (the pipeline's) or one library alone, for side-by-side measurement.
    """
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown extractor {extractor!r}; use one of {', '.join(EXTRACTORS)}")
    fetched_at = fetched_at or datetime.now(timezone.utc)
    results: list[PageResult] = []
    skipped = {}
    if shared_dir and (Path(shared_dir) / "gold.jsonl").is_file():
        for page, group, html, gold in shared_pages(Path(shared_dir)):
            results.append(score_page(page, group, html, gold, fetched_at, min_text_chars, "", extractor))
    else:
        skipped["shared"] = f"{shared_dir} not found (real pages live outside this checkout, in ../shared)"
    if corpus_dir and (Path(corpus_dir) / "gold" / "articles.jsonl").is_file() and \
            (Path(corpus_dir) / "site" / "manifest.json").is_file():
        countries = _corpus_countries(Path(corpus_dir))
        for page, group, html, gold in corpus_pages(Path(corpus_dir)):
            results.append(score_page(page, group, html, gold, fetched_at, min_text_chars,
                                      countries.get(gold["outlet"], ""), extractor, topic, relevance_threshold))
    else:
        skipped["corpus"] = f"{corpus_dir}/gold/articles.jsonl or site/manifest.json not found (corpus not rendered)"
    return {"extractor": extractor, "summary": summarise(results), "pages": [asdict(r) for r in results],
            "skipped": skipped}


def _corpus_countries(corpus_dir: Path) -> dict[str, str]:
    """Outlet id -> country from the corpus sources file (for times written without an offset)."""
    import tomllib

    path = corpus_dir / "sources.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text("utf-8"))
    return {o["id"]: o.get("country", "") for o in data.get("outlets", [])}
