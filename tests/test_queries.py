"""The analysts' query library on the corpus database, checked against the corpus gold.

Two databases: the real one of the `nightly_run` fixture (every query runs on it; coverage,
failures and co-occurrence are checked against the gold), and a copy where the gold itself was
written into the analysis tables (stance/tone annotations, claims, mentions, syndication
clusters): there each query's result must equal the same figure computed in Python from the
gold, which checks the SQL independently of how good the models are.
"""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import QueryError
from pipeline.report import list_queries, run_query
from pipeline.store import open_store
from pipeline.store.derived import refresh_derived

PARIS = ZoneInfo("Europe/Paris")
SKIP = {"missing_404", "empty_body"}


def q(con, name: str, **params) -> list[dict]:
    columns, rows = run_query(con, name, {k: str(v) for k, v in params.items()})
    return [dict(zip(columns, r)) for r in rows]


def paris_day(g: dict) -> date:
    return datetime.fromisoformat(g["published"]).astimezone(PARIS).date()


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


@pytest.fixture(scope="module")
def db(nightly_run):
    settings, _ = nightly_run
    with open_store(settings["store.path"], read_only=True) as store:
        yield store.con


# -- every query, on the real corpus database ----------------------------------------------------

@pytest.mark.parametrize("name", sorted(list_queries()))
def test_every_query_runs_and_its_header_documents_its_columns(db, name):
    query = list_queries()[name]
    assert query.purpose and query.columns, f"{name}: header needs purpose and columns"
    assert query.sql.startswith("-- purpose:")
    columns, _ = run_query(db, name, {})
    header = query.columns.replace(",", " ").replace("(", " ").split()
    undocumented = [c for c in columns if c not in header]
    assert undocumented == [], f"{name}: columns missing from the header: {undocumented}"


def test_coverage_by_day_matches_the_gold(db, gold):
    rows = q(db, "coverage_by_day")
    dropped = {r[0] for r in db.execute("SELECT item FROM failures WHERE reason = 'duplicate'").fetchall()}
    expected = [g for g in gold if g["served"] and g["language"] == "fr" and not SKIP & set(g["special"])
                and g["url"] not in dropped]
    by_outlet = Counter(g["outlet"] for g in expected)
    got_outlet = Counter()
    for r in rows:
        got_outlet[r["outlet_id"]] += r["articles"]
    assert got_outlet == by_outlet
    cells = Counter((paris_day(g), g["outlet"]) for g in expected)
    got = Counter({(r["day"], r["outlet_id"]): r["articles"] for r in rows})
    assert sum((cells & got).values()) / sum(cells.values()) >= 0.9  # dates extracted right
    for r in rows:  # normalised columns are consistent with the absolute ones
        assert r["outlet_articles"] == by_outlet[r["outlet_id"]]
        assert r["on_topic_share"] == pytest.approx(r["on_topic"] / r["articles"], abs=1e-4)
        assert r["on_topic_per_1000"] == pytest.approx(1000 * r["on_topic"] / r["outlet_articles"], abs=0.01)


def test_coverage_by_week_aggregates_the_days(db):
    days = q(db, "coverage_by_day")
    weeks = q(db, "coverage_by_week")
    agg = Counter()
    for r in days:
        agg[(monday(r["day"]), r["outlet_id"])] += r["on_topic"]
    assert {(r["week"], r["outlet_id"]): r["on_topic"] for r in weeks} == {k: v for k, v in agg.items()}
    share = defaultdict(float)
    for r in weeks:
        share[r["week"]] += r["share_of_week"] or 0
    assert all(v == pytest.approx(1.0, abs=1e-3) or v == 0 for v in share.values())


def test_failures_by_reason_match_the_corpus_traps(db, gold):
    first = db.execute("SELECT min(run_id) FROM runs").fetchone()[0]
    rows = q(db, "failures_by_reason", run_id=first)
    got = {(r["stage"], r["reason"]): r["failures"] for r in rows}
    specials = Counter(s for g in gold if g["served"] or "missing_404" in g["special"] for s in g["special"])
    assert got.get(("collect", "http_error"), 0) == specials["missing_404"]
    assert got.get(("extract", "empty_text"), 0) == specials["empty_body"]
    assert got.get(("extract", "not_french"), 0) == specials["english"]


def test_entity_cooccurrence_finds_the_gold_pairs(db, gold):
    rows = q(db, "entity_cooccurrence", limit=10)
    pairs = Counter()
    for g in gold:
        if g["served"] and g["on_topic"] and g["language"] == "fr" and not SKIP & set(g["special"]):
            actors = sorted({a for a in g["actors"] if not a.startswith("person:")})
            pairs.update(combinations(actors, 2))
    top_gold = {p for p, _ in pairs.most_common(10)}
    got = [(r["entity_a"], r["entity_b"]) for r in rows]
    assert got[0] == pairs.most_common(1)[0][0]
    assert len(set(got[:5]) & top_gold) >= 4


def test_outlet_health_on_the_clean_corpus_flags_nothing(db):
    rows = q(db, "outlet_health")
    with_articles = [r for r in rows if r["last_article_day"] is not None]
    assert with_articles and all(r["status"] in ("ok", "feed_errors") for r in with_articles), with_articles
    assert all(r["status"] == "no_articles" for r in rows if r["last_article_day"] is None)


def test_parameters_are_bound_never_spliced(db):
    assert q(db, "coverage_by_day", outlet="apc' OR '1'='1") == []
    assert q(db, "coverage_by_day", outlet="apc")  # the same parameter works for a real value
    with pytest.raises(QueryError) as e:
        run_query(db, "coverage_by_day", {"start_date": "not a date"})
    assert e.value.code == "E603"
    with pytest.raises(QueryError) as e:
        run_query(db, "stance_share", {"period": "fortnight"})
    assert e.value.code == "E604"
    with pytest.raises(QueryError) as e:
        run_query(db, "runs", {"nope": "1"})
    assert e.value.code == "E602"
    with pytest.raises(QueryError) as e:
        run_query(db, "no_such_query", {})
    assert e.value.code == "E601" and "outlet_health" in e.value.hint


# -- a copy of the database with the gold written into the analysis tables -----------------------

@pytest.fixture(scope="module")
def gold_db(nightly_run, gold, tmp_path_factory):
    settings, _ = nightly_run
    path = tmp_path_factory.mktemp("golddb") / "gold.duckdb"
    shutil.copy(settings["store.path"], path)
    store = open_store(path)
    con = store.con
    ids = {r[0]: r[1] for r in con.execute("SELECT url, article_id FROM articles").fetchall()}
    stored = [g for g in gold if g["url"] in ids]
    gid = {g["id"]: ids[g["url"]] for g in stored}
    for table in ("annotations", "claims", "mentions"):
        con.execute(f"DELETE FROM {table}")
    ann, claims, mentions = [], [], []
    for g in stored:
        aid = ids[g["url"]]
        base = {"article_id": aid, "model_name": "gold", "run_id": "gold", "probs": None}
        ann.append({**base, "task": "stance", "scope": "article", "target": "accusation", "field": "article",
                    "span_start": 0, "span_end": len(g["text"]), "label": g["stance"]})
        for actor in ("openai", "deepseek"):
            ann.append({**base, "task": "tone", "scope": "article", "target": actor, "field": "article",
                        "span_start": 0, "span_end": len(g["text"]), "label": g[f"tone_{actor}"]})
        for c in g["claims"]:
            claims.append({"article_id": aid, "field": "text", "content_start": c["start"], "content_end": c["end"],
                           "content": c["content"], "kind": c["kind"], "cue": c["cue"], "speaker_text": c["speaker"],
                           "speaker_id": c["speaker_id"], "speaker_resolution": "name", "model": "gold", "run_id": "gold"})
            # keyed by the claim's field and content span, as the analysis stage writes claim annotations
            ann.append({**base, "task": "stance", "scope": "claim", "target": "accusation", "field": "text",
                        "span_start": c["start"], "span_end": c["end"], "label": c["stance"]})
        for i, actor in enumerate(sorted(set(g["actors"]))):
            mentions.append({"article_id": aid, "field": "text", "start_char": i, "end_char": i + 1, "text": actor,
                             "label": "ORG", "actor_id": None if actor.startswith("person:") else actor,
                             "link_method": "gold", "model": "gold", "run_id": "gold"})
    store.upsert("annotations", ann)
    store.upsert("claims", claims)
    store.upsert("mentions", mentions)
    # gold dates and syndication clusters (the original's id; copies flagged)
    con.execute("UPDATE articles SET published_at = s.p, cluster_id = article_id, is_syndicated_copy = false "
                "FROM (SELECT unnest(?) AS id, unnest(?) AS p) s WHERE articles.article_id = s.id",
                [[ids[g["url"]] for g in stored], [datetime.fromisoformat(g["published"]) for g in stored]])
    copies = [(ids[g["url"]], gid[g["syndicated_from"]]) for g in stored if g["syndicated_from"] in gid]
    if copies:
        con.execute("UPDATE articles SET cluster_id = s.c, is_syndicated_copy = true "
                    "FROM (SELECT unnest(?) AS id, unnest(?) AS c) s WHERE articles.article_id = s.id",
                    [[a for a, _ in copies], [c for _, c in copies]])
    refresh_derived(store)  # written behind the pipeline's back: the derived keys, days and aggregates
    store.close()
    with open_store(path, read_only=True) as ro:
        yield ro.con, stored, ids, copies


def test_stance_share_equals_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    copy_ids = {a for a, _ in copies}
    for include_copies in (True, False):
        rows = q(con, "stance_share", on_topic_only="false", include_copies=str(include_copies).lower())
        expected = defaultdict(Counter)
        for g in stored:
            if include_copies or ids[g["url"]] not in copy_ids:
                expected[monday(paris_day(g))][g["stance"]] += 1
        assert {r["period_start"] for r in rows} == set(expected)
        for r in rows:
            e = expected[r["period_start"]]
            assert (r["soutient"], r["conteste"], r["neutre"]) == (e["soutient"], e["conteste"], e["neutre"])
            assert r["share_soutient"] + r["share_conteste"] + r["share_neutre"] == pytest.approx(1, abs=1e-3)


def test_tone_by_actor_equals_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    copy_ids = {a for a, _ in copies}
    rows = q(con, "tone_by_actor", on_topic_only="false", period="month")
    expected = defaultdict(Counter)
    for g in stored:
        if ids[g["url"]] in copy_ids:
            continue
        month = paris_day(g).replace(day=1)
        for actor in ("openai", "deepseek"):
            expected[(month, actor)][g[f"tone_{actor}"]] += 1
    got = {(r["period_start"], r["actor_id"]): r for r in rows}
    assert set(got) == set(expected)
    for key, e in expected.items():
        r = got[key]
        assert (r["negatif"], r["neutre"], r["positif"]) == (e["négatif"], e["neutre"], e["positif"])
        assert r["net_tone"] == pytest.approx((e["positif"] - e["négatif"]) / sum(e.values()), abs=1e-4)


def _gold_claims(stored, ids, copies):
    copy_ids = {a for a, _ in copies}
    return [(g, c) for g in stored if ids[g["url"]] not in copy_ids for c in g["claims"]]


def test_top_speakers_equal_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    claims = _gold_claims(stored, ids, copies)
    n = Counter(c["speaker_id"] for _, c in claims)
    articles = defaultdict(set)
    outlets = defaultdict(set)
    for g, c in claims:
        articles[c["speaker_id"]].add(g["id"])
        outlets[c["speaker_id"]].add(g["outlet"])
    rows = q(con, "top_speakers", on_topic_only="false", limit=1000, examples=2)
    assert {r["speaker_id"]: r["claims"] for r in rows} == dict(n)
    assert [r["claims"] for r in rows] == sorted(n.values(), reverse=True)
    for r in rows:
        assert r["articles"] == len(articles[r["speaker_id"]]) and r["outlets"] == len(outlets[r["speaker_id"]])
        assert 1 <= len(r["example_claims"]) <= 2
        assert all(x in {c["content"] for _, c in claims if c["speaker_id"] == r["speaker_id"]} for x in r["example_claims"])


def test_claims_by_actor_with_stance_equal_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    expected = defaultdict(Counter)
    for _, c in _gold_claims(stored, ids, copies):
        expected[c["speaker_id"]][c["stance"]] += 1
    rows = q(con, "claims_by_actor", on_topic_only="false")
    got = {r["speaker_id"]: (r["soutient"], r["conteste"], r["neutre"], r["unlabelled"]) for r in rows}
    assert got == {s: (e["soutient"], e["conteste"], e["neutre"], 0) for s, e in expected.items()}
    one = q(con, "claims_by_actor", on_topic_only="false", actor="openai")
    assert [r["speaker_id"] for r in one] == (["openai"] if expected["openai"] else [])
    listed = q(con, "claims_list", on_topic_only="false", limit=100000)
    assert Counter(r["claim_stance"] for r in listed) == sum(expected.values(), Counter())


def test_syndication_clusters_equal_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    groups = defaultdict(set)
    for copy, original in copies:
        groups[original] |= {original, copy}
    rows = q(con, "syndication_clusters")
    assert {r["cluster_id"]: set(r["article_ids"]) for r in rows} == dict(groups)
    for r in rows:
        assert r["members"] == len(groups[r["cluster_id"]]) and r["article_ids"][0] == r["cluster_id"]


def test_entity_cooccurrence_equals_the_gold(gold_db):
    con, stored, ids, copies = gold_db
    copy_ids = {a for a, _ in copies}
    pairs = Counter()
    for g in stored:
        if ids[g["url"]] not in copy_ids:
            pairs.update(combinations(sorted({a for a in g["actors"] if not a.startswith("person:")}), 2))
    rows = q(con, "entity_cooccurrence", on_topic_only="false", min_articles=1, limit=100000)
    assert {(r["entity_a"], r["entity_b"]): r["articles"] for r in rows} == dict(pairs)


# -- outlet health: a broken scraper is flagged, a drop in attention or a quiet day is not --------

def _latest_active(con, n: int = 2) -> list[str]:
    """The outlets with the most articles in the last 30 days of the corpus."""
    return [r[0] for r in con.execute(
        "SELECT outlet_id FROM articles WHERE published_at > (SELECT max(published_at) FROM articles) - INTERVAL 30 DAY "
        "GROUP BY outlet_id ORDER BY count(*) DESC, outlet_id LIMIT ?", [n]).fetchall()]


def test_outlet_health_flags_a_broken_scraper(nightly_copy):
    con = nightly_copy.con
    broken = _latest_active(con, 1)[0]
    last = con.execute("SELECT max(published_at) FROM articles").fetchone()[0]
    # the scraper broke 25 days before the end: none of its articles (any topic) after that
    con.execute("DELETE FROM articles WHERE outlet_id = ? AND published_at > ?", [broken, last - timedelta(days=25)])
    rows = {r["outlet_id"]: r for r in q(con, "outlet_health")}
    assert rows[broken]["status"] == "silent", rows[broken]
    assert rows[broken]["expected_since"] >= 5 and rows[broken]["p_silence"] < 0.01
    assert [o for o, r in rows.items() if r["status"] == "silent"] == [broken]


def test_outlet_health_ignores_a_drop_in_attention_and_a_quiet_period(nightly_copy):
    con = nightly_copy.con
    last = con.execute("SELECT max(published_at) FROM articles").fetchone()[0]
    cut = last - timedelta(days=25)
    # attention drop: an outlet stops covering the topic but keeps publishing on other subjects
    outlet = con.execute(
        "SELECT outlet_id FROM articles WHERE NOT is_relevant AND published_at > ? GROUP BY outlet_id "
        "ORDER BY max(published_at) DESC LIMIT 1", [last - timedelta(days=5)]).fetchone()
    if outlet:
        con.execute("DELETE FROM articles WHERE outlet_id = ? AND is_relevant AND published_at > ?", [outlet[0], cut])
        rows = {r["outlet_id"]: r for r in q(con, "outlet_health")}
        assert rows[outlet[0]]["status"] in ("ok", "feed_errors"), rows[outlet[0]]
    # a quiet period for every outlet (holidays, a slow news month): nobody is flagged
    con.execute("DELETE FROM articles WHERE published_at > ?", [cut])
    rows = q(con, "outlet_health", as_of=str(last.date()))
    assert all(r["status"] in ("ok", "feed_errors", "no_articles") for r in rows), rows


def test_outlet_health_flags_a_failure_rate_jump_and_feed_errors(nightly_copy):
    con = nightly_copy.con
    failing, feedless = _latest_active(con, 2)
    now = datetime.now(PARIS)
    nightly_copy.upsert("runs", [{"run_id": "zz-later", "command": "nightly", "started_at": now, "status": "ok"}])
    fails = [{"run_id": "zz-later", "stage": "collect", "item": f"http://x/{i}", "reason": "http_error",
              "detail": "HTTP 500", "outlet_id": failing, "occurred_at": now} for i in range(8)]
    fails.append({"run_id": "zz-later", "stage": "discover", "item": "http://y/rss.xml", "reason": "feed_error",
                  "detail": "unreadable feed", "outlet_id": feedless, "occurred_at": now})
    nightly_copy.upsert("failures", fails)
    rows = {r["outlet_id"]: r for r in q(con, "outlet_health")}
    assert rows[failing]["status"] == "failing" and rows[failing]["top_failure_reason"] == "http_error"
    assert rows[failing]["last_run_failure_rate"] == 1.0 and rows[failing]["earlier_failure_rate"] < 0.2
    assert rows[feedless]["status"] == "feed_errors" and rows[feedless]["source_errors"] == 1
