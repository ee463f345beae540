"""Speaker resolution: link the speaker of each claim, as written, to an actor id or ``person:Name``.

Names are linked directly; pronouns ("il", "-t-elle", "lui") and descriptions ("la chercheuse",
"le patron d'OpenAI", "l'entreprise") are resolved to an earlier mention of the article, using
grammatical gender and number, the descriptions people were introduced with, and recency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from .claims import Claim
from .syntax import sent_of
from .lexicon import (DOCUMENT_NOUNS, ORG_NOUNS, PERSON_NOUNS, SUBJECT_PRONOUNS, name_gender,
                      noun_gender)

_ORG_WORDS = {"IA", "AI", "Analytics", "Capital", "Partners", "Group", "Groupe", "Conseil", "Labs", "Lab",
              "Technologies", "Systems", "Research", "Institute", "Forum", "Securities", "Gestion", "Insights",
              "Advisors", "Consulting", "Ventures", "Fund", "Bank", "Banque", "Université", "Inc", "SA", "SAS"}
_FEM_DETS = {"la", "une", "cette", "sa", "ma", "ta", "notre", "votre", "leur"}
_MASC_DETS = {"le", "un", "ce", "cet", "son", "mon", "ton", "du", "au"}
_HONORIFICS = {"M.": "Masc", "Mme": "Fem", "Mlle": "Fem", "Monsieur": "Masc", "Madame": "Fem"}
_FEM_SUFFIXES = (("euse", "eur"), ("rice", "eur"), ("ienne", "ien"), ("ante", "ant"), ("ente", "ent"),
                 ("ière", "ier"), ("ère", "er"), ("ée", "é"), ("eure", "eur"), ("onne", "on"), ("e", ""))


def base_noun(word: str) -> str:
    """Masculine base of a person noun so that "chercheuse" matches "chercheur"."""
    w = word.lower()
    for fem, masc in _FEM_SUFFIXES:
        if w.endswith(fem) and (w[: len(w) - len(fem)] + masc) in PERSON_NOUNS:
            return w[: len(w) - len(fem)] + masc
    return w


@dataclass
class Person:
    """A person (or organisation) mentioned in the article."""

    id: str
    name: str
    kind: str  # person | org
    gender: str | None = None
    roles: set[str] = field(default_factory=set)  # base person nouns from descriptions
    orgs: set[str] = field(default_factory=set)  # actor ids the person is described with
    positions: list[int] = field(default_factory=list)  # token indices of mentions
    weak: bool = False  # a lone unknown word tagged PER ("Vauban"): named, but never an antecedent


class Resolver:
    """Article memory of people and organisations, filled in text order."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.people: dict[str, Person] = {}
        self.mentions: list[tuple[int, str]] = []  # (token index, entity id) in text order
        self.subjects: list[tuple[int, str]] = []  # ORG mentions that were grammatical subjects
        self._index_entities()

    # -- memory -----------------------------------------------------------------------------------
    def _index_entities(self) -> None:
        surnames: dict[str, str] = {}
        self._firsts: dict[str, str] = {}
        for ent in self.doc.ents:
            if ent.label_ == "PER":
                if ent.start > 0 and self.doc[ent.start - 1].lower_ == "chez":
                    continue  # "analyste chez Fenwick": a firm the model took for a person
                pid = self._person_id(ent, surnames)
                if pid is None:
                    continue
                name = ent.text if ent.ent_id_ else pid.split(":", 1)[-1]
                p = self.people.setdefault(pid, Person(pid, name, "person", gender=name_gender(name),
                                                       weak=" " not in name and not ent.ent_id_))
                self._describe(p, ent)
                p.positions.append(ent.start)
                self.mentions.append((ent.start, pid))
            elif ent.label_ == "ORG" or (ent.ent_id_ and ent.label_ != "PRODUCT"):
                oid = ent.ent_id_ or f"org:{ent.text}"
                p = self.people.setdefault(oid, Person(oid, ent.text, "org"))
                p.positions.append(ent.start)
                self.mentions.append((ent.start, oid))
                if any(t.dep_.startswith("nsubj") for t in ent) or ent.root.head.dep_.startswith("nsubj"):
                    self.subjects.append((ent.start, oid))

    def _person_id(self, ent: Span, surnames: dict[str, str]) -> str | None:
        if ent.ent_id_:
            surnames.setdefault(ent[-1].text, ent.ent_id_)
            return ent.ent_id_
        text = ent.text.strip(" ,.’'")
        words = [w for w in text.split() if w not in _HONORIFICS]
        if not words or any(w in _ORG_WORDS for w in words):
            return None  # "Hague Analytics", "Normalis IA": a firm the model took for a person
        if len(words) == 1:
            # A surname (or first name) alone refers back to the full name seen before ("Liu a ajouté").
            if words[0] in surnames:
                return surnames[words[0]]
            if words[0] in self._firsts:
                return self._firsts[words[0]]
            if not words[0][:1].isupper() or len(words[0]) < 3:
                return None
            return f"person:{words[0]}"
        pid = "person:" + " ".join(words)
        surnames.setdefault(words[-1], pid)
        self._firsts.setdefault(words[0], pid)
        return pid

    def _describe(self, p: Person, ent: Span) -> None:
        """Collect the role nouns, organisations and gender given around a name."""
        doc = self.doc
        # The noun phrase right before the name ("la juriste Anne Roux", "le patron d'OpenAI, Sam Altman").
        j = ent.start - 1
        sent_start = sent_of(doc, ent.start).start
        if j >= sent_start and doc[j].text == ",":
            j -= 1
        k = j
        while (k >= sent_start and j - k < 6 and doc[k].text not in (",", ";", ":", "«", "»", "(")
               and doc[k].lower_ not in ("et", "ou") and doc[k].pos_ not in ("VERB", "AUX") and not doc[k].ent_type_ == "PER"):
            k -= 1
        before = doc[k + 1:j + 1]
        after_end = ent.end
        if after_end < len(doc) and doc[after_end].text == ",":
            j = after_end + 1
            while j < min(len(doc), ent.end + 14) and doc[j].text not in (",", ".", ";", ":", "«", "»"):
                j += 1
            after = doc[after_end + 1:j]
        else:
            after = doc[after_end:after_end]
        for tok in list(before) + list(after):
            low = tok.lower_
            if low in PERSON_NOUNS or base_noun(low) in PERSON_NOUNS:
                p.roles.add(base_noun(low))
                g = "Fem" if "Fem" in tok.morph.get("Gender") and low not in ("analyste", "juriste", "économiste", "responsable", "porte-parole") else noun_gender(low)
                if p.gender is None and g:
                    p.gender = g
            if tok.text in _HONORIFICS and p.gender is None:
                p.gender = _HONORIFICS[tok.text]
            if tok.ent_id_:
                p.orgs.add(tok.ent_id_)
        # Agreement of a participle in the apposition ("consultante … installée").
        if p.gender is None:
            for tok in after:
                if tok.pos_ in ("ADJ", "VERB", "NOUN") and tok.lower_.endswith(("ée", "euse", "rice", "ante")):
                    p.gender = "Fem"
                    break

    def remember_speaker(self, position: int, speaker_id: str) -> None:
        """A resolved claim speaker counts as the latest mention of that person."""
        self.mentions.append((position, speaker_id))
        self.mentions.sort()

    # -- resolution ---------------------------------------------------------------------------------
    def resolve(self, claim: Claim) -> None:
        """Set ``speaker_id`` and ``resolution`` of one claim."""
        doc = self.doc
        if claim.speaker_start is None:
            return
        span = doc[claim.speaker_start:claim.speaker_end]
        pos = claim.speaker_start
        named = self._named(span)
        if named:
            claim.speaker_id, claim.resolution = named, "name"
        elif len(span) == 1 and span[0].lower_.lstrip("-") in SUBJECT_PRONOUNS:
            claim.speaker_id = self._pronoun(span[0].lower_.lstrip("-"), pos, claim)
            claim.resolution = "pronoun" if claim.speaker_id else "unresolved"
        else:
            claim.speaker_id = self._description(span, pos)
            claim.resolution = "description" if claim.speaker_id else "unresolved"
        if claim.speaker_id:
            self.remember_speaker(pos, claim.speaker_id)

    def _named(self, span: Span) -> str | None:
        """A name at the claim: a person, or an organisation that heads the phrase ("l'agence Bloomberg")."""
        # A name after "de" is a complement ("le conseiller de Donald Trump"), not the speaker.
        pers = [e for e in span.ents if e.label_ == "PER"
                and not (e.start > span.start and self.doc[e.start - 1].lower_ in ("de", "d'", "d’", "du"))]
        if pers:
            return self._lookup_person(pers[0])
        head = next((t for t in span if t.pos_ in ("NOUN", "PROPN") or t.ent_type_), None)
        if head is None:
            return None
        orgs = [e for e in span.ents if (e.ent_id_ or e.label_ == "ORG") and e.label_ != "PRODUCT"]
        for e in orgs:
            # The organisation itself, or after an organisation noun in apposition ("le quotidien X").
            if e.start <= head.i < e.end or (head.lower_ in ORG_NOUNS and e.start == head.i + 1):
                return e.ent_id_ or f"org:{e.text}"
        return None

    def _lookup_person(self, ent: Span) -> str | None:
        if ent.ent_id_:
            return ent.ent_id_
        for start, pid in self.mentions:
            if start == ent.start:
                return pid
        words = ent.text.split()
        return f"person:{' '.join(words)}" if words else None

    def _head_noun(self, span: Span) -> str | None:
        for tok in span[:5]:
            low = tok.lower_
            if low in PERSON_NOUNS or base_noun(low) in PERSON_NOUNS or low in ORG_NOUNS or low in DOCUMENT_NOUNS:
                return base_noun(low) if base_noun(low) in PERSON_NOUNS else low
            if tok.pos_ in ("NOUN", "PROPN") and tok.ent_type_ == "":
                return low
        return None

    def _recent(self, pos: int, kind: str | None = None) -> list[Person]:
        seen, out = set(), []
        for start, pid in sorted(self.mentions, key=lambda m: -m[0]):
            if start >= pos or pid in seen:
                continue
            seen.add(pid)
            p = self.people.get(pid) or self._speaker_person(pid)
            if (kind is None or p.kind == kind) and not p.weak:
                out.append(p)
        return out

    def _speaker_person(self, pid: str) -> Person:
        kind = "person" if pid.startswith("person:") else "org"
        p = self.people.setdefault(pid, Person(pid, pid.split(":", 1)[-1], kind, gender=name_gender(pid.split(":", 1)[-1])))
        return p

    def _pronoun(self, pron: str, pos: int, claim: Claim) -> str | None:
        gender, number = SUBJECT_PRONOUNS[pron]
        if number == "Plur" or pron == "on":
            return None
        people = self._recent(pos, "person")
        for p in people:
            if gender is None or p.gender is None or p.gender == gender:
                return p.id
        if pron in ("lui", "eux"):
            return None  # disjunctive pronouns ("selon lui") designate people
        orgs = self._recent(pos, "org")
        return orgs[0].id if orgs else None

    def _description(self, span: Span, pos: int) -> str | None:
        head = self._head_noun(span)
        if head is None:
            return None
        inner_orgs = {e.ent_id_ for e in span.ents if e.ent_id_}
        if head in DOCUMENT_NOUNS:
            if inner_orgs:
                return sorted(inner_orgs)[0]
            author = self._author(head, pos)
            if author:
                return author
            people = self._recent(pos, "person")
            return people[0].id if people else None
        if head in PERSON_NOUNS:
            gender = self._np_gender(span)
            people = self._recent(pos, "person")
            if inner_orgs:
                for p in people:
                    if p.orgs & inner_orgs:
                        return p.id
            for p in people:
                if head in p.roles and (gender is None or p.gender is None or p.gender == gender):
                    return p.id
            if head not in ORG_NOUNS or not inner_orgs:
                for p in people:
                    if (gender is None or p.gender is None or p.gender == gender) and not (p.roles and inner_orgs):
                        return p.id
            if head not in ORG_NOUNS:
                return None
        if head in ORG_NOUNS:
            for start, oid in sorted(self.subjects, key=lambda m: -m[0]):
                if start < pos and pos - start < 120:
                    return oid
            orgs = self._recent(pos, "org")
            return orgs[0].id if orgs else None
        return None

    def _author(self, noun: str, pos: int) -> str | None:
        """Who wrote the document named by ``noun`` earlier: "le mémo d'OpenAI", "OpenAI a adressé un mémo"."""
        doc = self.doc
        for tok in reversed(doc[:pos]):
            if tok.lower_ != noun:
                continue
            for child in tok.children:  # "le mémo d'OpenAI" (a de-complement, not "le mémo à la commission")
                if (child.ent_id_ or child.ent_type_ in ("ORG", "PER")) and child.i > tok.i \
                        and doc[child.i - 1].lower_ in ("de", "d'", "d’", "du"):
                    return self._entity_id(child)
            verb = tok.head
            for child in verb.children:  # "OpenAI a adressé un mémo"
                if child.dep_.startswith("nsubj") and (child.ent_id_ or child.ent_type_ in ("ORG", "PER")):
                    return self._entity_id(child)
        return None

    def _entity_id(self, tok) -> str | None:
        for e in self.doc.ents:
            if e.start <= tok.i < e.end:
                if e.ent_id_:
                    return e.ent_id_
                if e.label_ == "PER":
                    return self._lookup_person(e)
                return f"org:{e.text}"
        return None

    def _np_gender(self, span: Span) -> str | None:
        for tok in span[:4]:
            low = tok.lower_
            if low in _FEM_DETS:
                return "Fem"
            if low in _MASC_DETS:
                return "Masc"
            if low in PERSON_NOUNS:
                g = noun_gender(low)
                if g:
                    return g
        return None


def resolve_speakers(doc: Doc, claims: list[Claim]) -> list[Claim]:
    """Resolve every claim's speaker in text order (earlier speakers help later pronouns)."""
    resolver = Resolver(doc)
    for claim in sorted(claims, key=lambda c: c.speaker_start if c.speaker_start is not None else 0):
        resolver.resolve(claim)
    return claims
