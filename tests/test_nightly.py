"""The nightly run end to end on the bundled corpus, through the real replay server."""

from __future__ import annotations

from datetime import datetime

from pipeline.nightly import run_nightly
from pipeline.store import open_store

SKIP_SPECIAL = {"missing_404", "empty_body"}


def _expected(gold):
    """Gold pages the run must turn into stored articles."""
    return [g for g in gold if g["served"] and not SKIP_SPECIAL & set(g["special"])]


def test_every_served_article_is_stored(nightly_run, gold):
    settings, result = nightly_run
    assert result.status == "ok"
    with open_store(settings["store.path"], read_only=True) as store:
        urls = {r["url"] for r in store.query("SELECT url FROM articles")}
        failures = {r["item"]: r["reason"] for r in store.query("SELECT item, reason FROM failures")}
    missing = [g["url"] for g in _expected(gold) if g["url"] not in urls and failures.get(g["url"]) != "duplicate"]
    assert missing == []
    for g in gold:
        if "missing_404" in g["special"]:
            assert failures.get(g["url"]) == "http_error"
        if "empty_body" in g["special"]:
            assert failures.get(g["url"]) == "empty_text"


def test_publication_dates_match_the_corpus(nightly_run, gold):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        dates = {r["url"]: r["published_at"] for r in store.query("SELECT url, published_at FROM articles")}
    dated = [g for g in _expected(gold) if g["url"] in dates]
    hits = 0
    for g in dated:
        got = dates[g["url"]]
        if got is None:
            continue
        local = got.astimezone(datetime.fromisoformat(g["published"]).tzinfo)
        hits += local.date().isoformat() == g["published_date"]
    assert hits / len(dated) >= 0.9
    assert all(d is None or d <= datetime.now(d.tzinfo) for d in dates.values())  # never in the future


def test_actors_found_in_on_topic_articles(nightly_run, gold):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        rows = store.query("SELECT a.url, list(DISTINCT m.actor_id) AS actors FROM articles a "
                           "JOIN mentions m USING (article_id) WHERE m.actor_id IS NOT NULL GROUP BY a.url")
        analysed = {r["url"] for r in store.query("SELECT url FROM articles WHERE nlp_version IS NOT NULL")}
    found = {r["url"]: set(r["actors"]) for r in rows}
    # only analysed (relevant) articles get entities; relevance recall is tested separately
    expected = [g for g in _expected(gold) if g["on_topic"] and g["language"] == "fr"
                and "paywall" not in g["special"] and g["url"] in analysed]
    assert len(expected) >= 0.9 * sum(1 for g in _expected(gold) if g["on_topic"] and g["language"] == "fr")
    # canonical actors of the topic file; fictional people (person:...) are not linked to actor ids
    actors = {g["url"]: {a for a in g["actors"] if not a.startswith("person:")} for g in expected}
    wanted = sum(len(a) for a in actors.values())
    got = sum(len(a & found.get(url, set())) for url, a in actors.items())
    assert got / wanted >= 0.9
    assert all({"openai", "deepseek"} & found.get(g["url"], set()) for g in expected)


def test_on_topic_articles_are_analysed_off_topic_mostly_not(nightly_run, gold):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        relevant = {r["url"]: r["is_relevant"] for r in store.query("SELECT url, is_relevant FROM articles")}
    on = [relevant[g["url"]] for g in gold if g["url"] in relevant and g["on_topic"] and g["language"] == "fr"]
    off = [relevant[g["url"]] for g in gold if g["url"] in relevant and not g["on_topic"]]
    assert sum(on) / len(on) >= 0.95
    assert sum(off) / len(off) <= 0.5


def test_second_run_changes_nothing(nightly_run, replay):
    settings, first = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        before = store.counts()
    second = run_nightly(settings)
    with open_store(settings["store.path"], read_only=True) as store:
        after = store.counts()
        assert store.scalar("SELECT count(*) FROM failures WHERE run_id = ?", [second.run_id]) == 0
    assert second.counts["fetched"] == 0 and second.counts["new_urls"] == 0
    before.pop("runs"), after.pop("runs"), before.pop("source_cursors"), after.pop("source_cursors")
    before.pop("failures"), after.pop("failures")
    assert before == after


def test_reprocess_from_archive_gives_the_same_articles(nightly_run, tmp_path):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        before = store.query("SELECT article_id, title, text FROM articles ORDER BY article_id")
    result = run_nightly(settings, command="reprocess", reprocess=True)
    assert "fetched" not in result.counts  # no network at all
    with open_store(settings["store.path"], read_only=True) as store:
        after = store.query("SELECT article_id, title, text FROM articles ORDER BY article_id")
        runs = {r["run_id"] for r in store.query("SELECT DISTINCT run_id FROM articles")}
    assert after == before and runs == {result.run_id}
