"""Headline: the visible <h1> when the page's metadata confirms it, else the metadata consensus.

<title> and og:title usually carry the site name ("… - Le Monde", "… | DW"); <h1> is the headline as
readers see it but pages have several, or a kicker glued in front ("Frain Incendie…"). A candidate is
*confirmed* when another source gives the same words (quotes and apostrophes aside)."""

from __future__ import annotations

import re

from .authors import name_key
from .htmlmeta import PageMeta, norm_space

SEPARATORS = re.compile(r"\s+[|–—-]\s+|\s+::\s+|\s+·\s+")


def title_key(text: str) -> str:
    """Comparison key: case, accents, quotes and punctuation ignored."""
    return name_key(text.replace("’", "'").replace("…", "..."))


def _strip_site(title: str, site: str) -> str:
    """The title without the site name glued before or after it ("… | AOC media")."""
    if site and len(site) < len(title):
        for sep in SEPARATORS.finditer(title):
            head, tail = title[:sep.start()], title[sep.end():]
            if title_key(tail) == title_key(site):
                return head.strip()
            if title_key(head) == title_key(site):
                return tail.strip()
    return title


def _segments(title: str) -> list[str]:
    """The title and its parts split at site-name separators, longest first."""
    parts = [p.strip() for p in SEPARATORS.split(title) if p.strip()]
    return sorted({title, *parts}, key=len, reverse=True)


def find_title(meta: PageMeta, newspaper_title: str = "", trafilatura_title="") -> tuple[str, str]:
    """Headline and its source (veille:h1, veille:og:title, ..., newspaper3k, trafilatura).

    ``trafilatura_title`` may be a callable, called only when it is needed.
    """
    metas = [("og:title", meta.first("og:title")), ("twitter:title", meta.first("twitter:title"))]
    metas += [("json-ld", norm_space(str(o["headline"]))) for o in meta.articles() if isinstance(o.get("headline"), str)]
    metas += [("title", meta.title_tag)]
    metas = [(k, _strip_site(v, meta.site_name)) for k, v in metas if v]
    segment_keys = {title_key(s): s for _, v in metas for s in _segments(v) if len(s.split()) >= 2}
    site = title_key(meta.site_name) if meta.site_name else ""
    # 1. an <h1> that a metadata title (or one of its parts) repeats
    meta_keys = [title_key(v) for _, v in metas]
    for h1 in meta.h1:
        k = title_key(h1)
        if len(h1) <= 300 and (k in segment_keys or (len(k.split()) >= 3 and any(
                mk.startswith(k + " ") or mk.endswith(" " + k) for mk in meta_keys))):
            return h1, "veille:h1"
    # 2. an <h1> with a kicker in front: the longest metadata part it ends with
    for h1 in meta.h1:
        k = title_key(h1)
        for seg_key, seg in sorted(segment_keys.items(), key=lambda x: -len(x[0])):
            if len(seg_key) >= max(12, len(k) // 2) and k.endswith(seg_key) and seg_key != site:
                return seg, "veille:h1-metadata"
    # 3. metadata consensus: a part two metadata sources share (the site name excluded)
    counts: dict[str, int] = {}
    for _, value in metas:
        for key in {title_key(s) for s in _segments(value)}:
            counts[key] = counts.get(key, 0) + 1
    shared = [k for k, n in counts.items() if n >= 2 and k != site and len(k.split()) >= 2]
    if shared:
        best = max(shared, key=len)
        return segment_keys.get(best) or best, "veille:metadata"
    # 4. single sources: the libraries' own choice (they strip site names), then raw metadata
    if newspaper_title:
        return norm_space(newspaper_title), "newspaper3k"
    trafilatura_title = trafilatura_title() if callable(trafilatura_title) else trafilatura_title
    if trafilatura_title:
        return norm_space(trafilatura_title), "trafilatura"
    for name, value in metas:
        return value, f"veille:{name}"
    return (meta.h1[0], "veille:h1") if meta.h1 else ("", "none")
