"""The transformers backend with tiny real models (random weights, real config and tokenizer) built
and saved by the tests; backend selection; the hub path failing clearly offline."""

from __future__ import annotations

import numpy as np
import pytest

from nlpkit import bundled_dir, nlp_rules, tiny_model, topic
from pipeline.errors import ModelError
from pipeline.nlp import annotate_doc, build_nlp
from pipeline.nlp.backends import (SENTIMENT_LABELS, TransformersScorer, _star_map, pull_models,
                                   select_backend)
from pipeline.nlp.bundled import file_sha256
from pipeline.nlp.rows import annotation_rows
from pipeline.records import StanceTarget

STARS = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
NLI = ["entailment", "neutral", "contradiction"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    base = tmp_path_factory.mktemp("hf")
    return {"sentiment": tiny_model(base / "sentiment", STARS, seed=1), "nli": tiny_model(base / "nli", NLI, seed=2),
            "plain": tiny_model(base / "plain", ["a", "b"], seed=3)}


@pytest.mark.parametrize("labels, expected", [
    ({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}, [0, 0, 1, 2, 2]),
    ({0: "negative", 1: "neutral", 2: "positive"}, [0, 1, 2]),
    ({0: "NEG", 1: "POS"}, [0, 2]),
    ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [0, 1, 2]),
    ({0: "joy", 1: "anger"}, None),
])
def test_sentiment_label_mapping(labels, expected):
    assert _star_map(labels) == expected


def test_tiny_sentiment_model_scores_spans(tiny):
    scorer = TransformersScorer(str(tiny["sentiment"]), "sentiment")
    doc = nlp_rules()("OpenAI accuse DeepSeek. Le modèle R1 impressionne. Rien n'est prouvé.")
    probs = scorer(list(doc.sents))
    assert probs.shape == (3, 3)
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
    # Stars are summed into three classes: recompute from the raw logits.
    import torch

    enc = scorer.tokenizer([s.text for s in doc.sents], padding=True, return_tensors="pt")
    with torch.inference_mode():
        p = torch.softmax(scorer.model(**enc).logits, -1).numpy()
    assert np.allclose(probs[:, 0], p[:, 0] + p[:, 1], atol=1e-5)
    assert np.allclose(probs[:, 2], p[:, 3] + p[:, 4], atol=1e-5)
    assert scorer.info.backend == "transformers"
    assert scorer.info.hash == file_sha256(tiny["sentiment"] / "model.safetensors")[:16]


def test_tiny_nli_model_gives_zero_shot_stance(tiny):
    target = topic().stance_targets[0]
    scorer = TransformersScorer(str(tiny["nli"]), "stance", topic().stance_targets)
    doc = nlp_rules()("Les journaux de connexion prouvent la copie. Aucune preuve n'a été publiée.")
    probs = scorer(list(doc.sents), target)
    assert probs.shape == (2, 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)
    incomplete = StanceTarget(id="x", description="x", hypotheses={"soutient": "Oui."})
    with pytest.raises(ModelError) as err:
        scorer(list(doc.sents), incomplete)
    assert err.value.code == "E534"


def test_non_nli_model_cannot_do_stance(tiny):
    with pytest.raises(ModelError) as err:
        TransformersScorer(str(tiny["plain"]), "stance")
    assert err.value.code == "E533"


def test_pipeline_with_transformers_backend_records_the_models(tiny):
    nlp = build_nlp("fr_core_news_md", topic(), {"backend": "transformers", "sentiment_model": str(tiny["sentiment"]),
                                                  "stance_model": str(tiny["nli"])})
    doc = nlp("OpenAI accuse DeepSeek d'avoir distillé ses modèles. « C'est faux », a répondu Liang Wenfeng.")
    data = annotate_doc(doc)
    assert data["models"]["sentiment"]["backend"] == "transformers"
    assert data["models"]["stance"]["name"] == str(tiny["nli"])
    rows = annotation_rows(doc)
    assert {r["task"] for r in rows} == {"sentiment", "stance", "tone"}
    assert all(r["backend"] == "transformers" and r["model_hash"] for r in rows)
    assert set(data["article"]["stance"]["accusation"]["probs"]) == {"soutient", "conteste", "neutre"}
    claim = data["claims"][0]
    assert set(claim["sentiment"]["probs"]) == set(SENTIMENT_LABELS)


def test_auto_prefers_local_hub_models_else_bundled(tiny, tmp_path_factory):
    assert select_backend("auto", str(tiny["sentiment"]), "sentiment") == "transformers"
    assert select_backend("auto", "veille-tests/no-such-model", "sentiment") == "bundled"
    assert select_backend("bundled", str(tiny["sentiment"]), "sentiment") == "bundled"
    with pytest.raises(ModelError):
        select_backend("magic", "", "sentiment")
    folder = bundled_dir(tmp_path_factory.getbasetemp())
    nlp = build_nlp("fr_core_news_md", topic(), {"backend": "auto", "bundled_dir": str(folder),
                                                  "sentiment_model": str(tiny["sentiment"]),
                                                  "stance_model": "veille-tests/no-such-model"})
    models = annotate_doc(nlp("OpenAI accuse DeepSeek."))["models"]
    assert (models["sentiment"]["backend"], models["stance"]["backend"]) == ("transformers", "bundled")


def test_configured_hub_model_absent_locally_is_a_clear_error():
    with pytest.raises(ModelError) as err:
        TransformersScorer("veille-tests/no-such-model", "sentiment")
    assert err.value.code == "E530" and "veille models pull" in str(err.value)


def test_pull_fails_clearly_without_a_hub(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as err:
        pull_models(["cmarkea/distilcamembert-base-sentiment"])
    assert err.value.code == "E536"
