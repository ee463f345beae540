"""Entities linked to the topic's actors: the base model's mistakes corrected, other entities kept."""

from __future__ import annotations

import spacy
import pytest

from nlpkit import nlp_rules, topic
from pipeline.config import load_topic
from pipeline.errors import ConfigError
from pipeline.nlp import mentions_of

TEXT = ("OpenAI accuse DeepSeek d'avoir copié ses modèles. Anthropic observe la querelle, tandis que R1 "
        "séduit les développeurs. Jeanne Dupuis, chercheuse chez Octant Conseil, reste prudente.")


def test_base_model_mistakes_are_corrected():
    base = {e.text: e.label_ for e in spacy.load("fr_core_news_md")(TEXT).ents}
    ours = {e.text: (e.label_, e.ent_id_) for e in nlp_rules()(TEXT).ents}
    # What fr_core_news_md does on its own (documented in pipeline/nlp/actors.py) ...
    assert base.get("OpenAI") != "ORG" or base.get("R1") != "PRODUCT"
    # ... and what the analysis stores.
    assert ours["OpenAI"] == ("ORG", "openai")
    assert ours["DeepSeek"] == ("ORG", "deepseek")
    assert ours["Anthropic"] == ("ORG", "anthropic")
    assert ours["R1"] == ("PRODUCT", "deepseek_r1")


def test_unknown_people_and_organisations_are_kept_with_offsets():
    rows = mentions_of(nlp_rules()(TEXT))
    by_text = {r["text"]: r for r in rows}
    assert by_text["Jeanne Dupuis"]["label"] == "PER" and by_text["Jeanne Dupuis"]["actor_id"] is None
    assert by_text["Jeanne Dupuis"]["link_method"] == "model"
    assert by_text["OpenAI"]["link_method"] == "alias"
    for r in rows:
        assert TEXT[r["start_char"]:r["end_char"]] == r["text"]


def test_every_alias_of_the_topic_links_to_its_actor():
    nlp = nlp_rules()
    misses = []
    for actor in topic().actors:
        for alias in actor.aliases:
            doc = nlp(f"Hier, {alias} a publié un communiqué.")
            if actor.id not in {e.ent_id_ for e in doc.ents}:
                misses.append((actor.id, alias))
    assert misses == []


def test_resolved_speakers_become_coref_mentions():
    text = "Sam Altman était à Paris. Il affirme que son entreprise livrera de meilleurs modèles."
    rows = mentions_of(nlp_rules()(text))
    coref = [r for r in rows if r["link_method"] == "coref"]
    assert coref == [{"start_char": 26, "end_char": 28, "text": "Il", "label": "PER", "actor_id": "sam_altman",
                      "link_method": "coref"}]


def test_unknown_tone_actor_id_in_topic_file_is_a_config_error(tmp_path):
    from pipeline.config import topic_path

    text = topic_path("openai_deepseek").read_text("utf-8").replace(
        'tone_actors = ["openai", "deepseek"]', 'tone_actors = ["openai", "deepsek"]')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as err:
        load_topic(str(bad))
    assert "deepsek" in str(err.value)
