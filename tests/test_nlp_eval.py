"""`veille eval nlp` on the corpus gold (never trained on): floors pinned a little below what was
measured, so a regression in actors, claims, speakers, cues or the models fails here."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from nlpkit import ANNOTATIONS, GOLD, bundled_dir, gold_subset, nlp_bundled, topic
from pipeline.cli import app
from pipeline.nlp.evaluation import evaluate_nlp, match_claims


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    nlp = nlp_bundled(tmp_path_factory.getbasetemp())
    return evaluate_nlp(nlp, topic(), GOLD, ANNOTATIONS)


# Measured on the 215-article gold (docs/analysis.md), title + lead + body analysed: actors P 0.986
# R 0.984; claims F1 0.890; speaker attribution F1 0.862; cue F1 0.879; claim stance macro-F1 0.820
# (found claims, claim head with the article's context) / 0.691 (gold spans, sentence model); article
# stance 0.857 (article head; 0.814 on the 128 on-topic articles); test sentences: sentiment 0.733,
# stance 0.735 macro-F1.
FLOORS = {
    ("actors", "precision"): 0.97, ("actors", "recall"): 0.97,
    ("claims", "f1"): 0.87, ("claims", "precision"): 0.90, ("claims", "recall"): 0.84,
    ("speaker_attribution", "f1"): 0.84, ("cue", "f1"): 0.86,
    ("stance_claims_matched", "macro_f1"): 0.79, ("stance_claims_gold_spans", "macro_f1"): 0.67,
    ("stance_articles", "macro_f1"): 0.83, ("stance_articles_on_topic", "macro_f1"): 0.78,
}


@pytest.mark.parametrize("metric, field", sorted(FLOORS))
def test_floor(result, metric, field):
    assert result[metric][field] >= FLOORS[(metric, field)], result[metric]


def test_every_claim_kind_is_found(result):
    for kind in ("direct", "indirect", "selon"):
        assert result["claims_by_kind"][kind]["f1"] >= 0.78, (kind, result["claims_by_kind"][kind])


def test_test_sentences_are_scored(result):
    assert result["sentences_test"]["sentiment"]["macro_f1"] >= 0.69
    assert result["sentences_test"]["stance"]["macro_f1"] >= 0.69


def test_indirect_resolutions_are_mostly_right(result):
    r = result["speaker_resolution"]
    for kind in ("pronoun", "description"):
        ok, wrong = r.get(f"{kind}_ok", 0), r.get(f"{kind}_wrong", 0)
        assert ok >= 20 and ok / (ok + wrong) >= 0.8, r


def test_claim_matching_is_one_to_one():
    pred = [{"content_start": 0, "content_end": 10}, {"content_start": 2, "content_end": 10}]
    gold = [{"start": 0, "end": 10}]
    assert match_claims(pred, gold) == [(0, 0)]
    assert match_claims([{"content_start": 0, "content_end": 4}], gold) == []  # overlap < half


def test_eval_nlp_command(tmp_path, tmp_path_factory):
    folder = bundled_dir(tmp_path_factory.getbasetemp())
    gold = gold_subset(tmp_path / "gold.jsonl", 3)
    out = tmp_path / "eval.json"
    res = CliRunner().invoke(app, ["--set", f"nlp.bundled_dir={folder}", "--set", "nlp.backend=bundled", "eval", "nlp",
                                   "--gold", str(gold), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "actors" in res.stdout and "claims" in res.stdout
    data = json.loads(out.read_text("utf-8"))
    assert data["articles"] == 3 and data["claims"]["gold"] > 0
