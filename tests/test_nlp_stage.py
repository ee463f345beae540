"""The analysis stage on a real DuckDB file: rows written, idempotent re-runs, bad input as failure
rows, a corrupt model folder not stopping the run, n_process=2, and the `veille annotate` command."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from nlpkit import GOLD, bundled_dir, nlp_bundled, nlp_rules, topic
from pipeline.cli import app
from pipeline.config import load_settings
from pipeline.errors import AnalysisError
from pipeline.nlp import analyse_pending, analyse_text, build_for_run, pipeline_version
from pipeline.store import open_store

ENGLISH = ("OpenAI says it has evidence that the Chinese start-up DeepSeek used its models to train a rival, "
           "a practice known as distillation. Microsoft and OpenAI investigated accounts believed to belong "
           "to DeepSeek last year, according to people familiar with the matter, who declined to be named.")


def gold_texts(n: int) -> list[dict]:
    rows = [json.loads(x) for x in GOLD.read_text("utf-8").splitlines() if x.strip()]
    return [r for r in rows if r.get("on_topic") and len(r["text"]) > 800][:n]


def add_articles(store, items: list[tuple[str, str]]) -> None:
    now = datetime.now(timezone.utc)
    store.upsert("articles", [{"article_id": aid, "canonical_url": f"http://x.test/{aid}", "url": f"http://x.test/{aid}",
                               "outlet_id": "test", "language": "fr", "text": text, "is_relevant": True,
                               "run_id": "setup", "extracted_at": now} for aid, text in items])


@pytest.fixture()
def store(tmp_path):
    with open_store(tmp_path / "v.duckdb") as s:
        yield s


def counts(store) -> dict:
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in ("mentions", "claims", "annotations", "failures")}


def test_stage_writes_rows_and_is_idempotent(store, tmp_path_factory):
    nlp = nlp_bundled(tmp_path_factory.getbasetemp())
    arts = gold_texts(3)
    add_articles(store, [(f"a{i}", a["text"]) for i, a in enumerate(arts)])
    first = analyse_pending(store, nlp, "run1")
    assert first["articles"] == 3 and first["claims"] > 0 and first["annotations"] > 0
    after_first = counts(store)
    assert analyse_pending(store, nlp, "run2")["articles"] == 0  # nothing new
    # A new pipeline version re-analyses and *replaces* the rows: same counts, no duplicates.
    store.con.execute("UPDATE articles SET nlp_version = 'older-version'")
    assert analyse_pending(store, nlp, "run3")["articles"] == 3
    assert counts(store) == after_first
    assert store.scalar("SELECT count(DISTINCT run_id) FROM claims") == 1
    assert store.scalar("SELECT DISTINCT nlp_version FROM articles") == pipeline_version(nlp)
    # Every annotation row says which model produced it.
    assert store.scalar("SELECT count(*) FROM annotations WHERE model_name = '' OR model_hash IS NULL "
                        "OR backend IS NULL OR model_version IS NULL") == 0
    kinds = {(r["task"], r["scope"]) for r in store.query("SELECT DISTINCT task, scope FROM annotations")}
    assert kinds >= {("sentiment", "sentence"), ("sentiment", "claim"), ("stance", "claim"), ("stance", "article"),
                     ("tone", "article")}
    row = store.query("SELECT * FROM claims ORDER BY article_id, content_start LIMIT 1")[0]
    text = store.scalar("SELECT text FROM articles WHERE article_id = ?", [row["article_id"]])
    assert text[row["content_start"]:row["content_end"]] == row["content"]
    assert text[row["speaker_start"]:row["speaker_end"]] == row["speaker_text"]


def test_title_and_lead_are_analysed_with_offsets_in_their_own_field(store):
    nlp = nlp_rules()
    body = gold_texts(1)[0]["text"]
    now = datetime.now(timezone.utc)
    store.upsert("articles", [{"article_id": "t1", "canonical_url": "http://x.test/t1", "url": "http://x.test/t1",
                               "outlet_id": "test", "language": "fr", "is_relevant": True, "run_id": "setup",
                               "extracted_at": now, "text": body,
                               "title": "Nvidia et Microsoft face au mémo d'OpenAI",
                               "lead": "Le créateur de ChatGPT vise la start-up de Liang Wenfeng devant le Congrès."}])
    assert analyse_pending(store, nlp, "run1")["articles"] == 1
    cols = store.query("SELECT title, lead, text FROM articles WHERE article_id = 't1'")[0]
    rows = store.query("SELECT field, start_char, end_char, text, actor_id FROM mentions WHERE article_id = 't1'")
    by_field = {}
    for r in rows:
        # Offsets are relative to the articles column named by `field`.
        assert cols[r["field"]][r["start_char"]:r["end_char"]] == r["text"]
        by_field.setdefault(r["field"], set()).add(r["actor_id"])
    assert {"nvidia", "microsoft", "openai"} <= by_field["title"]
    assert {"chatgpt", "liang_wenfeng", "us_congress"} <= by_field["lead"]
    assert by_field["text"]
    for c in store.query("SELECT * FROM claims WHERE article_id = 't1'"):
        assert cols[c["field"]][c["content_start"]:c["content_end"]] == c["content"]


def test_bad_texts_become_failure_rows_and_the_rest_is_analysed(store):
    nlp = nlp_rules()
    good = gold_texts(1)[0]["text"]
    add_articles(store, [("empty", "   \n"), ("huge", "OpenAI accuse DeepSeek. " * 400), ("english", ENGLISH),
                         ("ok", good), ("nodot", "OpenAI accuse DeepSeek d'avoir copié ses modèles sans rien dire")])
    res = analyse_pending(store, nlp, "run1", max_chars=5000)
    assert res["articles"] == 2
    failures = {r["item"]: r["reason"] for r in store.query("SELECT item, reason FROM failures")}
    assert failures == {"empty": "empty_text", "huge": "too_large", "english": "not_french"}
    # Refused texts are not retried (and re-reported) by every run of the same version.
    assert analyse_pending(store, nlp, "run2", max_chars=5000)["articles"] == 0
    assert store.scalar("SELECT count(*) FROM failures WHERE run_id = 'run2'") == 0


def test_corrupt_models_record_a_failure_and_keep_entities_and_claims(store, tmp_path, tmp_path_factory):
    models = tmp_path / "models"
    shutil.copytree(bundled_dir(tmp_path_factory.getbasetemp()), models)
    (models / "stance" / "weights.safetensors").write_bytes(b"garbage")
    settings = load_settings(None, [f"nlp.bundled_dir={models}", "nlp.backend=bundled"], environ={})
    messages = []
    nlp = build_for_run(settings, topic(), store, "run1", messages.append)
    assert "veille_classifier" not in nlp.pipe_names and "veille_claims" in nlp.pipe_names
    assert store.query("SELECT reason FROM failures")[0]["reason"] == "model_error"
    assert any("E513" in m for m in messages)
    add_articles(store, [("ok", gold_texts(1)[0]["text"])])
    res = analyse_pending(store, nlp, "run1")
    assert res["articles"] == 1 and res["claims"] > 0 and res["annotations"] == 0
    assert "nomodels" in pipeline_version(nlp)


def test_missing_models_are_trained_by_the_run(store, tmp_path):
    from nlpkit import small_annotations

    data = small_annotations(tmp_path / "data", n_train=150)
    settings = load_settings(None, [f"nlp.bundled_dir={tmp_path / 'fresh'}", f"nlp.annotations_dir={data}",
                                    "nlp.backend=bundled"], environ={})
    messages = []
    nlp = build_for_run(settings, topic(), store, "run1", messages.append)
    assert "veille_classifier" in nlp.pipe_names
    assert any("missing" in m for m in messages) and (tmp_path / "fresh" / "stance" / "README.md").exists()


def test_two_processes_give_the_same_rows(store, tmp_path_factory):
    nlp = nlp_bundled(tmp_path_factory.getbasetemp())
    arts = gold_texts(4)
    add_articles(store, [(f"a{i}", a["text"]) for i, a in enumerate(arts)])
    analyse_pending(store, nlp, "run1", n_process=1)
    one = store.query("SELECT * EXCLUDE (run_id) FROM claims ORDER BY ALL")
    ann = store.query("SELECT article_id, task, scope, target, span_start, label FROM annotations ORDER BY ALL")
    store.con.execute("UPDATE articles SET nlp_version = NULL")
    analyse_pending(store, nlp, "run2", n_process=2)
    assert store.query("SELECT * EXCLUDE (run_id) FROM claims ORDER BY ALL") == one
    assert store.query("SELECT article_id, task, scope, target, span_start, label FROM annotations ORDER BY ALL") == ann


def test_analyse_text_refuses_what_it_cannot_analyse():
    nlp = nlp_rules()
    with pytest.raises(AnalysisError) as err:
        analyse_text(nlp, "  ")
    assert err.value.code == "E551"
    with pytest.raises(AnalysisError) as err:
        analyse_text(nlp, "x" * 1_000_001)
    assert err.value.code == "E552"
    assert analyse_text(nlp, ENGLISH)["warnings"]
    data = analyse_text(nlp, "OpenAI accuse DeepSeek sans la moindre ponctuation")
    assert [e["actor_id"] for e in data["entities"]] == ["openai", "deepseek"]


def test_annotate_command_prints_everything_as_json(tmp_path_factory):
    folder = bundled_dir(tmp_path_factory.getbasetemp())
    text = ("OpenAI accuse DeepSeek d'avoir distillé ses modèles. « Nous n'avons rien copié », a répondu "
            "Liang Wenfeng. Selon le Financial Times, OpenAI détient des preuves.")
    res = CliRunner().invoke(app, ["--set", f"nlp.bundled_dir={folder}", "--set", "nlp.backend=bundled",
                                   "annotate", "-", "--json"], input=text)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [c["speaker_id"] for c in data["claims"]] == ["liang_wenfeng", "financial_times"]
    assert data["article"]["stance"]["accusation"]["label"] in ("soutient", "conteste", "neutre")
    assert data["models"]["stance"]["backend"] == "bundled"
    assert {"entities", "claims", "sentences", "article", "models", "warnings"} <= set(data)


def test_annotate_command_reports_bad_input_clearly(tmp_path):
    from pipeline.cli import main
    import subprocess
    import sys

    empty = subprocess.run([sys.executable, "-m", "pipeline", "annotate", "-", "--no-models"], input="",
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "E551" in empty.stderr
    # No models and nothing to train them from: a numbered error that says what to do.
    missing = subprocess.run([sys.executable, "-m", "pipeline", "--set", f"nlp.bundled_dir={tmp_path / 'none'}",
                              "--set", f"nlp.annotations_dir={tmp_path}", "--set", "nlp.backend=bundled",
                              "annotate", "-"], input="OpenAI accuse DeepSeek.", capture_output=True, text=True)
    assert missing.returncode == 2 and "E520" in missing.stderr and "corpus/build.py" in missing.stderr
    assert callable(main)


def test_a_component_failing_on_one_article_is_a_failure_row(store, monkeypatch):
    import pipeline.nlp.claims as claims_module

    real = claims_module.extract_claims

    def flaky(doc):
        if "PIÈGE" in doc.text:
            raise RuntimeError("rule tripped")
        return real(doc)

    monkeypatch.setattr(claims_module, "extract_claims", flaky)
    good = gold_texts(1)[0]["text"]
    add_articles(store, [("ok", good), ("bad", good + "\n\nPIÈGE.")])
    res = analyse_pending(store, nlp_rules(), "run1")
    assert res["articles"] == 2
    assert store.query("SELECT item, reason, detail FROM failures") == [
        {"item": "bad", "reason": "nlp_error", "detail": "claims: RuntimeError: rule tripped"}]
    # The failed article keeps its entities but is not marked analysed: the next run retries it.
    assert store.scalar("SELECT count(*) FROM mentions WHERE article_id = 'bad'") > 0
    assert store.scalar("SELECT nlp_version FROM articles WHERE article_id = 'bad'") is None
    assert store.scalar("SELECT nlp_version FROM articles WHERE article_id = 'ok'") is not None


@pytest.mark.parametrize("n_process", [1, 2])
def test_rows_failing_on_one_article_is_a_failure_row_in_any_process(store, monkeypatch, n_process):
    import pipeline.nlp.parallel as parallel

    real = parallel.claim_rows

    def flaky(doc):
        if "PIÈGE" in doc.text:
            raise ValueError("bad offsets")
        return real(doc)

    monkeypatch.setattr(parallel, "claim_rows", flaky)  # worker processes are forked: they see it too
    good = gold_texts(1)[0]["text"]
    add_articles(store, [("ok", good), ("bad", good + "\n\nPIÈGE.")])
    res = analyse_pending(store, nlp_rules(), "run1", n_process=n_process)
    assert res["articles"] == 1
    assert store.query("SELECT item, reason, detail FROM failures") == [
        {"item": "bad", "reason": "nlp_error", "detail": "ValueError: bad offsets"}]
    assert store.scalar("SELECT count(*) FROM mentions WHERE article_id = 'ok'") > 0
    assert store.scalar("SELECT nlp_version FROM articles WHERE article_id = 'bad'") is None
