"""The nightly run's classify stage and the student coverage queries, on the real database built by a
nightly run over the corpus (fixture ``nightly_run``), checked against the corpus gold and against
the predictions recomputed in Python."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from pipeline.report import run_query
from pipeline.store import open_store


@pytest.fixture(scope="module")
def db(nightly_run, gold):
    """(settings, run result, article rows joined with predictions and gold)."""
    settings, result = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        rows = store.query(
            "SELECT a.article_id, a.url, a.outlet_id, a.published_at, a.is_relevant, "
            "coalesce(a.is_syndicated_copy, false) AS is_copy, p.on_topic_prob, p.stance, p.tone_openai, "
            "p.tone_deepseek, p.model_version, p.run_id FROM articles a LEFT JOIN predictions p USING (article_id) "
            "WHERE a.language = 'fr'")
    by_url = {g["url"]: g for g in gold}
    for r in rows:
        r["gold"] = by_url.get(r["url"])
    return settings, result, rows


def _q(settings, name, **params):
    with open_store(settings["store.path"], read_only=True) as store:
        cols, rows = run_query(store.con, name, {k: str(v) for k, v in params.items()})
    return [dict(zip(cols, r)) for r in rows]


def test_nightly_trains_a_student_and_scores_every_french_article(db):
    settings, result, rows = db
    config = json.loads((settings.path("distill.model_dir") / "config.json").read_text())
    assert result.versions["student"] == config["version"]
    assert result.counts["student_trained"] == 1 and result.counts["classified"] == len(rows) > 100
    assert {r["model_version"] for r in rows} == {config["version"]}
    with open_store(settings["store.path"], read_only=True) as store:
        nightly_runs = {r["run_id"] for r in store.query("SELECT run_id FROM runs WHERE command IN ('nightly', 'reprocess')")}
        registry = store.query("SELECT * FROM student_models")
    assert {r["run_id"] for r in rows} <= nightly_runs and result.run_id in {r["run_id"] for r in rows}
    assert [r["model_version"] for r in registry] == [config["version"]]
    assert config["teacher_id"].startswith("analysis ") and "stance:accusation" in config["teacher_id"]
    # the nightly handed its analysis version to the classify stage: the student's teacher identity
    assert config["teacher_version"] == result.versions["nlp"]
    assert result.counts["student_retrained"] == 0 and result.counts["student_stale"] == 0
    events = [json.loads(line) for line in open(result.log_path, encoding="utf-8")]
    assert any(e["event"] == "student_model" and config["version"] in e["message"] for e in events)
    card = (settings.path("distill.model_dir") / "README.md").read_text()
    assert config["train_data_hash"] in card and "Macro-F1 against the corpus gold" in card


def test_student_on_topic_follows_the_gold(db):
    _, _, rows = db
    judged = [r for r in rows if r["gold"] is not None]
    on = [r["on_topic_prob"] >= 0.5 for r in judged if r["gold"]["on_topic"]]
    off = [r["on_topic_prob"] >= 0.5 for r in judged if not r["gold"]["on_topic"]]
    assert sum(on) / len(on) >= 0.9  # recall of the gold's on-topic articles
    assert sum(off) / len(off) <= 0.5


def test_student_coverage_by_day_counts_and_shares(db, gold):
    settings, _, rows = db
    out = _q(settings, "student_coverage")
    version = rows[0]["model_version"]
    paris = ZoneInfo("Europe/Paris")
    want: Counter = Counter()
    want_on: Counter = Counter()
    want_on_unique: Counter = Counter()
    for r in rows:
        if r["published_at"] is None:
            continue
        key = (r["published_at"].astimezone(paris).date(), r["outlet_id"])
        want[key] += 1
        want_on[key] += r["on_topic_prob"] >= 0.5
        want_on_unique[key] += r["on_topic_prob"] >= 0.5 and not r["is_copy"]
    got = {(o["period_start"], o["outlet_id"]): o for o in out}
    assert set(got) == set(want)
    for key, o in got.items():
        assert o["articles"] == want[key] and o["scored"] == want[key]
        assert o["on_topic"] == want_on[key] and o["on_topic_without_copies"] == want_on_unique[key]
        assert o["on_topic_share"] == pytest.approx(want_on[key] / want[key], abs=1e-4)
        assert o["on_topic_without_copies"] <= o["on_topic"] and o["model_version"] == version
        assert 0 <= o["on_topic_expected"] <= o["articles"]
    # against the gold: the outlet volumes per day are the corpus' (dates of outlets on Paris time)
    gold_days = Counter((date.fromisoformat(g["published_date"]), g["outlet"]) for g in gold
                        if g["url"] in {r["url"] for r in rows} and g["outlet"] != "le-nordet")
    same = sum(got.get(k, {}).get("articles") == n for k, n in gold_days.items())
    assert same / len(gold_days) >= 0.9


def test_student_coverage_by_week_adds_up_the_days(db):
    settings, _, _ = db
    days = _q(settings, "student_coverage", period="day")
    weeks = _q(settings, "student_coverage", period="week")
    assert all(w["period_start"].weekday() == 0 for w in weeks)
    for col in ("articles", "on_topic", "on_topic_without_copies", "teacher_on_topic"):
        per_outlet_days, per_outlet_weeks = Counter(), Counter()
        for d in days:
            per_outlet_days[d["outlet_id"]] += d[col]
        for w in weeks:
            per_outlet_weeks[w["outlet_id"]] += w[col]
        assert per_outlet_days == per_outlet_weeks
    one = _q(settings, "student_coverage", period="week", outlet="apc")
    assert one and {w["outlet_id"] for w in one} == {"apc"}


def test_weekly_on_topic_series_matches_the_gold_shape(db):
    """Coverage over time: the student's weekly on-topic counts track the gold's."""
    settings, _, rows = db
    weeks = _q(settings, "student_coverage", period="week")
    student: Counter = Counter()
    for w in weeks:
        student[w["period_start"]] += w["on_topic"]
    gold_weeks: Counter = Counter()
    for r in rows:
        if r["gold"] and r["gold"]["on_topic"] and r["published_at"] is not None:
            day = r["published_at"].astimezone(ZoneInfo("Europe/Paris")).date()
            gold_weeks[day - timedelta(days=day.weekday())] += 1
    keys = sorted(set(student) | set(gold_weeks))
    s = np.array([student[k] for k in keys], dtype=float)
    g = np.array([gold_weeks[k] for k in keys], dtype=float)
    assert np.corrcoef(s, g)[0, 1] >= 0.9


def test_student_shares_sum_to_one_per_period_and_head(db):
    settings, _, rows = db
    out = _q(settings, "student_shares", period="week", include_copies="true")
    assert out
    groups: dict = {}
    for o in out:
        groups.setdefault((o["period_start"], o["head"]), []).append(o)
    for (period, head), items in groups.items():
        assert sum(i["labelled"] for i in items) == items[0]["articles"]
        assert sum(i["share"] for i in items) == pytest.approx(1, abs=2e-3)
        assert sum(i["soft_share"] for i in items) == pytest.approx(1, abs=2e-3)
    # recomputed from the predictions: stance counts over the whole window
    want = Counter(r["stance"] for r in rows if r["on_topic_prob"] >= 0.5 and r["published_at"] is not None)
    got = Counter()
    for o in out:
        if o["head"] == "stance":
            got[o["label"]] += o["labelled"]
    assert {k: v for k, v in got.items() if v} == dict(want)


def test_teacher_and_student_side_by_side(db):
    settings, _, rows = db
    out = _q(settings, "teacher_vs_student", period="month", include_copies="true")
    heads = {o["head"] for o in out}
    assert {"on_topic", "stance", "tone_openai", "tone_deepseek"} <= heads
    on = [o for o in out if o["head"] == "on_topic" and o["label"] == "true"]
    months: Counter = Counter()
    student_months: Counter = Counter()
    for r in rows:
        if r["published_at"] is None:
            continue
        m = datetime(*r["published_at"].astimezone(ZoneInfo("Europe/Paris")).timetuple()[:2], 1).date()
        months[m] += bool(r["is_relevant"])
        student_months[m] += r["on_topic_prob"] >= 0.5
    for o in on:
        assert o["teacher_articles"] == months[o["period_start"]]
        assert o["student_articles"] == student_months[o["period_start"]]
    for o in out:
        assert o["agreement"] is None or 0 <= o["agreement"] <= 1
        assert o["both_labelled"] >= 0
    # on topic, student and teacher agree on most articles (the student imitates the teacher's filter)
    on_rows = [o for o in out if o["head"] == "on_topic"]
    total = sum(o["both_labelled"] * o["agreement"] for o in on_rows if o["label"] == "true" and o["agreement"] is not None)
    n = sum(o["both_labelled"] for o in on_rows if o["label"] == "true")
    assert total / n >= 0.9
