"""Bylines: where the page names its authors, and how raw bylines become a clean list of names.

Sources, in order of trust: JSON-LD ``author`` of the article, the visible byline (``rel=author``,
``itemprop=author``, elements whose class names an author/byline/signature), ``<meta>`` author tags,
then what trafilatura and newspaper3k found. Cleaning strips "Par", roles ("Journaliste",
"correspondant à..."), e-mails and dates; agencies (AFP, APC, Reuters...) are kept as written.
"""

from __future__ import annotations

import re
import unicodedata

from .htmlmeta import PageMeta, norm_space

PREFIX = re.compile(r"^(?:(?:un |une )?(?:texte|article|reportage|chronique|billet|entretien|propos) "
                    r"(?:de|par|recueillis par)|propos recueillis par|recueillis? par|interview par|"
                    r"r[ée]dig[ée]e? par|[ée]crit par|publi[ée]e? par|sign[ée]e? par|auteure?s? ?:?|"
                    r"par|by|de|texte ?:|photos? ?:|vid[ée]o ?:)\s+", re.I)
# Words that describe a person's job or desk rather than name them.
ROLE = re.compile(r"\b(journalistes?|r[ée]dact(eur|rice)s?( en chef)?|correspondante?s?|envoy[ée]e?s? sp[ée]ciale?s?|"
                  r"chroniqueu(r|se)s?|[ée]ditorialiste|reporters?|photographe|pigiste|stagiaire|contributeur|"
                  r"contributrice|rubrique|service|pr[ée]sentat(eur|rice)|professeure?|philosophe|chercheu(r|se)|"
                  r"avocate?|[ée]conomiste|directeur|directrice|fondat(eur|rice)|membre|responsable|sp[ée]cialiste|"
                  r"staff|editor|writer|auteur|auteure|[ée]quipe|team)\b", re.I)
AGENCIES = {"afp", "ap", "ats", "apc", "reuters", "belga", "dpa", "efe", "ansa", "xinhua", "bloomberg", "ips",
            "pc", "la presse canadienne", "keystone-ats", "apm", "aps", "map", "tap", "ani", "kyodo", "upi"}
PARTICLES = {"de", "du", "des", "d'", "d’", "le", "la", "van", "von", "der", "den", "da", "di", "del", "della",
             "dos", "das", "ben", "bin", "el", "al", "y", "e", "ter", "zu", "mc", "st", "saint"}
SPLIT = re.compile(r"\s*(?:;|,|\s&\s|\s+et\s+|\s+and\s+|\s+avec\s+|\s/\s|\s\|\s|\n)\s*", re.I)
BYLINE_CLASS = re.compile(r"(^|[\s_-])(author|auteur|byline|signature|signataire|writer|username|creator|"
                          r"contributor)", re.I)
NOT_BYLINE = re.compile(r"(bio|box|card|desc|about|info|avatar|img|photo|follow|footer|comment|social)", re.I)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def name_key(name: str) -> str:
    """Comparison key of a name: case-, accent- and punctuation-insensitive."""
    s = _strip_accents(norm_space(name)).casefold()
    return " ".join(re.sub(r"[^\w\s-]", " ", s).split())


def _fix_case(name: str) -> str:
    """'Patrick ANGEVIN' -> 'Patrick Angevin'; agencies and initials stay as written."""
    words = name.split()
    if len(words) == 1 and name.lower() in AGENCIES:
        return name.upper() if len(name) <= 5 else name
    out = []
    for w in words:
        letters = [c for c in w if c.isalpha()]
        if len(letters) > 2 and all(c.isupper() for c in letters):
            w = "-".join(part[:1].upper() + part[1:].lower() for part in w.split("-"))
        out.append(w)
    return " ".join(out)


def clean_author(piece: str) -> str:
    """One byline piece to a name, or '' when it is not a name (role, date, sentence, e-mail...)."""
    s = norm_space(piece)
    s = re.sub(r"\S+@\S+|https?://\S+", " ", s)
    s = re.sub(r"[©®]", " ", s)
    s = re.sub(r"\((?:avec )?[^)]*\)", " ", s)          # "(APC)", "(avec AFP)", "(à Genève)"
    s = norm_space(s).strip(" .,;:-–—|")
    for _ in range(2):
        s = PREFIX.sub("", s).strip(" .,;:-–—|")
    s = re.split(r"\s[–—-]\s|\s?[|:]\s?|,\s", s)[0]     # "Name — Journaliste", "Name | Site"
    s = re.split(r"\s+(?:à|in|pour|for|depuis|publi[ée]e?|mis en ligne|mis à jour|le \d+|updated)(?:\s|$)", s,
                 flags=re.I)[0].strip(" .,;:-–—|")
    if not s or len(s) > 60 or any(c.isdigit() for c in s) or ROLE.search(s) and s.lower() not in AGENCIES:
        return ""
    words = s.split()
    if s.lower() in AGENCIES:
        return _fix_case(s)
    if not 2 <= len(words) <= 5 and not (len(words) == 1 and s.lower() == "rédaction"):
        return ""
    lower = [w for w in words if w[:1].islower() and w.lower() not in PARTICLES]
    if lower:
        return ""
    return _fix_case(s)


def split_authors(raw: str | list[str]) -> list[str]:
    """Raw byline(s) to a de-duplicated list of clean names, in order."""
    pieces: list[str] = []
    for item in ([raw] if isinstance(raw, str) else raw or []):
        text = norm_space(str(item))
        text = re.sub(r"\(\s*avec\s+([^)]*)\)", r", \1", text, flags=re.I)  # "X (avec Y et Z)" -> co-authors
        pieces.extend(SPLIT.split(text))
    names, seen = [], set()
    for piece in pieces:
        name = clean_author(piece)
        key = name_key(name)
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def _jsonld_authors(meta: PageMeta) -> list[str]:
    publisher = name_key(meta.site_name)
    for obj in meta.articles():
        value = obj.get("author") or obj.get("creator")
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        persons, orgs = [], []
        for item in items:
            if isinstance(item, str):
                persons.append(item)
            elif isinstance(item, dict) and item.get("name"):
                kind = str(item.get("@type", "")).lower()
                (orgs if "organization" in kind else persons).append(str(item["name"]))
        pub = obj.get("publisher")
        pub_name = name_key(pub.get("name", "")) if isinstance(pub, dict) else ""
        # An Organization author that is the publisher itself means "unsigned", not an author.
        orgs = [o for o in orgs if name_key(o) not in {publisher, pub_name}]
        names = split_authors(persons) or split_authors(orgs)
        if names:
            return names
    return []


def _byline_elements(meta: PageMeta) -> list[str]:
    tree = meta.tree
    if tree is None:
        return []
    found: list[str] = []
    for el in tree.xpath('//*[@rel="author" or @itemprop="author" or @class or @id]'):
        cls = f"{el.get('class', '')} {el.get('id', '')}"
        is_byline = el.get("rel") == "author" or el.get("itemprop") == "author" or (
            BYLINE_CLASS.search(cls) and not NOT_BYLINE.search(cls))
        if not is_byline or meta.aside(el):
            continue
        named = el.xpath('.//*[@itemprop="name"]')
        text = " ".join(n.text_content() for n in named) if named else el.text_content()
        text = norm_space(text)
        if text and len(text) <= 160:
            found.append(text)
    # The article's own byline is the first such element; later ones are usually teasers/comments.
    return found


TEXT_BYLINE = re.compile(r"^(?:par|auteure?s?\s*:|texte\s*:|un texte de|propos recueillis par|recueillis? par|"
                         r"by)\s+\S", re.I)


def _text_bylines(blocks: list[tuple[str, object]], aside) -> list[str]:
    """Short visible lines that start like a byline ("Par …", "Auteur : …", "Un texte de …")."""
    out = []
    for text, el in blocks:
        line = norm_space(text)
        if 4 < len(line) <= 80 and TEXT_BYLINE.search(line) and not aside(el):
            out.append(line)
    return out


def _publisher_filter(names: list[str], meta: PageMeta, host: str) -> list[str]:
    """Drop 'authors' that are the publication itself (site name or host name)."""
    site = name_key(meta.site_name).replace(" ", "")
    host = re.sub(r"^www\.", "", (host or "").lower())
    kept = []
    for name in names:
        key = name_key(name).replace(" ", "").replace("-", "")
        if key and (key == site or (len(key) >= 4 and key in host.replace("-", "").replace(".", ""))):
            continue
        kept.append(name)
    return kept


def find_authors(meta: PageMeta, trafilatura_author="", newspaper_authors: list[str] | None = None,
                 blocks: list[tuple[str, object]] | None = None, host: str = "") -> tuple[list[str], str]:
    """Clean author list and the source it came from (``trafilatura_author`` may be a callable)."""
    def ok(names: list[str]) -> list[str]:
        return _publisher_filter(names, meta, host)

    structured = ok(_jsonld_authors(meta))
    byline = next((n for n in (ok(split_authors(t)) for t in _byline_elements(meta)) if n), [])
    if structured:
        keys = {name_key(n) for n in structured}
        # The visible byline wins when it names everyone JSON-LD names, and more (co-authors).
        if byline and keys < {name_key(n) for n in byline}:
            return byline, "veille:byline"
        return structured, "veille:json-ld"
    if byline:
        return byline, "veille:byline"
    for text in _text_bylines(blocks or [], meta.aside):
        names = ok(split_authors(text))
        if names:
            return names, "veille:text"
    raw_meta = [v for k in ("author", "article:author", "dc.creator", "byl", "sailthru.author", "parsely-author")
                for v in meta.meta.get(k, []) if v and not v.startswith("http")]
    names = ok(split_authors(raw_meta))
    if names:
        return names, "veille:meta"
    if callable(trafilatura_author):
        trafilatura_author = trafilatura_author()
    names = ok(split_authors(trafilatura_author or ""))
    if names:
        return names, "trafilatura"
    names = ok(split_authors(newspaper_authors or []))
    if names:
        return names, "newspaper3k"
    return [], "none"
