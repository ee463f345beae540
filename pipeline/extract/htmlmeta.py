"""One lxml parse of a page, read for what the extractors disagree on: JSON-LD, meta tags, headlines,
bylines and the visible text around the article header."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u200b\ufeff]+")
# Class/id words of containers whose dates, names and links belong to other articles or to readers.
_ASIDE_WORDS = {"aside", "related", "relateds", "recommend", "recommended", "recommendations", "teaser", "teasers",
                "comment", "comments", "sidebar", "widget", "widgets", "footer", "nav", "navbar", "navigation",
                "newsletter", "popular", "mostread", "outbrain", "taboola", "share", "sharing", "promo", "cookie",
                "cookies", "catcher", "breadcrumb", "partner", "partners", "sponsor", "sponsored", "reactions",
                "readmore", "ads", "advert", "advertisement", "banner", "cmp", "gdpr", "consent", "paywall"}
_WORD_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "button", "select", "option"}


def norm_space(text: str) -> str:
    """NFC, no soft hyphens or zero-width characters, single plain spaces."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00ad", "")
    return _SPACES.sub(" ", text).strip()


def parse_html(html: str):
    """Lenient lxml tree of a page (None if it cannot be parsed at all)."""
    import lxml.html

    if not html or not html.strip():
        return None
    try:
        # lxml refuses str input that carries an XML encoding declaration; bytes are always fine.
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8", recover=True))
    except Exception:  # lxml raises ParserError/ValueError/XMLSyntaxError on hopeless input
        return None


class Asides:
    """Tells whether an element sits in a related-articles, comments, footer or navigation block.

    Walks up to the nearest <article>/<main>/<body>. A container whose class names an aside but that
    holds most of the page's text is a layout wrapper ("zen-one-sidebar-second"), not an aside.
    """

    def __init__(self, tree):
        body = tree.find(".//body") if tree is not None else None
        self.body_len = len((body if body is not None else tree).text_content()) if tree is not None else 0
        # Keyed by the element itself: holding it keeps lxml's proxy alive, so the key stays valid
        # (an id() of a dropped proxy can be reused by another element's proxy).
        self.cache: dict = {}

    def protect(self, blocks: list[tuple[str, object]], first_paragraph: str) -> None:
        """Never call the containers of the article's first paragraph asides (whatever their class)."""
        head = norm_space(first_paragraph)
        if len(head) < 15:
            return
        for text, el in blocks:
            piece = norm_space(text)
            if len(piece) >= 15 and (head[:30] in piece or head.startswith(piece)):
                while el is not None:
                    self.cache[el] = False
                    el = el.getparent()
                return

    def _is_aside(self, el) -> bool:
        key = el
        if key not in self.cache:
            tag = el.tag if isinstance(el.tag, str) else ""
            words = {w.lower() for w in _WORD_SPLIT.split(f"{el.get('class', '')} {el.get('id', '')}") if w}
            aside = tag in ("aside", "footer", "nav") or bool(words & _ASIDE_WORDS)
            if aside and self.body_len and len(el.text_content()) > 0.5 * self.body_len:
                aside = False
            self.cache[key] = aside
        return self.cache[key]

    def __call__(self, el) -> bool:
        while el is not None and isinstance(el.tag, str) and el.tag not in ("article", "main", "body", "html"):
            if self._is_aside(el):
                return True
            el = el.getparent()
        return False


def _walk_jsonld(obj, out: list[dict]) -> None:
    if isinstance(obj, dict):
        out.append(obj)
        for value in obj.values():
            if isinstance(value, (dict, list)):
                _walk_jsonld(value, out)
    elif isinstance(obj, list):
        for item in obj:
            _walk_jsonld(item, out)


def _types(obj: dict) -> set[str]:
    t = obj.get("@type", "")
    return {str(x).lower() for x in (t if isinstance(t, list) else [t])}


ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
                 "blogposting", "liveblogposting", "backgroundnewsarticle", "reviewnewsarticle", "webpage",
                 "socialmediaposting", "report", "scholarlyarticle", "techarticle", "posting"}


@dataclass
class PageMeta:
    """What the page declares about itself, plus its visible text."""

    jsonld: list[dict] = field(default_factory=list)   # every JSON-LD object, nested ones included
    meta: dict[str, list[str]] = field(default_factory=dict)  # lower-cased property/name/itemprop -> contents
    canonical: str = ""
    title_tag: str = ""
    h1: list[str] = field(default_factory=list)
    site_name: str = ""
    html_lang: str = ""
    tree: object = None
    aside: Asides | None = None

    def first(self, *keys: str) -> str:
        """First non-empty meta content among ``keys``."""
        for key in keys:
            for value in self.meta.get(key, []):
                if value.strip():
                    return value.strip()
        return ""

    def articles(self) -> list[dict]:
        """JSON-LD objects describing an article, the most specific types first."""
        arts = [o for o in self.jsonld if _types(o) & ARTICLE_TYPES]
        return sorted(arts, key=lambda o: "webpage" in _types(o))


def read_meta(tree) -> PageMeta:
    """Collect JSON-LD, meta tags, canonical link, <title>, <h1> and site name from a parsed page."""
    meta = PageMeta(tree=tree, aside=Asides(tree))
    if tree is None:
        return meta
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            # Common breakage: raw newlines or trailing commas; a second, lenient try.
            try:
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.replace("\n", " ")), strict=False)
            except ValueError:
                continue
        _walk_jsonld(data, meta.jsonld)
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content is not None:
            meta.meta.setdefault(key, []).append(norm_space(content))
    for el in tree.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href") and not meta.canonical:
            meta.canonical = el.get("href").strip()
    title = tree.find(".//title")
    meta.title_tag = norm_space(title.text_content()) if title is not None else ""
    meta.h1 = [t for t in (norm_space(h.text_content()) for h in tree.iter("h1")) if t]
    meta.site_name = meta.first("og:site_name", "application-name", "twitter:site")
    for obj in meta.jsonld:
        if not meta.site_name and _types(obj) & {"newsmediaorganization", "organization"} and obj.get("name"):
            meta.site_name = norm_space(str(obj["name"]))
    meta.html_lang = (tree.get("lang") or tree.get("xml:lang") or "").lower()
    return meta


def visible_blocks(tree) -> list[tuple[str, object]]:
    """Visible text of the page in reading order, one entry per text node with its element."""
    from lxml import etree

    out: list[tuple[str, object]] = []
    if tree is None:
        return out
    body = tree.find(".//body")
    root = body if body is not None else tree
    hidden_depth = 0  # > 0 while inside a script, style, hidden element...
    for event, el in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):
            if not hidden_depth and el.tail and el.tail.strip():
                out.append((el.tail, el.getparent()))
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        skip = (not tag or tag in _SKIP_TAGS or el.get("hidden") is not None
                or "display:none" in (el.get("style") or "").replace(" ", ""))
        if event == "start":
            if skip or hidden_depth:
                hidden_depth += 1
            elif el.text and el.text.strip():
                out.append((el.text, el))
        else:
            if skip or hidden_depth:
                hidden_depth -= 1
            if not hidden_depth and el is not root and el.tail and el.tail.strip():
                out.append((el.tail, el.getparent()))
    return out
