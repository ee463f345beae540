"""spaCy components of the analysis: actor patterns from the topic file and actor linking."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..records import Topic

if not Span.has_extension("actor_id"):
    Span.set_extension("actor_id", default=None)
if not Doc.has_extension("veille_topic"):
    Doc.set_extension("veille_topic", default=None)


def actor_patterns(topic: Topic) -> list[dict]:
    """EntityRuler patterns: every alias of every actor, labelled with the actor's type and id."""
    # Phrase patterns: the ruler tokenises them with the pipeline's own tokenizer.
    return [{"label": actor.label, "pattern": alias, "id": actor.id}
            for actor in topic.actors for alias in actor.aliases]


@Language.factory("veille_actor_linker", default_config={"link_labels": ["ORG", "PER", "MISC", "LOC", "PRODUCT"]})
def make_actor_linker(nlp: Language, name: str, link_labels: list[str]):
    """Set ``span._.actor_id`` on entities from the ruler's ids (alias rule)."""
    return ActorLinker(set(link_labels))


class ActorLinker:
    """Copies the EntityRuler's pattern id to ``ent._.actor_id``."""

    def __init__(self, link_labels: set[str]):
        self.link_labels = link_labels

    def __call__(self, doc: Doc) -> Doc:
        for ent in doc.ents:
            if ent.ent_id_:
                ent._.actor_id = ent.ent_id_
        return doc
