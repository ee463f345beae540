"""Syntax helpers for claim extraction: a per-doc index (text, sentences), reporting-verb cues,
subjects and inverted subjects, and where a reported proposition ends.

spaCy's ``doc.text`` and ``Token.sent`` cost O(len(doc)) per call, so :func:`index` computes them once
per doc; every helper here works on token indices of one doc.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, ORTH, POS, SENT_START, SPACY
from spacy.symbols import VERB
from spacy.tokens import Doc, Span, Token

from .lexicon import AUX_FORMS, LEMMA_ENTRY, MULTIWORD_CUES, PRONOMINAL, SUBJECT_PRONOUNS, verb_forms

OPEN_Q, CLOSE_Q = "«“", "»”"
NEG = {"ne", "n'", "pas", "plus", "jamais", "guère", "point"}


# -- per-doc index: doc.text and Token.sent are O(len(doc)) in spaCy, so compute them once -------------

def doc_text(doc: Doc) -> str:
    """``doc.text`` from one array read (spaCy builds it from a Token object per token)."""
    strings = doc.vocab.strings
    rows = doc.to_array([ORTH, SPACY]).tolist() if len(doc) else []
    return "".join([strings[orth] + " " if space else strings[orth] for orth, space in rows])


def doc_length(doc: Doc) -> int:
    """``len(doc.text)`` without building the text."""
    return doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0


def blank_lines(doc: Doc, sep: str = "\n\n") -> tuple[int, int]:
    """Offsets of the first and the last ``sep`` (a blank line) in ``doc.text``, or (-1, -1).

    Only whitespace tokens can hold one (the tokenizer splits line breaks off words), so only they
    are read, not the whole text."""
    first = last = -1
    for i in (np.flatnonzero(doc.to_array(IS_SPACE)).tolist() if len(doc) else []):
        tok = doc[i]
        if sep in tok.text:
            if first < 0:
                first = tok.idx + tok.text.find(sep)
            last = tok.idx + tok.text.rfind(sep)
    return first, last


def sentence_spans(doc: Doc) -> list[Span]:
    """``list(doc.sents)`` from one array read (``doc.sents`` creates a Token object per token)."""
    if not len(doc):
        return []
    starts = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [doc[a:b] for a, b in zip(starts, starts[1:] + [len(doc)])]


class _Index:
    def __init__(self, doc: Doc):
        self.text = doc_text(doc)
        self.sents = sentence_spans(doc)
        self.of = np.zeros(len(doc), dtype=np.int32)
        for k, s in enumerate(self.sents):
            self.of[s.start:s.end] = k


_LAST: list = [None, None]  # the doc being processed and its index


def index(doc: Doc) -> _Index:
    """Text and sentences of ``doc``, computed once per doc."""
    if _LAST[0] is not doc:
        _LAST[0], _LAST[1] = doc, _Index(doc)
    return _LAST[1]


def text_of(doc: Doc) -> str:
    """``doc.text``, cached."""
    return index(doc).text


def sent_of(doc: Doc, i: int) -> Span:
    """The sentence of token ``i``."""
    ix = index(doc)
    return ix.sents[ix.of[i]]


# -- small token helpers ---------------------------------------------------------------------------

def low(tok: Token) -> str:
    return tok.lower_.lstrip("-")


_MULTI_LAST = {words[-1] for words in MULTIWORD_CUES}


def tokens_lowered(doc: Doc, forms) -> list[int]:
    """Indices of the tokens whose lower-cased text (leading hyphen dropped) is in ``forms``, from
    one array read and one lookup per distinct word (not a Token object per token)."""
    if not len(doc):
        return []
    lowers = doc.to_array(LOWER)
    strings = doc.vocab.strings
    wanted = [k for k in np.unique(lowers).tolist() if strings[k].lstrip("-") in forms]
    return np.flatnonzero(np.isin(lowers, wanted)).tolist()


def cue_candidates(doc: Doc) -> list[int]:
    """Indices of the tokens for which :func:`cue_lemma` can return a cue (a reporting-verb form, the
    last word of a multi-word cue, or any verb), in order."""
    if not len(doc):
        return []
    verbs = np.flatnonzero(doc.to_array(POS) == VERB).tolist()
    return sorted(set(verbs) | set(tokens_lowered(doc, _cue_forms())))


@lru_cache(maxsize=1)
def _cue_forms() -> frozenset[str]:
    return frozenset(verb_forms()) | _MULTI_LAST


def cue_lemma(tok: Token) -> str | None:
    """Reporting-verb lemma of ``tok`` if it is used as a verb here, else None."""
    form = low(tok)
    if form in _MULTI_LAST:
        for words, cue in MULTIWORD_CUES.items():  # "fait savoir", "met en garde": the last word decides
            if form == words[-1] and tok.i >= len(words) - 1 and all(
                    low(tok.doc[tok.i - len(words) + 1 + k]) in _faire_forms(w) for k, w in enumerate(words[:-1])):
                return cue
    entry = verb_forms().get(form)
    if entry is None and tok.pos_ == "VERB" and "Inf" not in tok.morph.get("VerbForm"):
        entry = LEMMA_ENTRY.get(tok.lemma_.lower())  # a form the generator missed
    if entry is None or form.endswith("ant"):
        return None
    prev = tok.nbor(-1) if tok.i > 0 else None
    # A determiner or preposition right before means a noun ("la note", "le juge", "une critique").
    if prev is not None and (prev.pos_ in ("DET", "ADP") or prev.lower_ in ("le", "la", "les", "l'", "un", "une", "des", "du", "au")):
        if not (prev.lower_ in ("l'", "le", "la", "les") and tok.pos_ == "VERB" and tok.dep_ in ("ROOT", "ccomp", "conj")):
            return None
    if tok.pos_ in ("DET", "ADP", "CCONJ", "PUNCT"):
        return None
    # Past participles must follow an auxiliary, otherwise they are adjectives ("les méthodes décrites").
    if form.endswith(("é", "ée", "és", "ées", "u", "ue", "is", "it", "i")) and not has_aux(tok):
        if form.endswith(("é", "ée", "és", "ées")) or form in ("reconnu", "soutenu", "admis", "prévenu", "répondu", "maintenu", "conclu", "souri"):
            return None
    bare = entry.split(" ", 1)[1] if entry.startswith("se ") else entry.removeprefix("s'")
    reflexive = has_reflexive(tok)
    if reflexive and bare in PRONOMINAL:
        return PRONOMINAL[bare]  # "s'amuse-t-elle" -> s'amuser
    if entry.startswith(("s'", "se ")) and not reflexive:
        return None  # "amuse" alone is not a reporting verb
    return entry


def _faire_forms(word: str) -> set[str]:
    if word == "faire":
        return {"fait", "font", "faisait", "faisaient", "fera", "ferait", "fit", "faire"}
    if word == "mettre":
        return {"met", "mettent", "mis", "mettait", "mettaient", "mettra", "mettrait", "mit"}
    if word == "laisser":
        return {"laisse", "laissent", "laissé", "laissait", "laissaient"}
    if word == "en":
        return {"en"}
    return {word}


def has_aux(tok: Token) -> bool:
    doc = tok.doc
    for j in range(tok.i - 1, max(-1, tok.i - 5), -1):
        w = doc[j].lower_.lstrip("-")
        if w in AUX_FORMS or doc[j].pos_ == "AUX":
            return True
        if doc[j].pos_ not in ("ADV", "PRON", "PART", "SPACE") and w not in NEG:
            return False
    return False


def has_reflexive(tok: Token) -> bool:
    doc = tok.doc
    for j in range(tok.i - 1, max(-1, tok.i - 4), -1):
        if doc[j].lower_ in ("s'", "se"):
            return True
        if doc[j].lower_ not in AUX_FORMS and doc[j].lower_ not in NEG and doc[j].pos_ != "ADV":
            return False
    return False


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces and trailing sentence punctuation from a character span."""
    while start < end and text[start] in " \u00a0\u202f\n\t":
        start += 1
    while end > start and text[end - 1] in " \u00a0\u202f\n\t.;:,":
        end -= 1
    return start, end


# After a comma, these open something that is no longer the reported proposition (a remark of the
# narrator, a second clause, an apposition to the whole), once the proposition has its finite verb.
_BOUNDARY_AFTER_COMMA = (("et", "que"), ("et", "qu'"), ("y", "compris"), ("en", "particulier"), ("notamment",),
                         ("ce", "qui"), ("ce", "que"), ("ce", "qu'"), ("même", "si"), ("même", "s'"),
                         ("tandis", "que"), ("tandis", "qu'"), ("alors", "que"), ("alors", "qu'"), ("selon",),
                         ("d'", "après"), ("sans", "toutefois"), ("sans", "pour"))


def is_finite(tok: Token) -> bool:
    return tok.pos_ in ("VERB", "AUX") and "Fin" in tok.morph.get("VerbForm")


def boundary_after_comma(doc: Doc, j: int, stop: int) -> bool:
    """Does the text after the comma at ``j`` leave the reported proposition?"""
    k = j + 1
    while k < stop and doc[k].is_space:
        k += 1
    if k >= stop:
        return False
    words = [doc[i].lower_ for i in range(k, min(stop, k + 2))]
    for pattern in _BOUNDARY_AFTER_COMMA:
        if tuple(words[:len(pattern)]) == pattern:
            return True
    nxt = doc[k]
    if nxt.pos_ in ("VERB", "ADJ") and "Part" in nxt.morph.get("VerbForm") and nxt.lower_.endswith(("é", "és", "ée", "ées")):
        return True  # ", soupçonnés d'avoir…"
    if nxt.lower_ in ("un", "une") and k + 1 < stop and doc[k + 1].pos_ == "NOUN":
        return True  # ", une pratique appelée…" (apposition to the whole clause)
    return cue_lemma(nxt) is not None and k + 1 < stop and doc[k + 1].text.startswith("-")  # ", estime-t-il"


def clause_end(doc: Doc, sent: Span, after: int) -> int:
    """Character end of the reported proposition starting at token ``after`` in ``sent``.

    It runs to the end of the sentence, or earlier to ";", a colon or a comma that opens something
    else (see _BOUNDARY_AFTER_COMMA) once the proposition has its finite verb.
    """
    seen_verb = False
    in_quote = 0
    for j in range(after, sent.end):
        t = doc[j]
        if t.text in OPEN_Q:
            in_quote += 1
        elif t.text in CLOSE_Q:
            in_quote = max(0, in_quote - 1)
        if in_quote:
            continue
        if t.text == ";" or (t.text == ":" and seen_verb) or (t.is_space and "\n" in t.text):
            return t.idx
        if t.text in (",", "—") and seen_verb and boundary_after_comma(doc, j, sent.end):
            return t.idx
        if is_finite(t):
            seen_verb = True
    return sent.end_char


# -- quotations --------------------------------------------------------------------------------------

def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inside of each « … » quotation; an unclosed one stops at the paragraph."""
    spans, i, n = [], 0, len(text)
    while i < n:
        if text[i] in OPEN_Q:
            depth, j = 1, i + 1
            while j < n and depth:
                if text[j] in OPEN_Q:
                    depth += 1
                elif text[j] in CLOSE_Q:
                    depth -= 1
                elif text.startswith("\n\n", j):
                    break
                j += 1
            end = j - 1 if depth == 0 else j
            spans.append((i + 1, end))
            i = j
        else:
            i += 1
    return spans


def token_at(doc: Doc, char: int, forward: bool = True) -> int | None:
    span = doc.char_span(char, char + 1, alignment_mode="expand")
    if span is None or not len(span):
        return None
    return span.start if forward else span.end - 1


def next_tokens(doc: Doc, i: int, limit: int) -> list[Token]:
    return [t for t in doc[i:min(len(doc), i + limit)] if not t.is_space]


def speaker_after_verb(doc: Doc, verb: Token, stop: int) -> tuple[int, int] | None:
    """Speaker of an inverted reporting verb: clitic pronoun (-t-il) or the NP that follows it."""
    i = verb.i + 1
    while i < stop and doc[i].is_space:
        i += 1
    if i < stop and doc[i].lower_ == "-t":
        i += 1
    if i < stop and doc[i].text.startswith("-") and low(doc[i]) in SUBJECT_PRONOUNS:
        return i, i + 1
    # Skip complements that come before the inverted subject: "a déclaré à l'APC la chercheuse",
    # "estime mardi sur Fox News David Sacks": a preposition, its determiner and one noun or name.
    j = i
    while j < stop:
        t = doc[j]
        if t.is_space or (t.pos_ == "ADV" and not t.ent_type_) or t.lower_ in _DAYS:
            j += 1
            continue
        if t.lower_ in _PREPS:
            j += 1
            while j < stop and doc[j].pos_ == "DET":
                j += 1
            if j < stop and doc[j].ent_iob_ == "B":
                j = ent_end(doc, doc[j])
            elif j < stop:
                j += 1
                while j < stop and doc[j].pos_ == "ADJ":
                    j += 1
            continue
        break
    if j >= stop:
        return None
    end = j
    while end < stop and doc[end].text not in (".", ";", "!", "?", ":") and not doc[end].is_space:
        if doc[end].text == "," and end + 1 < stop and (doc[end + 1].lower_ in ("en", "qui", "avant", "après", "tout", "sans", "lors", "alors", "puis", "et", "mais", "dans", "avec", "devant", "pendant") or doc[end + 1].pos_ == "VERB"):
            break
        if doc[end].text in OPEN_Q:
            break
        end += 1
    if end == j:
        return None
    return j, end


_PREPS = {"à", "au", "aux", "auprès", "sur", "dans", "lors", "devant", "pendant", "chez", "face", "en"}
_DAYS = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "hier", "soir", "matin"}


def subject_before(doc: Doc, verb: Token, floor: int) -> tuple[int, int] | None:
    """Subject of a reporting verb that follows it: the parser's nsubj, else the clause before the verb."""
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubj:pass") and floor <= child.i < verb.i:
            if child.lower_ == "qui":
                names = [e for e in doc.ents if floor <= e.start and e.end <= child.i and e.label_ in ("PER", "ORG")]
                persons = [e for e in names if e.label_ == "PER"] or names
                if persons:
                    return persons[0].start, persons[0].end
            if child.lower_ in ("qui", "qu'") and verb.dep_ in ("acl:relcl", "acl") and verb.head.i < verb.i:
                head = verb.head
                left = min(t.i for t in head.subtree if t.i >= floor)
                return left, head.i + 1 if head.ent_iob_ != "B" else ent_end(doc, head)
            sub = [t.i for t in child.subtree if floor <= t.i < verb.i]
            return trim_np(doc, min(sub), max(sub) + 1)
    # Surface fallback: walk left over auxiliaries, adverbs, negation and clitics.
    j = verb.i - 1
    while j >= floor and (doc[j].pos_ in ("AUX", "ADV", "SPACE") or low(doc[j]) in NEG | AUX_FORMS | {"lui", "leur", "y", "en", "s'", "se", "l'", "aussi"}):
        j -= 1
    if j < floor:
        return None
    if doc[j].lower_ == "qui":
        # "David Sacks, à la Maison Blanche, qui a parlé de…": the antecedent is the last name before.
        names = [e for e in doc.ents if floor <= e.start and e.end <= j and e.label_ in ("PER", "ORG")]
        persons = [e for e in names if e.label_ == "PER"] or names
        return (persons[0].start, persons[0].end) if persons else None
    if doc[j].text == ",":  # "Maud Leclerc, ingénieure en sécurité, juge que" or an adverbial incise
        k = j - 1
        while k >= floor and doc[k].text != ",":
            k -= 1
        if k > floor:
            j = k - 1
        else:
            j -= 1
    end = j + 1
    start = j
    while start > floor and doc[start - 1].text not in (",", ":", ";", "«", "»", "(", ")") and doc[start - 1].pos_ != "VERB" and doc[start - 1].lower_ not in ("que", "qu'", "et", "mais", "car", "donc", "or"):
        start -= 1
    if start >= end:
        return None
    return trim_np(doc, start, verb.i if doc[end - 1].text == "," else end)


def ent_end(doc: Doc, tok: Token) -> int:
    for ent in doc.ents:
        if ent.start <= tok.i < ent.end:
            return ent.end
    return tok.i + 1


def trim_np(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Drop leading connectors/adverbials and trailing punctuation from a subject span."""
    while start < end and (doc[start].is_punct or doc[start].is_space or doc[start].lower_ in ("mais", "et", "or", "donc", "car", "ainsi", "aussi", "enfin", "puis")):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space
                           or (doc[end - 1].pos_ == "AUX" and not doc[end - 1].ent_type_) or low(doc[end - 1]) in NEG):
        end -= 1
    return (start, end) if start < end else None


def inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)
