"""Actors: EntityRuler patterns from the topic file and the linker that corrects the base model.

``fr_core_news_md`` tags OpenAI and DeepSeek as MISC, Anthropic as LOC and product names (R1) as PER;
the ruler, placed before the statistical NER with ``overwrite_ents``, assigns the topic's label and id
to every alias, and the linker catches what the ruler's exact matching misses (capitalisation,
apostrophe variants) without dropping the model's other PER/ORG entities.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from ..records import Topic

_ELISIONS = ("l'", "l’", "d'", "d’")
_DETS = {"le", "la", "les", "l'", "l’"}


def actor_patterns(topic: Topic) -> list[dict]:
    """EntityRuler patterns: every alias (and its typographic-apostrophe variant) and every token
    pattern of every actor."""
    patterns, seen = [], set()
    for actor in topic.actors:
        for alias in actor.aliases:
            for variant in sorted({alias, alias.replace("'", "’"), alias.replace("’", "'")}):
                if (variant, actor.id) not in seen:
                    seen.add((variant, actor.id))
                    patterns.append({"label": actor.label, "pattern": variant, "id": actor.id})
        for tokens in actor.patterns:
            patterns.append({"label": actor.label, "pattern": list(tokens), "id": actor.id})
    return patterns


def _norm(text: str) -> str:
    text = text.strip().lower().replace("’", "'")
    for prefix in _ELISIONS:
        if text.startswith(prefix):
            text = text[len(prefix):]
    words = text.split()
    if len(words) > 1 and words[0] in _DETS:
        words = words[1:]
    return " ".join(words)


class ActorLinker:
    """Sets ``span._.actor_id`` (and the actor's label) on entities naming an actor of the topic, and
    keeps actors named inside another entity in ``doc.spans["veille_actors"]`` ("la commission de la
    Chambre des représentants consacrée à la Chine" also names the House)."""

    def __init__(self, topic: Topic, vocab=None):
        from spacy.matcher import Matcher, PhraseMatcher

        self.topic = topic
        self.phrases = PhraseMatcher(vocab) if vocab is not None else None
        self.tokens = Matcher(vocab) if vocab is not None else None
        if vocab is not None:
            for p in actor_patterns(topic):
                if isinstance(p["pattern"], str):
                    self.phrases.add(p["id"], [self._make(vocab, p["pattern"])])
                else:
                    self.tokens.add(p["id"], [p["pattern"]])
        self.by_alias: dict[str, tuple[str, str]] = {}
        for actor in topic.actors:
            for alias in (*actor.aliases, actor.name):
                self.by_alias.setdefault(_norm(alias), (actor.id, actor.label))
        self.unknown = [a for a in topic.tone_actors if topic.actor(a) is None]

    def __call__(self, doc: Doc) -> Doc:
        ents, changed = [], False
        for ent in doc.ents:
            actor_id = ent.ent_id_ or None
            label = ent.label_
            if actor_id is None:
                hit = self.by_alias.get(_norm(ent.text))
                if hit:
                    actor_id, label = hit
                    changed = True
            if actor_id and not ent.ent_id_:
                # Re-create the span so that ent_id_ (used downstream) carries the actor id too.
                ent = Span(doc, ent.start, ent.end, label=label, span_id=actor_id)
            ents.append((ent, actor_id))
        if changed:
            doc.ents = [e for e, _ in ents]
        for ent, actor_id in zip(doc.ents, (a for _, a in ents)):
            ent._.actor_id = actor_id or (ent.ent_id_ or None)
        doc._.veille_topic = self.topic.id
        if self.phrases is not None:
            taken = {(e.start, e.end) for e in doc.ents}
            nested = []
            for match_id, start, end in [*self.phrases(doc), *self.tokens(doc)]:
                aid = doc.vocab.strings[match_id]
                same = any(e.start <= start and end <= e.end and e.ent_id_ == aid for e in doc.ents)
                if (start, end) not in taken and not same:  # "Mistral" inside "Mistral AI" adds nothing
                    actor = self.topic.actor(aid)
                    nested.append(Span(doc, start, end, label=actor.label if actor else "ORG", span_id=aid))
                    taken.add((start, end))
            doc.spans["veille_actors"] = sorted(nested, key=lambda sp: (sp.start, sp.end))
        return doc

    def _make(self, vocab, text: str):
        if not hasattr(self, "_tok"):
            from spacy.lang.fr import French

            self._tok = French(vocab).tokenizer
        return self._tok(text)
