"""The nightly's classify stage retrains the student when its teacher changes: a real analysis (spaCy
and the bundled sentiment/stance models) labels stored articles, the student learns from it; then
the bundled models are retrained on a different annotation set (a new teacher identity), and the
stage keeps the old student until the new teacher has re-labelled the articles, then retrains it and
re-scores every article with the new version. An unchanged teacher retrains nothing."""

from __future__ import annotations

import json

import pytest
from distillkit import build_teacher_db, tiny_settings
from nlpkit import nlp_bundled, small_annotations, topic

from pipeline.distill import classify_stage
from pipeline.distill.retrain import student_teacher, teacher_changes
from pipeline.errors import ModelError
from pipeline.nlp import analyse_pending, build_nlp, pipeline_version
from pipeline.nlp.training import train_bundled
from pipeline.store import open_store

TOPIC = topic()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A store analysed by teacher A (the session's bundled models) and a student trained on it."""
    tmp = tmp_path_factory.mktemp("retrain")
    build_teacher_db(tmp / "veille.duckdb", limit=45, analyse=False)
    nlp_a = nlp_bundled(tmp_path_factory.getbasetemp())
    settings = tiny_settings(tmp, "distill.nightly_cv_folds=0")
    log: list[str] = []
    with open_store(settings["store.path"]) as store:
        analysed = analyse_pending(store, nlp_a, "run-a")["articles"]
        broken = store.query("SELECT reason, any_value(detail) AS detail, count(*) AS n FROM failures GROUP BY reason")
        assert not broken, f"the teacher's analysis failed: {broken}"
        counts, version = classify_stage(store, settings, TOPIC, "night-1", teacher=pipeline_version(nlp_a),
                                         say=log.append)
    assert analysed >= 15 and counts["student_trained"] == 1 and counts["classified"] > analysed
    return tmp, settings, nlp_a, version, log


def _config(settings) -> dict:
    return json.loads((settings.path("distill.model_dir") / "config.json").read_text())


def test_unchanged_teacher_retrains_nothing(world):
    _, settings, nlp_a, version, log = world
    assert _config(settings)["teacher_version"] == pipeline_version(nlp_a)
    assert "trained" in log[0] and pipeline_version(nlp_a) in log[0]
    with open_store(settings["store.path"]) as store:
        for teacher in (pipeline_version(nlp_a), None):  # None: the store's own teacher, the same one
            counts, again = classify_stage(store, settings, TOPIC, "night-2", teacher=teacher)
            assert counts == {"student_trained": 0, "student_retrained": 0, "student_stale": 0, "classified": 0}
            assert again == version


def test_changed_teacher_retrains_once_enough_articles_carry_its_labels(world):
    tmp, settings, nlp_a, version, _ = world
    # Teacher B: the bundled models retrained on a smaller annotation set (other weights and hashes).
    train_bundled(small_annotations(tmp / "annotations", n_train=200), tmp / "bundled-b")
    nlp_b = build_nlp("fr_core_news_md", TOPIC, {"backend": "bundled", "bundled_dir": str(tmp / "bundled-b")})
    teacher_b = pipeline_version(nlp_b)
    assert teacher_b != pipeline_version(nlp_a)
    log: list[str] = []
    with open_store(settings["store.path"]) as store:
        # "never": the staleness is reported, the student is kept.
        never = tiny_settings(tmp, "distill.nightly_cv_folds=0", "distill.retrain=never")
        counts, kept = classify_stage(store, never, TOPIC, "night-3", teacher=teacher_b, say=log.append)
        assert counts["student_stale"] == 1 and counts["student_trained"] == 0 and kept == version
        assert "distill.retrain = never" in log[-1]
        # The new teacher has labelled nothing yet: keep the old student, say why.
        counts, kept = classify_stage(store, settings, TOPIC, "night-4", teacher=teacher_b, say=log.append)
        assert counts == {"student_trained": 0, "student_retrained": 0, "student_stale": 1, "classified": 0}
        assert kept == version and _config(settings)["version"] == version
        assert "is kept" in log[-1] and "only 0 of" in log[-1] and teacher_b in log[-1]
        # Teacher B re-analyses the articles (what the nightly's analysis stage does first).
        analyse_pending(store, nlp_b, "run-b")
        assert not store.query("SELECT * FROM failures"), "teacher B's analysis failed"
        n_fr = store.scalar("SELECT count(*) FROM articles WHERE language = 'fr'")
        counts, new = classify_stage(store, settings, TOPIC, "night-5", teacher=teacher_b, say=log.append)
        assert counts == {"student_trained": 1, "student_retrained": 1, "student_stale": 0, "classified": n_fr}
        assert new != version and "retrained as " + new in log[-1]
        config = _config(settings)
        assert config["version"] == new and config["teacher_version"] == teacher_b
        assert teacher_b in config["teacher_id"] and student_teacher(config) == teacher_b
        rows = store.query("SELECT model_version, run_id, count(*) AS n FROM predictions "
                           "WHERE model_version = ? GROUP BY ALL", [new])
        assert [(r["run_id"], r["n"]) for r in rows] == [("night-5", n_fr)]
        registry = {r["model_version"]: r["teacher_id"] for r in store.query("SELECT * FROM student_models")}
        assert set(registry) == {version, new} and teacher_b in registry[new]
        # Idempotent: the same teacher again retrains and scores nothing.
        counts, again = classify_stage(store, settings, TOPIC, "night-6", teacher=teacher_b)
        assert counts == {"student_trained": 0, "student_retrained": 0, "student_stale": 0, "classified": 0}
        assert again == new


def test_teacher_identity_covers_version_and_aggregation_constant():
    config = {"teacher_version": "v1", "min_evidence": 1.0, "granularity": "sentence"}
    assert teacher_changes(config, "v1", 1.0) == []
    assert teacher_changes(config, "v2", 1.0) == ["analysis version v1 -> v2"]
    assert teacher_changes(config, "v1", 1.5) == ["aggregation MIN_EVIDENCE 1.0 -> 1.5"]
    # students trained before teacher_version was recorded: read from teacher_id
    legacy = {"teacher_id": "analysis fr_core_news_md-3.8.0+veille-0.1.0+models-bfefceec; stance:accusation = x"}
    assert student_teacher(legacy) == "fr_core_news_md-3.8.0+veille-0.1.0+models-bfefceec"
    assert teacher_changes(legacy, "fr_core_news_md-3.8.0+veille-0.1.0+models-bfefceec", 1.0) == []


def test_unknown_retrain_mode_is_a_clear_error(world):
    tmp, _, _, _, _ = world
    bad = tiny_settings(tmp, "distill.retrain=sometimes")
    with open_store(bad["store.path"]) as store, pytest.raises(ModelError) as err:
        classify_stage(store, bad, TOPIC, "night-x")
    assert err.value.code == "E516" and "when_teacher_changes" in err.value.hint
