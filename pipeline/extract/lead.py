"""The lead (chapô): the summary paragraph a news page shows between the title and the body.

Pages declare it as their description (JSON-LD ``description``, ``og:description``, ``<meta
name="description">``). A description is kept as the lead only when the page also *shows* it and
the body does not already start with it: SEO-only descriptions and truncated teasers of the first
paragraph are not leads.
"""

from __future__ import annotations

from .htmlmeta import PageMeta, norm_space

MIN_LEAD_CHARS = 40
MAX_LEAD_CHARS = 1200


def _key(text: str) -> str:
    return norm_space(text).casefold().replace("’", "'")


def find_lead(meta: PageMeta, blocks: list[tuple[str, object]], text: str) -> tuple[str, str]:
    """(lead, source) of a page, or ("", "none") when it shows none distinct from the body."""
    candidates = [(str(o.get("description") or ""), "jsonld") for o in meta.articles()]
    candidates += [(meta.first(key), f"meta:{key}") for key in ("og:description", "description", "twitter:description")]
    visible = _key(" ".join(t for t, _ in blocks))
    body_start = _key(text[: 2 * MAX_LEAD_CHARS])
    for value, source in candidates:
        lead = norm_space(value)
        if not (MIN_LEAD_CHARS <= len(lead) <= MAX_LEAD_CHARS) or lead.endswith(("…", "...")):
            continue  # too short to be a summary, or a teaser cut off by the CMS
        key = _key(lead)
        if key in body_start or key not in visible:
            continue  # already the body's first words, or never shown to readers
        return lead, source
    return "", "none"
