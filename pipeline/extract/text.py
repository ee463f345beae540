"""Main text: trafilatura's paragraphs, completed and checked against newspaper3k's, then cleaned.

Why a paragraph-level merge: the two libraries fail differently. trafilatura finds the article body
on more layouts but sometimes drops a lede kept in its own container, and keeps trailing page
furniture (paywall prompts, footer lists); newspaper3k keeps ledes but also photo captions and
notices. Paragraphs both return are the article's spine (*anchors*); a paragraph only one returns
is kept when its position and shape say "article prose". Then boilerplate lines (teasers such as
"À lire aussi", subscription and newsletter prompts, share buttons, credits, author bios) go.
"""

from __future__ import annotations

import re
import unicodedata

from .dates import DATE_RE
from .htmlmeta import norm_space

# Prose: long enough and ending like a sentence (closing quotes/brackets allowed).
_SENTENCE_END = re.compile(r"[.!?…:;»\"”)\]]\s*$")
TEASER = re.compile(r"^(?:[àa]\s+)?(?:lire|voir|d[ée]couvrir|[ée]couter|regarder|relire)\s+(?:aussi|[ée]galement|"
                    r"notre|nos|la suite|l'article|l’article)\b|^(?:sur le m[êe]me (?:sujet|th[èe]me)|pour aller plus loin|"
                    r"pour approfondir|dans la m[êe]me rubrique|nos articles|articles? (?:li[ée]s|similaires|associ[ée]s|"
                    r"connexes|recommand[ée]s)|[àa] d[ée]couvrir|en savoir plus|voir aussi|read more|related|"
                    r"les plus lus|les articles les plus|[àa] lire|en vid[ée]o|vid[ée]o\s*:|notre s[ée]lection)\b", re.I)
PAYWALL = re.compile(r"il vous reste \d+\s*%|la suite (?:de cet article )?est r[ée]serv[ée]e|pour lire la suite|"
                     r"r[ée]serv[ée]e? aux abonn[ée]s|article r[ée]serv[ée]|abonnez-vous pour (?:lire|continuer)|"
                     r"cet article est r[ée]serv[ée]|d[ée]bloquer (?:cet|l['’])article", re.I)
BOILERPLATE = re.compile(
    r"\b(?:abonnez-vous|s['’]abonner|je m['’]abonne|d[ée]j[àa] abonn[ée]|offre d[ée]couverte|acc[èe]s illimit[ée]|"
    r"en illimit[ée]|cr[ée]ez (?:votre|un) compte|connectez-vous|se connecter|identifiez-vous|"
    r"newsletters?|lettre d['’]information|inscrivez-vous|recevez (?:chaque|nos|notre|gratuitement)|"
    r"partager (?:sur|par|cet)|partagez (?:cet|sur)|envoyer par (?:e-)?mail|copier le lien|imprimer (?:cet|l['’])|"
    r"cookies?|publicit[ée]|tous droits r[ée]serv[ée]s|mentions l[ée]gales|"
    r"laisser un commentaire|[ée]crire un commentaire|vos r[ée]actions|charte (?:des|de) (?:commentaires|mod[ée]ration)|"
    r"signaler un (?:abus|contenu)|suivez-nous|t[ée]l[ée]chargez l['’]application)\b", re.I)
CREDIT = re.compile(r"^(?:cr[ée]dits?(?: photos?)?|photos?|images?(?: illustrative)?|illustration|©|copyright|"
                    r"source ?photo|l[ée]gende)\s*[:©/]|\bphotos?\s*:\s*\S|^©|\s©\s*\w+\s*$|^\(?photo\b.{0,60}\)?$", re.I)
AUTHOR_BIO = re.compile(r"^(?:[\w'’-]+\s){1,4}(?:est|était|a été)\s+(?:journaliste|r[ée]dact|correspondant|"
                        r"chroniqueu|reporter|[ée]ditorialiste|grand reporter|pigiste|stagiaire|cheffe? (?:du|de) service)", re.I)
HEADER_CUE = re.compile(r"\b(?:publi[ée]e?|mis en ligne|mis à jour|modifi[ée]e?)\b[^\n]{0,30}\d", re.I)
DATELINE = re.compile(r"^(?:publi[ée]e?|mis en ligne|mise? à jour|modifi[ée]e?|actualis[ée]e?|post[ée]e?)\b", re.I)
COMMENTS_HEAD = re.compile(r"^(?:\d+\s+)?(?:commentaires?|contributions?|r[ée]actions?)(?:\s*\(\d+\))?\s*:?$", re.I)


def paragraphs(text: str) -> list[str]:
    """Lines of an extractor's output as clean paragraphs (table pipes and list dashes trimmed)."""
    out = []
    for line in (text or "").splitlines():
        line = norm_space(line).strip("| ").strip()
        if re.fullmatch(r"[|\s\-–—•·*]*", line):
            continue
        out.append(line)
    return out


_NON_WORD = re.compile(r"[\W_]+")


def _key(p: str) -> str:
    """Comparison key of a paragraph: letters and digits only, case and accents folded."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKD", p.casefold()))


def prose(p: str, min_words: int = 20) -> bool:
    """Looks like a paragraph of article prose: enough words, ends like a sentence."""
    return len(p.split()) >= min_words and bool(_SENTENCE_END.search(p))


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 0.85 * len(long_) and short in long_


def align(base: list[str], other: list[str]) -> list[int | None]:
    """For each paragraph of ``other``, the index of the same paragraph in ``base`` (None if absent)."""
    keys = [_key(p) for p in base]
    index = {k: i for i, k in reversed(list(enumerate(keys)))}
    out: list[int | None] = []
    for p in other:
        k = _key(p)
        hit = index.get(k)
        if hit is None and len(k) >= 20:
            hit = next((i for i, bk in enumerate(keys) if _same(k, bk)), None)
        out.append(hit)
    return out


def merge(base: list[str], other: list[str]) -> tuple[list[str], int, set[str]]:
    """trafilatura's paragraphs (``base``) completed with newspaper3k's (``other``).

    Returns the merged paragraphs, how many came from ``other`` and the keys of the base paragraphs the
    other extractor confirmed (empty when the two agree on too little to tell).
    """
    where = align(base, other)
    anchors = [(j, i) for j, i in enumerate(where) if i is not None]
    confirmed = {_key(base[i]) for _, i in anchors} if len(anchors) >= 3 else set()
    if len(anchors) < 2:
        return list(base), 0, confirmed
    first_j, last_j = anchors[0][0], anchors[-1][0]
    inserts: dict[int, list[str]] = {}   # base index -> other paragraphs to put before it
    prev_base = None
    added = 0
    for j, p in enumerate(other):
        i = where[j]
        if i is not None:
            prev_base = i
            continue
        if j > last_j or not prose(p):
            continue  # after the last shared paragraph newspaper3k's extras are mostly page furniture
        if j < first_j and any(where[k] is None and not prose(other[k]) for k in range(j + 1, first_j)):
            continue  # a lede must touch the shared text, not sit above a block of short lines
        nxt = next((where[k] for k in range(j + 1, len(other)) if where[k] is not None), None)
        slot = nxt if nxt is not None else (prev_base + 1 if prev_base is not None else 0)
        inserts.setdefault(slot, []).append(p)
        added += 1
    merged = []
    for i, p in enumerate(base):
        merged.extend(inserts.pop(i, []))
        merged.append(p)
    for rest in inserts.values():
        merged.extend(rest)
    # After the last anchor, base-only short lines are trailing furniture (paywall prompts, footer lists).
    last_base = max(i for _, i in anchors)
    last_pos = merged.index(base[last_base])
    if len(anchors) >= 3:
        tail = [p for p in merged[last_pos + 1:] if prose(p, 12) and not PAYWALL.search(p)]
        merged = merged[:last_pos + 1] + tail
    if confirmed:  # newspaper3k's own paragraphs that were let in count as confirmed too
        confirmed |= {_key(p) for j, p in enumerate(other) if where[j] is None}
    return merged, added, confirmed


def clean(paras: list[str], title: str = "", confirmed: set[str] | None = None) -> list[str]:
    """Drop boilerplate lines; cut at a paywall prompt; drop the repeated headline and trailing bios.

    ``confirmed``: keys of paragraphs both extractors returned (when known); after a bare teaser label
    ("À lire aussi") the unconfirmed lines that follow are the teased headlines.
    """
    title_k = _key(title) if title else ""
    out: list[str] = []
    skip_links = 0
    for p in paras:
        short = len(p) < 220
        if short and PAYWALL.search(p):
            break  # what follows a paywall prompt is the subscription offer, never the article
        k = _key(p)
        if title_k and (k == title_k or (k.startswith(title_k) and len(k) - len(title_k) < 60)):
            continue
        if len(title_k) >= 20 and title_k in k and len(p) < 600 and HEADER_CUE.search(p):
            continue  # the article header (kicker, headline, "Publié le …") read as one paragraph
        if len(p) < 120 and DATELINE.search(p) and DATE_RE.search(p):
            continue  # "Publié le 4 février 2025 à 22 h 05": metadata, kept in published_at
        if not out and len(p.split()) <= 3 and not _SENTENCE_END.search(p):
            continue  # a section kicker ("Économie", "Interview") above the first paragraph
        # Both extractors kept it and it reads as prose: words like "se connecter" or "newsletter" in it
        # are the story's ("les utilisateurs peuvent toujours se connecter"), not page furniture.
        story = bool(confirmed) and k in confirmed and prose(p, 15)
        if short and (TEASER.search(p) or (BOILERPLATE.search(p) and not story) or CREDIT.search(p)
                      or COMMENTS_HEAD.search(p)):
            # A bare label ("À lire aussi") is followed by the teased headlines.
            skip_links = 3 if len(p.split()) <= 5 and TEASER.search(p) else 0
            continue
        teased = (k not in confirmed and len(p) < 300) if confirmed else (
            len(p) < 160 and not re.search(r"[.!»]\s*$", p))
        if skip_links and teased:
            skip_links -= 1
            continue
        skip_links = 0
        out.append(p)
    while out and len(out[-1]) < 300 and AUTHOR_BIO.search(out[-1]):
        out.pop()
    return out


def combine_text(trafilatura_text: str, newspaper_text: str, title: str = "", recall_text: str = "",
                 min_chars: int = 200) -> tuple[str, str]:
    """The article text and which extractor(s) it came from."""
    t, n = paragraphs(trafilatura_text), paragraphs(newspaper_text)
    t_len, n_len = sum(map(len, t)), sum(map(len, n))
    # Fallbacks when one library returns too little: the other one, then trafilatura in recall mode.
    if t_len < min_chars or (n_len > 3 * t_len and n_len >= 4 * min_chars):
        candidates = [(n_len, n, "newspaper3k"), (t_len, t, "trafilatura")]
        if recall_text:
            r = paragraphs(recall_text)
            candidates.append((sum(map(len, r)), r, "trafilatura:recall"))
        _, best, source = max(candidates, key=lambda c: c[0])
        return "\n\n".join(clean(best, title)), source
    merged, added, confirmed = merge(t, n)
    source = "trafilatura+newspaper3k" if added else "trafilatura"
    return "\n\n".join(clean(merged, title, confirmed)), source
