"""Who said what: direct quotations, indirect speech (reporting verb + que) and selon/d'après/pour
attributions, found with surface patterns checked against the dependency parse.

Each claim records its content span, kind, cue lemma and the speaker *as written* (a token span);
:mod:`.speakers` then links the speaker to an actor or person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from .lexicon import AUX_FORMS, DOCUMENT_NOUNS, NAMING_VERBS, ORG_NOUNS, PERSON_NOUNS, SUBJECT_PRONOUNS
from .syntax import (CLOSE_Q, clause_end, cue_candidates, cue_lemma, index, inside, is_finite, low, next_tokens, overlaps,
                     tokens_lowered,
                     quote_spans, sent_of, speaker_after_verb, strip_span, subject_before, text_of, token_at)
# Tokens allowed between a reporting verb and its "que" (adverbs, short complements).
_BRIDGE_POS = {"ADV", "ADP", "DET", "PRON", "PROPN", "NOUN", "ADJ", "PUNCT", "SPACE", "CCONJ", "NUM", "X", "SYM"}
_MAX_BRIDGE = 10
_PERSON_PRONOUNS = {"lui", "elle", "eux", "elles"}
_SELON_HEADS = {"selon", "après", "pour"}


@dataclass
class Claim:
    """A reported claim; offsets are characters in the doc's text."""

    start: int
    end: int
    kind: str  # direct | indirect | selon
    cue: str | None
    speaker_start: int | None = None  # token indices of the speaker as written
    speaker_end: int | None = None
    speaker_text: str = ""
    speaker_id: str | None = None
    resolution: str = "unresolved"  # name | pronoun | description | unresolved
    context_start: int = 0  # character span given to the classifiers (claim + attribution)
    context_end: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self, doc: Doc) -> dict:
        """JSON-able view of the claim (plain types, so docs can cross process boundaries)."""
        sp = doc[self.speaker_start:self.speaker_end] if self.speaker_start is not None else None
        return {"content_start": self.start, "content_end": self.end, "content": text_of(doc)[self.start:self.end],
                "kind": self.kind, "cue": self.cue, "speaker_text": self.speaker_text,
                "speaker_id": self.speaker_id, "speaker_resolution": self.resolution,
                # "-t-elle": the speaker offsets skip the hyphen of an inverted pronoun
                "speaker_start": sp.start_char + sp.text.startswith("-") if sp is not None and len(sp) else None,
                "speaker_end": sp.end_char if sp is not None and len(sp) else None,
                "context_start": self.context_start, "context_end": self.context_end, **self.extra}


# -- extraction ----------------------------------------------------------------------------------------

def extract_claims(doc: Doc) -> list[Claim]:
    """All claims of a parsed doc, in text order, each with the speaker span as written."""
    text = text_of(doc)
    quotes = quote_spans(text)
    claims: list[Claim] = []
    claims += _direct_claims(doc, quotes)
    direct_spans = [(c.start, c.end) for c in claims]
    quote_inner = [(s, e) for s, e in quotes]
    indirect = _indirect_claims(doc, quote_inner)
    claims += [c for c in indirect if not overlaps(direct_spans, c.start, c.end) or not inside(quote_inner, c.start, c.end)]
    taken = [(c.start, c.end) for c in claims]
    claims += [c for c in _selon_claims(doc, quote_inner) if not overlaps(taken, c.start, c.end)]
    taken = [(c.start, c.end) for c in claims]
    claims += [c for c in _embedded_quote_claims(doc, quotes) if not overlaps(taken, c.start, c.end)]
    claims.sort(key=lambda c: c.start)
    # One claim per content start (the store's key); keep the first found.
    seen, unique = set(), []
    for c in claims:
        if c.start not in seen and c.end > c.start:
            seen.add(c.start)
            unique.append(c)
    return unique


def _sent_of(doc: Doc, tok_i: int) -> Span:
    return sent_of(doc, tok_i)


def _direct_claims(doc: Doc, quotes: list[tuple[int, int]]) -> list[Claim]:
    text = text_of(doc)
    out = []
    for qs, qe in quotes:
        cs, ce = strip_span(text, qs, qe)
        if ce - cs < 2:
            continue
        close_char = qe  # index of the closing mark (or paragraph end)
        open_tok = token_at(doc, qs - 1)
        after_tok = token_at(doc, close_char) if close_char < len(text) else None
        claim = None
        # 1) attribution after the quote: « … », a expliqué X  /  « … », estime-t-il.
        if after_tok is not None and text[close_char:close_char + 1] in CLOSE_Q:
            claim = _attribution_after(doc, after_tok + 1, cs, ce)
        # 2) incise inside the quote: « A, estime-t-il, B »
        if claim is None:
            claim = _incise(doc, cs, ce)
        # 3) attribution before: X a déclaré : « … »  /  X : « … »
        if claim is None and open_tok is not None:
            claim = _attribution_before(doc, open_tok, cs, ce)
        if claim is not None:
            out.append(claim)
    return out


def _attribution_after(doc: Doc, i: int, cs: int, ce: int) -> Claim | None:
    toks = next_tokens(doc, i, 8)
    if not toks or toks[0].text != ",":
        return None
    sent_end = sent_of(doc, i).end
    clitic = None  # "« … », a-t-elle ajouté": the subject comes between auxiliary and participle
    for t in toks[1:6]:
        if t.text in (".", "«", "»", ";"):
            return None
        if t.text.startswith("-") and low(t) in SUBJECT_PRONOUNS:
            clitic = (t.i, t.i + 1)
        cue = cue_lemma(t)
        if cue:
            if t.i + 1 < len(doc) and doc[t.i + 1].lower_ in ("que", "qu'"):
                return None
            sp = clitic or speaker_after_verb(doc, t, sent_end)
            if sp is None:
                return None
            return _claim(doc, cs, ce, "direct", cue, sp, ctx_end=doc[sp[1] - 1].idx + len(doc[sp[1] - 1]))
        if t.pos_ not in ("AUX", "ADV", "PRON", "SPACE") and t.lower_ not in AUX_FORMS and t.lower_ not in ("-t",):
            return None
    return None


def _incise(doc: Doc, cs: int, ce: int) -> Claim | None:
    span = doc.char_span(cs, ce, alignment_mode="contract")
    if span is None:
        return None
    for t in span:
        if t.i == span.start or doc[t.i - 1].text != ",":
            continue
        cue = cue_lemma(t)
        if not cue:
            continue
        j = t.i + 1
        if j < len(doc) and doc[j].lower_ == "-t":
            j += 1
        if j < len(doc) and doc[j].text.startswith("-") and low(doc[j]) in SUBJECT_PRONOUNS:
            if j + 1 < len(doc) and doc[j + 1].text in (",", "."):
                return _claim(doc, cs, ce, "direct", cue, (j, j + 1))
    return None


def _attribution_before(doc: Doc, open_tok: int, cs: int, ce: int) -> Claim | None:
    j = open_tok - 1
    while j >= 0 and doc[j].is_space:
        j -= 1
    if j < 0 or doc[j].text != ":":
        return None
    sent_start = sent_of(doc, j).start
    # Search the clause before the colon for a reporting verb and its subject.
    for k in range(j - 1, max(sent_start, j - 12) - 1, -1):
        cue = cue_lemma(doc[k])
        if cue:
            sp = subject_before(doc, doc[k], sent_start)
            if sp is None:
                return None
            return _claim(doc, cs, ce, "direct", cue, sp, ctx_start=doc[sent_start].idx)
    # "Réponse de Sam Altman : « … »" - a name right before the colon, no verb.
    ents = [e for e in doc.ents if sent_start <= e.start and e.end <= j and e.label_ in ("PER", "ORG")]
    if ents and ents[-1].end >= j - 1:
        return _claim(doc, cs, ce, "direct", "dire", (ents[-1].start, ents[-1].end), ctx_start=doc[sent_start].idx)
    return None


def _claim(doc: Doc, cs: int, ce: int, kind: str, cue: str | None, sp: tuple[int, int],
           ctx_start: int | None = None, ctx_end: int | None = None) -> Claim:
    first = doc.char_span(cs, ce, alignment_mode="expand")
    s_start = sent_of(doc, first[0].i).start_char if first is not None and len(first) else cs
    s_end = sent_of(doc, first[-1].i).end_char if first is not None and len(first) else ce
    ctx_s = min(s_start, ctx_start if ctx_start is not None else s_start)
    ctx_e = max(s_end, ctx_end if ctx_end is not None else s_end)
    return Claim(start=cs, end=ce, kind=kind, cue=cue, speaker_start=sp[0], speaker_end=sp[1],
                 speaker_text=doc[sp[0]:sp[1]].text.lstrip("-"), context_start=ctx_s, context_end=ctx_e)


def _indirect_claims(doc: Doc, quotes: list[tuple[int, int]]) -> list[Claim]:
    out = []
    ix = index(doc)
    for i in cue_candidates(doc):  # in token order, like a walk over every sentence's tokens
        t, sent = doc[i], ix.sents[ix.of[i]]
        cue = cue_lemma(t)
        if not cue or inside(quotes, t.idx, t.idx + 1):
            continue
        que = _que_after(doc, t, sent.end)
        if que is None:
            continue
        start_tok = que + 1
        if start_tok >= sent.end:
            continue
        cs = doc[start_tok].idx
        ce = clause_end(doc, sent, start_tok)
        cs, ce = strip_span(text_of(doc), cs, ce)
        if ce - cs < 8:
            continue
        sp = subject_before(doc, t, sent.start)
        if sp is None:
            sp = speaker_after_verb(doc, t, que) if low(doc[min(t.i + 1, len(doc) - 1)]) in ("-t", "-il", "-elle") else None
        if sp is None:
            continue
        out.append(_claim(doc, cs, ce, "indirect", cue, sp, ctx_start=sent.start_char))
    return out


def _que_after(doc: Doc, verb: Token, stop: int) -> int | None:
    """Index of the "que" introducing the verb's complement clause, if close enough."""
    depth_commas = 0
    for j in range(verb.i + 1, min(stop, verb.i + 1 + _MAX_BRIDGE)):
        t = doc[j]
        low = t.lower_
        if low in ("que", "qu'"):
            if j >= 2 and doc[j - 1].lower_ == "ce" and doc[j - 2].lower_ in ("de", "d'", "à"):
                return j  # "s'inquiète de ce que"
            if j - 1 > verb.i and doc[j - 1].pos_ == "NOUN" and not doc[j - 1].ent_type_ and t.head.dep_.startswith("acl"):
                return None  # "des innovations que plusieurs laboratoires jugent…": a relative pronoun
            prev = doc[j - 1].lower_
            if prev in ("ce", "plus", "moins", "autant", "tant", "bien", "ainsi", "alors", "dès", "parce", "avant", "après", "sans", "pour", "afin"):
                return None
            return j
        if t.text in (".", ";", ":", "«", "»", "?", "!"):
            return None
        if t.text == ",":
            depth_commas += 1
            if depth_commas > 2:
                return None
        if t.pos_ == "VERB" and j > verb.i + 1 and depth_commas % 2 == 0:
            return None
        if t.pos_ not in _BRIDGE_POS and t.lower_ not in AUX_FORMS:
            return None
    return None


def _selon_claims(doc: Doc, quotes: list[tuple[int, int]]) -> list[Claim]:
    """"Selon X, …", "D'après X, …", "Pour X, …" (X a person) and "…, selon X."."""
    out = []
    ix = index(doc)
    # Only the sentences holding a head word (most hold none) are walked token by token.
    for k in sorted({int(ix.of[i]) for i in tokens_lowered(doc, _SELON_HEADS)}):
        sent = ix.sents[k]
        toks = [t for t in sent if not t.is_space]
        for pos, t in enumerate(toks):
            low = t.lower_
            if low not in _SELON_HEADS or inside(quotes, t.idx, t.idx + 1):
                continue
            if low == "après" and (pos == 0 or toks[pos - 1].lower_ not in ("d'", "d’")):
                continue
            cue = {"selon": "selon", "après": "d'après", "pour": "pour"}[low]
            intro = toks[pos - 1] if low == "après" else t
            prev = doc[intro.i - 1] if intro.i > sent.start else None
            while prev is not None and prev.is_space and prev.i > sent.start:
                prev = doc[prev.i - 1]
            at_start = prev is None or prev.is_space or prev.text in (",", ":", "—", "-", "«") or prev.lower_ in ("mais", "et", "or", "car")
            # X runs to the next comma (or the end of the sentence for a final ", selon X.").
            x_start = t.i + 1
            x_end = x_start
            while x_end < sent.end and doc[x_end].text not in (",", ".", ";", ":", "!", "?", "«", "»", "(") and not doc[x_end].is_space:
                x_end += 1
            if x_end == x_start or doc[x_start].lower_ in _NOT_SPEAKERS:
                continue
            if not _is_speaker_np(doc, x_start, x_end, cue):
                continue
            if at_start and x_end < sent.end and doc[x_end].text == ",":
                # "Pour Sébastien Carrel, chercheur en sécurité, les méthodes…": skip an apposition.
                c0 = x_end + 1
                app_end = _apposition_end(doc, c0, sent.end)
                if app_end is not None:
                    c0 = app_end + 1
                while c0 < sent.end and doc[c0].is_space:
                    c0 += 1
                if c0 >= sent.end:
                    continue
                cs, ce = doc[c0].idx, clause_end(doc, sent, c0)
                cs, ce = strip_span(text_of(doc), cs, ce)
                if ce - cs < 8:
                    continue
                out.append(_claim(doc, cs, ce, "selon", cue, (x_start, x_end)))
            elif cue != "pour" and prev is not None and prev.text == "," and x_end >= sent.end - 1:
                # "…, selon X." - the content is the clause before.
                cs, ce = strip_span(text_of(doc), sent.start_char, prev.idx)
                if ce - cs < 8:
                    continue
                out.append(_claim(doc, cs, ce, "selon", cue, (x_start, x_end)))
    return out


_NOT_SPEAKERS = {"laquelle", "lequel", "lesquels", "lesquelles", "que", "qu'", "moi", "nous", "toi", "vous",
                 "un", "une", "certains", "certaines", "beaucoup", "plusieurs", "tous", "toutes", "ceux", "celles"}


def _apposition_end(doc: Doc, start: int, stop: int) -> int | None:
    """If tokens from ``start`` are an apposition or a relative clause closed by a comma, its end."""
    if start >= stop:
        return None
    first = doc[start]
    relative = first.lower_ in ("qui", "dont")
    if not (relative or first.lower_ in PERSON_NOUNS or first.pos_ in ("NOUN", "ADJ")
            or (first.pos_ == "DET" and start + 1 < stop and doc[start + 1].pos_ in ("NOUN", "ADJ"))):
        return None
    j = start
    while j < stop and doc[j].text != ",":
        if not relative and is_finite(doc[j]):
            return None
        j += 1
    if j >= stop or j - start > 16:
        return None
    return j


def _is_speaker_np(doc: Doc, start: int, end: int, cue: str) -> bool:
    """Can doc[start:end] hold an opinion? "pour" needs a person (it also means "for", "as for")."""
    span = doc[start:end]
    if cue == "pour":
        if any(e.label_ == "PER" for e in span.ents):
            return True
        if len(span) == 1 and span[0].lower_ in _PERSON_PRONOUNS:
            return True
        return (span[0].lower_ in ("le", "la", "l'", "l’", "ce", "cette", "notre", "son", "sa")
                and any(t.lower_ in PERSON_NOUNS for t in span[1:4]))
    if any(e.label_ in ("PER", "ORG") or e.ent_id_ for e in span.ents):
        return True
    if len(span) == 1 and span[0].lower_ in _PERSON_PRONOUNS:
        return True
    words = [t.lower_ for t in span]
    return any(w in PERSON_NOUNS or w in ORG_NOUNS or w in DOCUMENT_NOUNS for w in words[:4])


def _embedded_quote_claims(doc: Doc, quotes: list[tuple[int, int]]) -> list[Claim]:
    """Short quotations governed by a speech verb: "David Sacks parlait de preuves « substantielles »"."""
    out = []
    for qs, qe in quotes:
        cs, ce = strip_span(text_of(doc), qs, qe)
        first = token_at(doc, qs - 1)
        if first is None or ce - cs < 2:
            continue
        sent = sent_of(doc, first)
        verb = None
        for t in doc[sent.start:first]:
            cue = cue_lemma(t)
            if cue and cue in NAMING_VERBS | {"déclarer", "affirmer", "assurer", "estimer", "juger", "qualifier"}:
                verb = (t, cue)
        if verb is None:
            continue
        words = len(text_of(doc)[cs:ce].split())
        if verb[1] not in NAMING_VERBS and words < 4:
            continue
        sp = subject_before(doc, verb[0], sent.start)
        if sp is None:
            continue
        out.append(_claim(doc, cs, ce, "direct", verb[1], sp, ctx_start=sent.start_char))
    return out


__all__ = ["Claim", "extract_claims", "quote_spans", "cue_lemma"]
