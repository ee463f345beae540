"""One analysed document per article: title, lead and body joined by blank lines.

The components see the headline and the chapô with the body (they frame an article's stance and name
actors the body may not), while stored offsets stay relative to the article field they fall in
(``articles.title``, ``articles.lead`` or ``articles.text``), so analysts can slice those columns.
"""

from __future__ import annotations

SEP = "\n\n"  # a blank line: veille_sentences always starts a new sentence there
FIELDS = ("title", "lead", "text")
# Offset pairs of each row kind: the first pair decides the row's field.
OFFSETS = {"mentions": [("start_char", "end_char")],
           "claims": [("content_start", "content_end"), ("speaker_start", "speaker_end")],
           "annotations": [("span_start", "span_end")]}


def compose(title: str | None, lead: str | None, text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The analysed text and the (field, start, end) of each non-empty part in it."""
    parts, bounds, pos = [], [], 0
    for name, value in zip(FIELDS, (title, lead, text)):
        value = (value or "").strip() if name != "text" else (value or "")
        if not value:
            continue
        if parts:
            parts.append(SEP)
            pos += len(SEP)
        parts.append(value)
        bounds.append((name, pos, pos + len(value)))
        pos += len(value)
    return "".join(parts), bounds


def localise(rows: list[dict], bounds: list[tuple[str, int, int]], kind: str) -> list[dict]:
    """Give each row its ``field`` and offsets relative to that field; article-level rows get "article"."""
    pairs = OFFSETS[kind]
    out = []
    for row in rows:
        row = dict(row)
        if kind == "annotations" and row.get("scope") == "article":
            out.append({**row, "field": "article"})
            continue
        start = row[pairs[0][0]]
        name, base, end = next(((n, s, e) for n, s, e in bounds if s <= start < e), bounds[-1])
        row["field"] = name
        for i, (a, b) in enumerate(pairs):
            if row.get(a) is None:
                continue
            if i == 0:  # the row's own span: never across a blank line in practice, clipped to be sure
                row[b] = min(row[b], end)
            elif not (base <= row[a] and row[b] <= end):  # e.g. a speaker named in the title of a body claim
                row[a] = row[b] = None
                continue
            row[a], row[b] = row[a] - base, row[b] - base
        out.append(row)
    return out
