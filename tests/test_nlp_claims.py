"""Claims and speakers on hand-written French sentences (not corpus text): each construction the
rules are meant to handle, and the look-alikes they must leave alone."""

from __future__ import annotations

import pytest

from nlpkit import nlp_rules


def claims(text: str) -> list[dict]:
    return nlp_rules()(text)._.claims


def one(text: str) -> dict:
    found = claims(text)
    assert len(found) == 1, [(c["kind"], c["content"]) for c in found]
    return found[0]


@pytest.mark.parametrize("text, kind, cue, speaker_id, resolution, content", [
    ("« Nous n'avons rien copié », a déclaré Liang Wenfeng.",
     "direct", "déclarer", "liang_wenfeng", "name", "Nous n'avons rien copié"),
    ("Sam Altman a répondu : « Nous livrerons de meilleurs modèles. »",
     "direct", "répondre", "sam_altman", "name", "Nous livrerons de meilleurs modèles"),
    ("Claire Martin, chercheuse à Lyon, suit le dossier. « Les preuves manquent », estime-t-elle.",
     "direct", "estimer", "person:Claire Martin", "pronoun", "Les preuves manquent"),
    ("Paul Durand connaît le sujet. « Cette affaire, explique-t-il, dépasse la technique. »",
     "direct", "expliquer", "person:Paul Durand", "pronoun", "Cette affaire, explique-t-il, dépasse la technique"),
    ("Inès Robert dirige une start-up. « Nous restons prudents », a-t-elle ajouté.",
     "direct", "ajouter", "person:Inès Robert", "pronoun", "Nous restons prudents"),
    ("La juriste Anne Roux a étudié le contrat. « C'est une violation nette », a déclaré à la presse la juriste.",
     "direct", "déclarer", "person:Anne Roux", "description", "C'est une violation nette"),
    ("Microsoft a reconnu que des comptes suspects avaient été repérés.",
     "indirect", "reconnaître", "microsoft", "name", "des comptes suspects avaient été repérés"),
    ("Marc Petit, analyste chez Octo Conseil, juge que la sanction serait disproportionnée.",
     "indirect", "juger", "person:Marc Petit", "name", "la sanction serait disproportionnée"),
    ("OpenAI a fait savoir qu'elle coopérait avec le gouvernement américain.",
     "indirect", "faire savoir", "openai", "name", "elle coopérait avec le gouvernement américain"),
    ("Selon le Financial Times, OpenAI dispose d'éléments contre DeepSeek.",
     "selon", "selon", "financial_times", "name", "OpenAI dispose d'éléments contre DeepSeek"),
    ("OpenAI dispose d'éléments contre DeepSeek, selon Bloomberg.",
     "selon", "selon", "bloomberg", "name", "OpenAI dispose d'éléments contre DeepSeek"),
    ("Pour Luc Garnier, professeur de droit à Nantes, la plainte n'a aucune chance.",
     "selon", "pour", "person:Luc Garnier", "name", "la plainte n'a aucune chance"),
])
def test_constructions(text, kind, cue, speaker_id, resolution, content):
    c = one(text)
    assert (c["kind"], c["cue"], c["speaker_id"], c["speaker_resolution"], c["content"]) == \
        (kind, cue, speaker_id, resolution, content)
    assert text[c["content_start"]:c["content_end"]] == c["content"]
    assert text[c["speaker_start"]:c["speaker_end"]] == c["speaker_text"]


def test_pronoun_follows_grammatical_gender():
    text = ("Paul Morel a longtemps travaillé avec Julie Bernard, avocate à Paris. "
            "Il affirme que le contrat interdit cet usage.")
    assert one(text)["speaker_id"] == "person:Paul Morel"
    text = text.replace("Il affirme", "Elle affirme")
    assert one(text)["speaker_id"] == "person:Julie Bernard"


def test_description_matches_the_role_given_at_introduction():
    text = ("Sophie Blanc, analyste chez Fenwick, et Thomas Roy, avocat, suivent l'affaire. "
            "L'analyste estime que les marchés ont surréagi.")
    c = one(text)
    assert (c["speaker_id"], c["speaker_resolution"], c["speaker_text"]) == ("person:Sophie Blanc", "description", "L'analyste")


def test_surname_alone_refers_back_to_the_full_name():
    text = "Hélène Carré, économiste, a publié une note. Carré estime que la baisse sera passagère."
    assert one(text)["speaker_id"] == "person:Hélène Carré"


def test_organisation_description():
    text = "OpenAI a publié un mémo mardi. L'entreprise affirme que ses conditions d'utilisation ont été violées."
    c = one(text)
    assert (c["speaker_id"], c["speaker_resolution"]) == ("openai", "description")


def test_d_apres_with_pronoun():
    text = "Nadia Lefèvre enseigne le droit à Lille. D'après elle, rien n'a été démontré à ce stade."
    c = one(text)
    assert (c["kind"], c["cue"], c["speaker_id"], c["content"]) == ("selon", "d'après", "person:Nadia Lefèvre",
                                                                      "rien n'a été démontré à ce stade")


def test_content_stops_before_the_narrators_concession():
    c = one("David Sacks assure que DeepSeek a copié OpenAI, même si aucune preuve n'a été publiée.")
    assert c["content"] == "DeepSeek a copié OpenAI"


def test_short_quote_after_naming_verb():
    c = one("Donald Trump a parlé d'un « signal d'alarme » pour l'industrie américaine.")
    assert (c["kind"], c["cue"], c["speaker_id"], c["content"]) == ("direct", "parler", "donald_trump", "signal d'alarme")


@pytest.mark.parametrize("text", [
    "Pour Microsoft, le marché du cloud reste prometteur.",          # "pour" + organisation: "as for"
    "Pour les investisseurs, la semaine a été difficile.",           # a group, not a speaker
    "Le rapport décrit des méthodes que les experts jugent fiables.",  # relative "que"
    "La « distillation » consiste à entraîner un petit modèle.",     # scare quotes
    "On estime que le marché va croître.",                           # nobody to credit
    "L'accusation selon laquelle DeepSeek aurait copié reste débattue.",
    "Les méthodes décrites dans le mémo sont connues.",             # participle, not a verb of saying
])
def test_look_alikes_are_not_claims(text):
    assert claims(text) == []


def test_claims_never_cross_paragraphs():
    text = ("Marie Leroy, juriste, a reconnu que la question restait ouverte\n\n"
            "Le marché a rebondi mardi. Les valeurs technologiques ont progressé.")
    c = one(text)
    assert c["content"] == "la question restait ouverte"


def test_sentences_are_not_split_inside_words_or_at_que():
    doc = nlp_rules()("D'après Bloomberg, Microsoft, premier actionnaire d'OpenAI, et la start-up ont enquêté "
                      "sur des comptes. Selon lui, la réaction est d'autant plus brutale que Nvidia pesait lourd.")
    assert [s.text.split()[0] for s in doc.sents] == ["D'après", "Selon"]
    assert [c["speaker_id"] for c in doc._.claims] == ["bloomberg"]  # "lui" has no antecedent person
