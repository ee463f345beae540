"""The distilled student: training from teacher rows in a real DuckDB file, determinism, the model
folder, batch classification into the predictions table, and the nightly's classify stage."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from distillkit import build_teacher_db, tiny_settings

from pipeline.config import load_topic
from pipeline.distill import (classify_pending, classify_stage, load_student, run_classify, student_config,
                              train_params, train_student)
from pipeline.distill.data import fold_of, load_teacher_data, load_teacher_units, training_set
from pipeline.distill.infer import compose_stance
from pipeline.distill.model import weights_digest
from pipeline.distill.train import fit
from pipeline.errors import ModelError
from pipeline.store import open_store

TOPIC = load_topic("openai_deepseek")


@pytest.fixture(scope="module")
def teacher_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("distill")
    rows = build_teacher_db(tmp / "veille.duckdb", limit=120)
    return tmp, rows


@pytest.fixture(scope="module")
def trained(teacher_db, tmp_path_factory):
    """A tiny student trained from the teacher DB, with 2-fold held-out evaluation."""
    tmp, _ = teacher_db
    settings = tiny_settings(tmp, "distill.cv_folds=2")
    with open_store(settings["store.path"], read_only=True) as store:
        report = train_student(store, settings.section("distill"), TOPIC, ["fr"], settings["distill.model_dir"])
    return settings, report


def _data(settings):
    cfg = student_config(settings.section("distill"), TOPIC)
    with open_store(settings["store.path"], read_only=True) as store:
        return cfg, load_teacher_data(store, cfg.labels, cfg.sources, ["fr"])


def _units(settings):
    cfg = student_config(settings.section("distill"), TOPIC)
    with open_store(settings["store.path"], read_only=True) as store:
        return load_teacher_units(store, cfg.unit_labels, cfg.unit_sources, ["fr"])


def test_teacher_data_follows_the_table_contract(teacher_db):
    tmp, rows = teacher_db
    cfg, data = _data(tiny_settings(tmp))
    relevant = sum(r["is_relevant"] for r in rows)
    assert len(data) == len(rows) and 0 < relevant < len(rows)
    counts = data.counts()
    # every stored French article is an on-topic example (negatives included), stance/tone only analysed ones
    assert counts["on_topic"] == len(rows) and counts["on_topic_positive"] == relevant
    assert counts["stance"] == counts["tone_openai"] == counts["tone_deepseek"] == relevant == counts["analysed"]
    stance = data.targets["stance"][data.labelled("stance")]
    assert np.allclose(stance.sum(1), 1.0)
    assert "stand-in-teacher" in data.teacher_id() and "stand-in" in data.teacher_id()
    # the teacher's probs map is re-ordered into the head's label order
    both = next(r for r in rows if r["is_relevant"] and {"openai", "deepseek"} <= set(r["text"].lower().split()))
    i = data.article_ids.index(both["article_id"])
    assert data.targets["tone_openai"][i, 0] == pytest.approx(data.targets["tone_deepseek"][i, 2])
    # no tone row for an actor the analysed article does not mention: its tone is neutre
    quiet = [r for r in rows if r["is_relevant"] and "deepseek" not in r["text"].lower()]
    assert quiet
    for r in quiet:
        assert data.targets["tone_deepseek"][data.article_ids.index(r["article_id"])].tolist() == [0.0, 1.0, 0.0]
    unanalysed = next(r for r in rows if not r["is_relevant"])
    assert np.isnan(data.targets["tone_openai"][data.article_ids.index(unanalysed["article_id"])]).all()


def test_training_is_deterministic_for_a_seed(teacher_db):
    tmp, _ = teacher_db
    settings = tiny_settings(tmp, "distill.epochs=2")
    cfg, data = _data(settings)
    train_set = training_set(data, _units(settings), list(cfg.network_labels()))
    digests = []
    for seed in (7, 7, 8):
        params = train_params({**settings.section("distill"), "seed": seed})
        model, _, _ = fit(train_set, student_config(settings.section("distill"), TOPIC), params,
                          tokenizer_texts=data.texts)
        digests.append(weights_digest(model))
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_model_folder_holds_weights_tokenizer_config_and_card(trained):
    settings, report = trained
    folder = settings.path("distill.model_dir")
    assert {"model.safetensors", "tokenizer.json", "config.json", "README.md", "metrics.json"} <= {
        p.name for p in folder.iterdir()}
    assert not list(folder.parent.glob("student.tmp-*"))
    config = json.loads((folder / "config.json").read_text())
    assert config["version"] == report["version"] and config["version"].startswith("s-")
    assert config["train_data_hash"] == report["data_hash"] and len(report["data_hash"]) == 64
    assert "stand-in-teacher" in config["teacher_id"]
    card = (folder / "README.md").read_text()
    for needle in (report["version"], report["data_hash"], "stand-in-teacher", "Macro-F1", "held out",
                   "Agreement with the teacher", "articles/s"):
        assert needle in card
    # evaluation: teacher and both student views per head, on the gold-matched articles
    gold = report["gold"]
    assert gold["n"] > 100 and set(gold["heads"]) == {"on_topic", "stance", "tone_openai", "tone_deepseek"}
    for entry in gold["heads"].values():
        assert 0 <= entry["teacher"] <= 1 and 0 <= entry["student_held_out"] <= 1 and 0 <= entry["student_final"] <= 1
    # the reloaded folder predicts what the trained model predicted
    student = load_student(folder, "cpu")
    assert student.version == report["version"]
    _, data = _data(settings)
    probs = student.probabilities(data.texts[:20])
    assert np.allclose(probs["on_topic"].sum(1) * 0 + 1, 1) and np.allclose(probs["stance"].sum(1), 1, atol=1e-5)


def test_fast_tokenizer_matches_the_saved_tokenizer(trained):
    settings, _ = trained
    student = load_student(settings["distill.model_dir"], "cpu")
    _, data = _data(settings)
    texts = data.texts[:40] + ["", "É l'«accusation» d’OpenAI — 5,6 M$ !", "x" * 300]
    plain = student.tokenizer.fresh(negation=False).encode_ids(texts)
    assert plain == [e.ids for e in student.tokenizer.hf.encode_batch(texts)]
    # with negation marking (the default), the same sub-words, some moved to their negated rows
    assert student.cfg.negation and student.tokenizer.negation
    v = student.tokenizer.get_vocab_size()
    marked = student.tokenizer.encode_ids(texts)
    assert [[i % v for i in ids] for ids in marked] == plain and any(i >= v for ids in marked for i in ids)


def test_held_out_views_never_see_their_article(teacher_db):
    tmp, _ = teacher_db
    _, data = _data(tiny_settings(tmp))
    folds = [fold_of(g, 5) for g in data.groups]
    assert set(folds) == set(range(5))
    assert fold_of("cluster-a", 5) == fold_of("cluster-a", 5)  # copies of a cluster share a fold


def test_off_topic_stance_is_neutral():
    labels = {"on_topic": ["on_topic"], "stance": ["soutient", "conteste", "neutre"]}
    probs = {"on_topic": np.array([[0.0], [1.0]]), "stance": np.array([[0.8, 0.1, 0.1], [0.8, 0.1, 0.1]])}
    out = compose_stance(probs, labels)
    assert out["stance"][0].tolist() == [0.0, 0.0, 1.0] and out["stance"][1].tolist() == [0.8, 0.1, 0.1]


def test_classify_writes_each_article_once_per_version(trained, tmp_path):
    settings, report = trained
    db = tmp_path / "veille.duckdb"
    shutil.copy(settings["store.path"], db)
    student = load_student(settings["distill.model_dir"], "cpu")
    with open_store(db) as store:
        first = classify_pending(store, student, "run-1", ["fr"], settings["distill.model_dir"])
        n_fr = store.scalar("SELECT count(*) FROM articles WHERE language = 'fr'")
        assert first["articles"] == n_fr > 0
        rows = store.query("SELECT * FROM predictions")
        assert len(rows) == n_fr
        assert {r["model_version"] for r in rows} == {report["version"]} and {r["run_id"] for r in rows} == {"run-1"}
        assert {r["model_name"] for r in rows} == {"veille-student"}
        for r in rows:
            assert 0 <= r["on_topic_prob"] <= 1
            for head in ("stance", "tone_openai", "tone_deepseek"):
                probs = dict(r[f"{head}_probs"])
                assert sum(probs.values()) == pytest.approx(1, abs=1e-5) and r[head] == max(probs, key=probs.get)
        assert classify_pending(store, student, "run-2", ["fr"])["articles"] == 0  # idempotent
        # an article whose text changed (re-extraction) is scored again, the others are not
        store.con.execute("UPDATE articles SET content_sha256 = 'changed' WHERE article_id = ?", [rows[0]["article_id"]])
        assert classify_pending(store, student, "run-3", ["fr"])["articles"] == 1
        assert store.scalar("SELECT run_id FROM predictions WHERE article_id = ?", [rows[0]["article_id"]]) == "run-3"
        reg = store.query("SELECT * FROM student_models")
        assert [r["model_version"] for r in reg] == [report["version"]] and reg[0]["train_data_hash"] == report["data_hash"]


def test_classify_command_records_a_run(trained, tmp_path):
    settings, report = trained
    db = tmp_path / "veille.duckdb"
    shutil.copy(settings["store.path"], db)
    local = tiny_settings(tmp_path, f"distill.model_dir={settings['distill.model_dir']}")
    first = run_classify(local)
    second = run_classify(local)
    assert first["articles"] > 0 and second["articles"] == 0
    with open_store(db, read_only=True) as store:
        runs = {r["run_id"]: r for r in store.query("SELECT * FROM runs WHERE command = 'classify'")}
        assert set(runs) == {first["run_id"], second["run_id"]}
        assert runs[first["run_id"]]["status"] == "ok" and dict(runs[first["run_id"]]["counts"])["classified"] == first["articles"]
        assert store.scalar("SELECT count(DISTINCT run_id) FROM predictions") == 1


def test_nightly_stage_trains_when_missing_then_only_scores(teacher_db, tmp_path):
    tmp, _ = teacher_db
    db = tmp_path / "veille.duckdb"
    shutil.copy(tmp / "veille.duckdb", db)
    settings = tiny_settings(tmp_path)
    with open_store(db) as store:
        counts, version = classify_stage(store, settings, TOPIC, "night-1")
        assert counts["student_trained"] == 1 and counts["classified"] > 0 and version.startswith("s-")
        counts, again = classify_stage(store, settings, TOPIC, "night-2")
        assert counts == {"student_trained": 0, "student_retrained": 0, "student_stale": 0, "classified": 0}
        assert again == version


def test_too_little_teacher_data_is_a_clear_skip(tmp_path):
    build_teacher_db(tmp_path / "veille.duckdb", analyse=False)
    settings = tiny_settings(tmp_path)
    with open_store(settings["store.path"]) as store:
        with pytest.raises(ModelError) as err:
            train_student(store, settings.section("distill"), TOPIC, ["fr"], settings["distill.model_dir"])
        assert err.value.code == "E530" and "stance (0)" in err.value.message
        counts, version = classify_stage(store, settings, TOPIC, "night")
    assert counts["classified"] == 0 and version.startswith("none: Not enough teacher-labelled")
    assert not settings.path("distill.model_dir").exists()


def test_missing_or_corrupt_model_folder_is_a_model_error(trained, tmp_path):
    settings, _ = trained
    with pytest.raises(ModelError) as err:
        load_student(tmp_path / "nothing", "cpu")
    assert err.value.code == "E512"
    broken = tmp_path / "broken"
    shutil.copytree(settings["distill.model_dir"], broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelError) as err:
        load_student(broken, "cpu")
    assert err.value.code == "E515"


def test_aggregation_is_the_teachers_rule():
    teacher = pytest.importorskip("pipeline.nlp.aggregate")
    from pipeline.distill.units import aggregate, teacher_min_evidence

    rng = np.random.default_rng(0)
    labels = ["soutient", "conteste", "neutre"]
    for k in [0, 1, 2, 5, 30] * 20:
        probs = rng.dirichlet([0.6, 0.6, 0.6], size=k) if k else np.zeros((0, 3))
        label, want, _ = teacher.aggregate(probs, labels, "soutient", "conteste", "neutre")
        got = aggregate(probs, labels, "soutient", "conteste", min_evidence=teacher_min_evidence())
        assert np.allclose(got, [want[x] for x in labels], atol=1e-3)
        assert labels[int(np.argmax(got))] == label or abs(sorted(got)[-1] - sorted(got)[-2]) < 1e-3


def test_negation_marks_the_words_in_its_scope():
    from pipeline.distill.text import FastTokenizer, negation_flags, words_of

    words = words_of("Rien ne prouve que DeepSeek a copié. OpenAI n'a aucune preuve, dit-il")
    marked = [w for w, f in zip(words, negation_flags(words)) if f]
    # four words after a negator, a full stop or a comma closes the scope; the elision does not
    assert marked == ["prouve", "que", "deepseek", "a", "a", "preuve"]
    from tokenizers import Tokenizer
    from pipeline.distill.text import train_tokenizer

    hf = train_tokenizer(["Rien ne prouve que DeepSeek a copié. OpenAI accuse."] * 3, 200, 64)
    plain, neg = FastTokenizer(hf, 64), FastTokenizer(Tokenizer.from_str(hf.to_str()), 64, negation=True)
    text = "Rien ne prouve que DeepSeek a copié."
    a, b = plain.encode_ids([text])[0], neg.encode_ids([text])[0]
    v = hf.get_vocab_size()
    assert len(a) == len(b) and any(y == x + v for x, y in zip(a, b)) and all(y in (x, x + v) for x, y in zip(a, b))
    assert neg.fresh(negation=False).encode_ids([text])[0] == a
    expected = []  # exactly the sub-words of the flagged words are moved
    for w, flag in zip(words_of(text), negation_flags(words_of(text))):
        ids = plain.encode_ids([w])[0]
        expected += [i + v for i in ids] if flag else ids
    assert b == expected


def test_sentence_units_are_the_teachers_sentences():
    # The student re-implements the analysis' boundary rule (pipeline/nlp/components.py) as a regex;
    # both must cut the same sentences, French typography included: a space before the closing
    # guillemet (« … elle. » Le chercheur), quotes that close without a full stop, abbreviations.
    import spacy

    import pipeline.nlp.components  # noqa: F401  (registers veille_sentences)
    from pipeline.distill.text import split_units

    nlp = spacy.blank("fr")
    nlp.add_pipe("veille_sentences")
    texts = ["« OpenAI s'offusque qu'on se serve chez elle. » Le chercheur rappelle que c'est banal.",
             "Il a dit : « C'est fini ! » Puis il est parti. M. Altman répond.",
             "« Nous n'avons rien volé », assure-t-il. Selon lui, « la preuve manque. » D'après elle, non.",
             "Le titre\n\nUn paragraphe. Un autre ? « Oui. » — Non.",
             "Elle cite l'« accusation » sans plus. Fin du texte."]
    for text in texts:
        teacher = [(s.start_char, s.end_char) for s in nlp(text).sents]
        teacher = [(a, a + len(text[a:b].rstrip())) for a, b in teacher if text[a:b].strip()]
        assert split_units(text, 0) == teacher, text


def test_sentences_of_fields_the_teacher_did_not_score_are_only_read():
    from pipeline.distill.data import compose_input
    from pipeline.distill.units import units_of

    text, bounds = compose_input("OpenAI accuse DeepSeek de copie", "Le texte principal dit autre chose ici.", "")
    assert text.startswith("OpenAI accuse") and [b[0] for b in bounds] == ["title", "text"]
    units, _, scored = units_of([text], 3, [bounds], ["text"])
    assert units == ["OpenAI accuse DeepSeek de copie", "Le texte principal dit autre chose ici."]
    assert scored == [False, True]
    assert units_of([text], 3, [bounds], ["title", "lead", "text"])[2] == [True, True]
    assert units_of([text], 3)[2] == [True, True]  # no bounds: all main text


def test_aggregation_heads_learn_the_teachers_article_labels_from_held_out_outputs(teacher_db, tmp_path):
    # A teacher whose article stance is not the a-priori rule (like the real one, whose learnt heads
    # read the framing): the margin of its mean sentence probabilities, cut at its terciles.
    tmp, _ = teacher_db
    shutil.copy(tmp / "veille.duckdb", tmp_path / "veille.duckdb")
    settings = tiny_settings(tmp_path, "distill.cv_folds=3", "distill.epochs=6", "distill.dim=64", "distill.hidden=128",
                             "distill.vocab_size=4000")
    with open_store(settings["store.path"]) as store:
        store.con.execute("""
            WITH m AS (SELECT article_id, avg(probs['soutient']) - avg(probs['conteste']) AS d FROM annotations
                       WHERE scope = 'sentence' AND task = 'stance' GROUP BY article_id),
                 q AS (SELECT quantile_cont(d, 0.33) AS lo, quantile_cont(d, 0.67) AS hi FROM m),
                 l AS (SELECT article_id, CASE WHEN d > hi THEN 'soutient' WHEN d < lo THEN 'conteste'
                                               ELSE 'neutre' END AS label FROM m, q)
            UPDATE annotations SET label = l.label,
                   probs = MAP {'soutient': CASE WHEN l.label = 'soutient' THEN 0.8 ELSE 0.1 END,
                                'conteste': CASE WHEN l.label = 'conteste' THEN 0.8 ELSE 0.1 END,
                                'neutre': CASE WHEN l.label = 'neutre' THEN 0.8 ELSE 0.1 END}
            FROM l WHERE annotations.article_id = l.article_id AND scope = 'article' AND task = 'stance'""")
        report = train_student(store, settings.section("distill"), TOPIC, ["fr"], settings["distill.model_dir"])
    heads = report["aggregation_heads"]["heads"]
    assert heads["stance"]["learnt"] and min(heads["stance"]["labels"]) >= 10
    folder = settings.path("distill.model_dir")
    config = json.loads((folder / "config.json").read_text())
    spec = config["article_heads"]["stance"]
    assert np.asarray(spec["W"]).shape == (len(spec["mean"]), 3)
    # The network also learns each output head per whole article (document heads, on by default);
    # their three log-probabilities close each head's aggregation features.
    from pipeline.distill.units import stance_features
    assert config["document_heads"] == ["stance", "tone_openai", "tone_deepseek"]
    labels = ["soutient", "conteste", "neutre"]
    # The stance head also reads the two tone document heads and four sentiment statistics (choice 13).
    assert config["stance_context"] == ["documents", "sentiment"]
    assert len(spec["mean"]) == len(stance_features(np.full((2, 3), 1 / 3), np.full(3, 1 / 3), labels)) + 3 + 6 + 4
    # Held out, the learnt aggregation follows this teacher better than the rule does.
    by_rule = report["aggregation_heads"]["held_out_by_rule"]["stance"]["macro_f1_vs_teacher"]
    learnt = report["agreement"]["student_held_out"]["stance"]["macro_f1_vs_teacher"]
    assert learnt > by_rule + 0.1, (learnt, by_rule, heads["stance"], report["agreement"])
    # At inference the stance comes from the head; without it, from the rule over the same sentences.
    from dataclasses import replace

    from pipeline.distill.infer import article_probabilities
    student = load_student(folder, "cpu")
    _, data = _data(settings)
    texts = data.texts[:30]
    with_heads = article_probabilities(student.model, student.cfg, student.tokenizer, texts, student.device)
    rule = article_probabilities(student.model, replace(student.cfg, article_heads={}), student.tokenizer, texts,
                                 student.device)
    assert np.allclose(with_heads["on_topic"], rule["on_topic"])
    assert not np.allclose(with_heads["stance"], rule["stance"]) and np.allclose(with_heads["stance"].sum(1), 1, atol=1e-5)
    # A student with learnt heads still loads and predicts without the analysis (GPU machines: no spaCy).
    import subprocess
    import sys
    code = ("import sys; from pipeline.distill import load_student; s = load_student(sys.argv[1], 'cpu'); "
            "p = s.probabilities(['OpenAI accuse DeepSeek. Rien ne prouve une distillation.']); "
            "bad = [m for m in sys.modules if m.startswith(('pipeline.nlp', 'spacy', 'duckdb'))]; "
            "assert not bad, bad; print(p['stance'].shape)")
    out = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True)
    assert out.returncode == 0 and "(1, 3)" in out.stdout, out.stderr[-2000:]


def test_stand_in_teacher_with_too_few_contested_articles_keeps_the_rule(trained):
    _, report = trained
    stance = report["aggregation_heads"]["heads"]["stance"]
    assert not stance["learnt"] and "needs" in stance["why"]


def test_aggregation_heads_need_enough_teacher_labels():
    from pipeline.distill.aggregation import fit_aggregation_heads

    rng = np.random.default_rng(1)
    labels = {"stance": ["soutient", "conteste", "neutre"], "tone_openai": ["négatif", "neutre", "positif"]}
    unit_labels = {"stance": labels["stance"], "sentiment": labels["tone_openai"]}
    X = rng.normal(size=(90, 4))
    y = (X[:, :3]).argmax(1)
    T = np.eye(3)[y]
    T[:5] = np.nan  # not analysed by the teacher
    X_tone = X.copy()
    X_tone[10:] = np.nan  # only 10 articles name the actor: too few to learn from
    specs, report, held = fit_aggregation_heads({"stance": X, "tone_openai": X_tone},
                                                {"stance": T, "tone_openai": T}, [f"c{i}" for i in range(90)],
                                                labels, unit_labels)
    assert set(specs) == {"stance"} and report["stance"]["learnt"] and not report["tone_openai"]["learnt"]
    assert report["stance"]["cv_macro_f1"] > 0.8  # the label is a linear function of the features
    assert np.isnan(held["stance"][:5]).all() and not np.isnan(held["stance"][5:]).any()
    assert (held["stance"][5:].argmax(1) == y[5:]).mean() > 0.8


def test_document_heads_learn_the_article_labels_and_only_from_article_rows():
    from pipeline.distill.data import TeacherData, training_set
    from pipeline.distill.model import StudentConfig

    cfg = StudentConfig(document_heads=["stance"])
    assert list(cfg.network_labels()) == ["on_topic", "unit_sentiment", "unit_stance", "doc_stance"]
    assert "doc_stance" not in StudentConfig().network_labels()  # students trained before: none
    stance = np.array([[0.7, 0.2, 0.1], [np.nan] * 3])
    articles = TeacherData(["a", "b"], ["A.", "B."], ["a", "b"], ["", ""],
                           {"on_topic": np.array([[1.0], [0.0]]), "stance": stance})
    units = TeacherData(["a"], ["Une phrase."], ["a"], [""], {"unit_stance": np.array([[0.1, 0.1, 0.8]]),
                                                              "unit_sentiment": np.array([[0.2, 0.6, 0.2]])})
    ts = training_set(articles, units, list(cfg.network_labels()))
    assert np.allclose(ts.targets["doc_stance"][0], [0.7, 0.2, 0.1])
    assert np.isnan(ts.targets["doc_stance"][1:]).all()  # unanalysed article, then the sentence row
    assert np.isnan(ts.targets["unit_stance"][:2]).all() and np.allclose(ts.targets["unit_stance"][2], [0.1, 0.1, 0.8])


def test_stance_head_reads_the_tone_document_heads_and_the_sentiment_only_when_configured():
    from pipeline.distill.model import STANCE_LABELS, TONE_LABELS
    from pipeline.distill.units import article_heads

    units = ["OpenAI accuse DeepSeek.", "DeepSeek dément.", "Un autre article."]
    stance = np.array([[0.6, 0.2, 0.2], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6]], dtype=np.float32)
    senti = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.6, 0.2]], dtype=np.float32)  # négatif neutre positif
    document = {"stance": np.full((2, 3), 1 / 3), "tone_openai": np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]),
                "tone_deepseek": np.array([[0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])}
    args = (2, [0, 0, 1], units, {"unit_stance": stance, "unit_sentiment": senti},
            {"stance": list(STANCE_LABELS), "tone_openai": list(TONE_LABELS)},
            {"stance": list(STANCE_LABELS), "sentiment": list(TONE_LABELS)}, {"openai": ["OpenAI"]})
    plain, context = {}, {}
    article_heads(*args, features=plain, document=document)
    article_heads(*args, features=context, document=document, stance_context=["documents", "sentiment"])
    assert context["stance"].shape[1] == plain["stance"].shape[1] + 6 + 4
    assert np.allclose(context["stance"][:, :plain["stance"].shape[1]], plain["stance"])  # old features first
    extra = context["stance"][0, plain["stance"].shape[1]:]
    # Sorted head names: tone_deepseek then tone_openai, as log-probabilities (never the stance head again).
    assert np.allclose(extra[:6], np.log(np.r_[document["tone_deepseek"][0], document["tone_openai"][0]] + 1e-4))
    # Sentiment of the article's two sentences: mean positif, mean négatif, then the sums / sqrt(n + 1).
    assert np.allclose(extra[6:], [0.35, 0.4, 0.7 / np.sqrt(3), 0.8 / np.sqrt(3)], atol=1e-6)
    # The tone features do not change.
    assert np.allclose(context["tone_openai"], plain["tone_openai"], equal_nan=True)
