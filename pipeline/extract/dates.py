"""Publication and modification dates with a reliability flag.

Tiers, most reliable first (the first tier that yields a date not after the fetch time wins):
``metadata`` (JSON-LD, OpenGraph/article meta, microdata, ``<time datetime>``; htmldate over the
same structured markup as a library fallback), ``text`` (a dated line of the visible article header
such as "Publié le 29 janvier 2025 à 8 h 30"), ``url`` (/2025/01/28/, /20250129/, -20250204), ``none``.
Times without an offset are read in the outlet's time zone.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

from .htmlmeta import PageMeta, norm_space

MONTHS = {"janvier": 1, "janv": 1, "jan": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2,
          "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7,
          "août": 8, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
          "novembre": 11, "nov": 11, "décembre": 12, "decembre": 12, "déc": 12, "dec": 12}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:\s*(?:,|à|a|\||-|–|—|/)?\s*(?P<H>[01]?\d|2[0-3])\s*(?:h|H|:)\s*(?P<M>[0-5]\d)?(?!\d))?"
DATE_RE = re.compile(
    r"(?<![\w/])(?:(?P<d1>[0-3]?\d)(?:er)?\s+(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<y1>(?:19|20)\d\d)"
    r"|(?P<d2>[0-3]?\d)[/.](?P<m2>[01]?\d)[/.](?P<y2>(?:19|20)\d\d|\d\d)"
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>[01]\d)-(?P<d3>[0-3]\d))(?![\d])" + _TIME, re.I)
PUBLISHED_CUE = re.compile(r"(publi[ée]e?|mis en ligne|post[ée]e?|diffus[ée]e?|cr[ée]{2}|date de publication|"
                           r"published|paru)\b[^\n\d]{0,25}$", re.I)
MODIFIED_CUE = re.compile(r"(mis(e)? à jour|modifi[ée]e?|actualis[ée]e?|màj|maj|updated|dernière modification)"
                          r"\b[^\n\d]{0,25}$", re.I)
URL_RES = (re.compile(r"/((?:19|20)\d\d)[/-](\d{1,2})[/-](\d{1,2})(?=/|$|\D)"),
           re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)"))
PUBLISHED_KEYS = ("article:published_time", "og:article:published_time", "og:published_time", "datepublished",
                  "article.published", "publish-date", "publishdate", "pubdate", "date", "dc.date.issued",
                  "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "sailthru.date",
                  "parsely-pub-date", "citation_publication_date", "datecreated")
MODIFIED_KEYS = ("article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
                 "article.updated", "dcterms.modified", "dc.date.modified", "lastmod")
MOD_HINT = re.compile(r"modif|update|maj|mise-a-jour|mis à jour|actualis", re.I)
PUB_HINT = re.compile(r"publi|pubdate", re.I)


@dataclass
class Dates:
    """Publication date with its source tier, and the declared modification date."""

    published: datetime | None = None
    source: str = "none"        # metadata | text | url | none
    modified: datetime | None = None
    detail: str = ""            # where the published date was read, e.g. json-ld, meta, time, htmldate


def _localise(dt: datetime, tz: tzinfo) -> datetime:
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def parse_datetime(value: str, tz: tzinfo) -> datetime | None:
    """An aware datetime from ISO 8601, RFC 822 or a bare date; naive values are read in ``tz``."""
    value = norm_space(str(value or ""))
    if not value or len(value) > 64:
        return None
    iso = value.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value) else value
    iso = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", iso)  # +0100 -> +01:00
    try:
        return _localise(datetime.fromisoformat(iso), tz)
    except ValueError:
        pass
    if re.fullmatch(r"(19|20)\d{6}", value):
        try:
            return _localise(datetime.strptime(value, "%Y%m%d"), tz)
        except ValueError:
            return None
    try:
        return _localise(parsedate_to_datetime(value), tz)
    except (TypeError, ValueError, IndexError):
        pass
    m = DATE_RE.search(value)
    return _from_match(m, tz) if m else None


def _from_match(m: re.Match, tz: tzinfo) -> datetime | None:
    try:
        if m.group("mon"):
            y, mo, d = int(m.group("y1")), MONTHS[m.group("mon").lower().rstrip(".")], int(m.group("d1"))
        elif m.group("m2"):
            y, mo, d = int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))
            y += 2000 if y < 100 else 0
        else:
            y, mo, d = int(m.group("y3")), int(m.group("m3")), int(m.group("d3"))
        hh = int(m.group("H")) if m.group("H") else 0
        mm = int(m.group("M")) if m.group("M") else 0
        return datetime.combine(date(y, mo, d), time(hh, mm), tz)
    except (ValueError, KeyError):
        return None


def _not_future(dt: datetime | None, fetched_at: datetime) -> datetime | None:
    return dt if dt is not None and dt <= fetched_at and dt.year >= 1990 else None


def metadata_dates(meta: PageMeta, tz: tzinfo) -> tuple[list[tuple[datetime, str]], list[datetime]]:
    """Candidate published dates (with where they were read) and modified dates from structured markup."""
    published: list[tuple[datetime, str]] = []
    modified: list[datetime] = []
    for obj in meta.articles():
        for key in ("datePublished", "dateCreated"):
            dt = parse_datetime(obj.get(key), tz) if isinstance(obj.get(key), str) else None
            if dt:
                published.append((dt, "json-ld"))
        dt = parse_datetime(obj.get("dateModified"), tz) if isinstance(obj.get("dateModified"), str) else None
        if dt:
            modified.append(dt)
    for key in PUBLISHED_KEYS:
        for value in meta.meta.get(key, []):
            dt = parse_datetime(value, tz)
            if dt:
                published.append((dt, "meta"))
    for key in MODIFIED_KEYS:
        for value in meta.meta.get(key, []):
            dt = parse_datetime(value, tz)
            if dt:
                modified.append(dt)
    tree = meta.tree
    if tree is not None:
        for el in tree.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"][not(self::meta)]'):
            dt = parse_datetime(el.get("content") or el.get("datetime") or el.text_content(), tz)
            if dt and not meta.aside(el):
                (modified.append(dt) if el.get("itemprop") == "dateModified" else published.append((dt, "microdata")))
        for el in tree.iter("time"):
            value = el.get("datetime")
            dt = parse_datetime(value, tz) if value else None
            if dt is None or meta.aside(el):
                continue
            own = f"{el.get('class', '')} {el.get('itemprop', '')}"
            parent = el.getparent()
            context = f"{own} {(parent.text or '') if parent is not None else ''}"
            # WordPress marks an unedited post "entry-date published updated": "published" wins.
            if el.get("pubdate") is not None or PUB_HINT.search(own) or not MOD_HINT.search(context):
                published.append((dt, "time"))
            else:
                modified.append(dt)
    return published, modified


def _htmldate_fallback(meta: PageMeta, tz: tzinfo) -> datetime | None:
    """htmldate over the page's <head> only: structured markup that our own reader did not understand."""
    import htmldate
    import lxml.html

    head = meta.tree.find(".//head") if meta.tree is not None else None
    if head is None:
        return None
    head = copy.deepcopy(head)
    # htmldate also reads dates in URLs (canonical link, og:url, images): those are the url tier, not metadata.
    for el in list(head.iter("link", "script", "style")):
        if "ld+json" not in (el.get("type") or ""):  # JSON-LD stays: htmldate reads its date keys
            el.getparent().remove(el)
    for el in list(head.iter("meta")):
        if re.search(r"://|^/", el.get("content") or ""):
            el.getparent().remove(el)
    try:
        page = f"<html>{lxml.html.tostring(head, encoding='unicode')}<body><p></p></body></html>"
        found = htmldate.find_date(page, extensive_search=False,
                                   original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is defensive but this must never stop an extraction
        return None
    return parse_datetime(found, tz) if found else None


def text_dates(blocks: list[tuple[str, object]], body_start: str, tz: tzinfo, aside=None
               ) -> tuple[datetime | None, datetime | None]:
    """Published and modified dates written in the visible article header (or right after the text)."""
    parts, pos, cut = [], 0, -1
    key = body_start[:40]
    for text, el in blocks:
        if aside is not None and aside(el):
            continue
        piece = norm_space(text)
        if not piece:
            continue
        if cut < 0 and key and key in norm_space(" ".join(parts[-3:] + [piece])):
            cut = pos
        parts.append(piece)
        pos += len(piece) + 1
    full = " ".join(parts)
    if cut < 0:
        cut = min(len(full), 3000)
    modified = None
    best_pub = uncued = None
    for m in DATE_RE.finditer(full):
        before = full[max(0, m.start() - 40):m.start()]
        dt = _from_match(m, tz)
        if dt is None:
            continue
        if MODIFIED_CUE.search(before):
            if modified is None and m.start() < cut + 400:
                modified = dt
            continue
        if PUBLISHED_CUE.search(before):
            rank = (0, cut - m.start()) if m.start() <= cut else (1, m.start() - cut)
            if best_pub is None or rank < best_pub[0]:
                best_pub = (rank, dt)
        elif cut - 600 <= m.start() <= cut:
            rank = (2, cut - m.start())
            if uncued is None or rank < uncued[0]:
                uncued = (rank, dt)  # an uncued date just above the text: kept as a last resort
    choice = best_pub or uncued
    return (choice[1] if choice else None), modified


def url_date(url: str, tz: tzinfo) -> datetime | None:
    """A full date written in the URL path (/2025/01/28/, /2025-01-29/, /20250129/, -20250204)."""
    from urllib.parse import urlsplit

    path = urlsplit(url or "").path
    for pattern in URL_RES:
        for m in pattern.finditer(path):
            try:
                return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=tz)
            except ValueError:
                continue
    return None


def find_dates(meta: PageMeta, blocks: list[tuple[str, object]], url: str, fetched_at: datetime, tz: tzinfo,
               body_start: str = "") -> Dates:
    """Publication date from the most reliable tier that has one not after ``fetched_at``; modified date."""
    published, modified = metadata_dates(meta, tz)
    text_pub, text_mod = text_dates(blocks, body_start, tz, meta.aside)
    mods = [d for d in modified if _not_future(d, fetched_at)] or ([text_mod] if _not_future(text_mod, fetched_at) else [])
    result = Dates(modified=max(mods) if mods else None)
    valid = [(d, where) for d, where in published if _not_future(d, fetched_at)]
    if valid:
        # Within the most structured source present, the first value in page order (datePublished is read
        # before dateCreated; the article's own <time> comes before those of anything below it).
        rank = {"json-ld": 0, "meta": 1, "microdata": 2, "time": 3}
        best = min(range(len(valid)), key=lambda i: (rank[valid[i][1]], i))
        result.published, result.source, result.detail = valid[best][0], "metadata", valid[best][1]
    else:
        fallback = _not_future(_htmldate_fallback(meta, tz), fetched_at)
        if fallback:
            result.published, result.source, result.detail = fallback, "metadata", "htmldate"
        elif _not_future(text_pub, fetched_at):
            result.published, result.source, result.detail = text_pub, "text", "text"
        elif _not_future(url_date(url, tz), fetched_at):
            result.published, result.source, result.detail = url_date(url, tz), "url", "url"
    if result.modified and result.published and result.modified <= result.published:
        result.modified = None  # "modified" equal to the publication is no modification
    return result


def local_zone(country: str = "") -> tzinfo:
    """Time zone used for times written without an offset: the outlet's country, Paris by default."""
    from zoneinfo import ZoneInfo

    zones = {"CA": "America/Toronto", "CH": "Europe/Zurich", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
             "MA": "Africa/Casablanca", "TN": "Africa/Tunis", "SN": "Africa/Dakar", "CI": "Africa/Abidjan"}
    try:
        return ZoneInfo(zones.get((country or "").upper(), "Europe/Paris"))
    except Exception:  # no tz database on this system: a fixed offset is better than nothing
        return timezone(timedelta(hours=1))
