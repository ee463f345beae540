"""Derived data the analysts' queries read (migrations 0007, 0010, 0011), kept up to date here.

Columns: an integer ``article_key`` on articles and the analysis tables (joins on it cost several
times less than on the 16-character article_id) and ``articles.published_day`` (the day in
Europe/Paris). Tables: per-speaker and per-entity-pair aggregates (``speaker_stats``,
``speaker_stances``, ``entity_articles``, ``entity_pairs``), so that the speaker and co-occurrence
queries read a few thousand rows instead of joining millions, and ``student_facts`` (one row per
article with the latest student version's prediction and the teacher's labels) for the
distillation views.

Writers never set any of it. ``refresh_derived`` fills the keys of new rows (the analysis replaces
an article's rows together, so they arrive with NULL), corrects stale days (re-extraction may change
published_at) and rebuilds an aggregate group when the digest of what it counts changed; all in one
transaction, idempotent, and cheap when nothing changed. The nightly run calls it after every stage
that writes, before the snapshot is published, so every snapshot analysts open is consistent.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

# Zone of articles.published_day; queries asked for this zone read the column, others compute.
DAY_ZONE = "Europe/Paris"
KEYED = ("mentions", "claims", "annotations", "predictions")
LATEST = 10  # newest claims kept per speaker_stats row (top_speakers reads the raw claims beyond)

# The local day of every publication time through 15-minute slots: zones change offset on
# quarter-hour boundaries, so converting each slot of the covered period once (a list looked up by
# position) is exact, and ICU runs ~70,000 times for two years instead of once per article.
_DAYS = """(SELECT min(s) AS s0, list(CAST(timezone(?, make_timestamptz(s * 900000000)) AS DATE) ORDER BY s) AS days
            FROM (SELECT unnest(range(epoch_us(min(published_at)) // 900000000,
                                      epoch_us(max(published_at)) // 900000000 + 1)) AS s FROM articles))"""
_DAY_OF = "z.days[epoch_us(articles.published_at) // 900000000 - z.s0 + 1]"
_FLAGS = "coalesce(a.is_relevant, false) AS is_relevant, coalesce(a.is_syndicated_copy, false) AS is_copy"

# What each aggregate group counts: a digest of these rows decides whether it is rebuilt. Narrow
# columns only: claims.content is not hashed, but a claim's text never changes without its row being
# replaced, which gives it a new rowid (hashed).
_ARTICLES_DIGEST = ("SELECT count(*), bit_xor(hash(article_key, is_relevant, is_syndicated_copy, published_at, outlet_id, "
                    "language)) FROM articles")
_DIGESTS = {
    "speakers": [
        _ARTICLES_DIGEST,
        "SELECT count(*), bit_xor(hash(article_key, field, content_start, speaker_id, kind, rowid)) FROM claims",
        "SELECT count(*), bit_xor(hash(article_key, field, span_start, target, label)) FROM annotations "
        "WHERE task = 'stance' AND scope = 'claim'",
    ],
    "entities": [
        _ARTICLES_DIGEST,
        "SELECT count(*), bit_xor(hash(article_key, start_char, end_char, actor_id, label, text)) FROM mentions",
    ],
    "students": [
        _ARTICLES_DIGEST,
        # predicted_at changes whenever an article is scored again (its probabilities with it)
        "SELECT count(*), bit_xor(hash(article_key, model_version, predicted_at, on_topic_prob, stance, tone_openai, "
        "tone_deepseek)) FROM predictions",
        "SELECT count(*), bit_xor(hash(article_key, task, target, label)) FROM annotations WHERE scope = 'article'",
    ],
}
# The teacher's stance target whose labels student_facts keeps (teacher_vs_student's default).
STUDENT_TARGET = "accusation"
_BUILD = {
    "speakers": [
        "DELETE FROM speaker_stats",
        f"""INSERT INTO speaker_stats
            SELECT c.speaker_id, {_FLAGS}, count(*), count(DISTINCT c.article_key),
                   count(*) FILTER (WHERE c.kind = 'direct'), count(*) FILTER (WHERE c.kind = 'indirect'),
                   count(*) FILTER (WHERE c.kind = 'selon'), min(a.published_at), max(a.published_at),
                   list(DISTINCT a.outlet_id ORDER BY a.outlet_id),
                   coalesce(max_by({{'published_at': a.published_at, 'content': c.content}},
                                   {{'published_at': a.published_at, 'content': c.content}}, {LATEST})
                            FILTER (WHERE a.published_at IS NOT NULL), [])
            FROM claims c JOIN articles a USING (article_key)
            WHERE c.speaker_id IS NOT NULL
            GROUP BY ALL""",
        "DELETE FROM speaker_stances",
        # A claim's stance is the annotation at its own span: same article, field and start.
        f"""INSERT INTO speaker_stances
            SELECT c.speaker_id, {_FLAGS}, an.target, an.label, count(*)
            FROM claims c
            JOIN articles a USING (article_key)
            JOIN annotations an ON an.article_key = c.article_key AND an.field = c.field
                                AND an.span_start = c.content_start
            WHERE c.speaker_id IS NOT NULL AND an.task = 'stance' AND an.scope = 'claim'
            GROUP BY ALL""",
    ],
    "entities": [
        "CREATE OR REPLACE TEMP TABLE veille_entities AS "
        f"SELECT m.article_key, coalesce(m.actor_id, m.label || ':' || lower(m.text)) AS entity, "
        f"bool_or(m.actor_id IS NOT NULL) AS is_actor, a.outlet_id, a.published_at, {_FLAGS} "
        "FROM mentions m JOIN articles a USING (article_key) GROUP BY ALL",
        "DELETE FROM entity_articles",
        "INSERT INTO entity_articles SELECT entity, is_relevant, is_copy, is_actor, count(*) "
        "FROM veille_entities GROUP BY ALL",
        "DELETE FROM entity_pairs",
        """INSERT INTO entity_pairs
           SELECT x.entity, y.entity, x.outlet_id, x.is_relevant, x.is_copy, x.is_actor AND y.is_actor,
                  count(*), min(x.published_at), max(x.published_at)
           FROM veille_entities x
           JOIN veille_entities y ON x.article_key = y.article_key AND x.entity < y.entity
           GROUP BY ALL""",
        "DROP TABLE veille_entities",
    ],
    "students": [
        "DELETE FROM student_facts",
        f"""INSERT INTO student_facts
            WITH v AS (SELECT min(model_version) AS mv FROM predictions
                       WHERE predicted_at = (SELECT max(predicted_at) FROM predictions)),
                 p AS (SELECT * FROM predictions WHERE model_version = (SELECT mv FROM v)),
                 n AS (SELECT article_key, task, target, label FROM annotations
                       WHERE scope = 'article' AND ((task = 'stance' AND target = '{STUDENT_TARGET}')
                                                    OR (task = 'tone' AND target IN ('openai', 'deepseek'))))
            SELECT a.article_key, (SELECT mv FROM v), a.outlet_id, a.published_at, a.published_day,
                   coalesce(a.language = 'fr', false), coalesce(a.is_syndicated_copy, false), a.is_relevant,
                   p.article_key IS NOT NULL, p.on_topic_prob, p.stance, p.tone_openai, p.tone_deepseek,
                   p.stance_probs['soutient'], p.stance_probs['conteste'], p.stance_probs['neutre'],
                   p.tone_openai_probs['négatif'], p.tone_openai_probs['neutre'], p.tone_openai_probs['positif'],
                   p.tone_deepseek_probs['négatif'], p.tone_deepseek_probs['neutre'], p.tone_deepseek_probs['positif'],
                   ts.label, tto.label, ttd.label
            FROM articles a
            LEFT JOIN p ON p.article_key = a.article_key
            LEFT JOIN n ts ON ts.article_key = a.article_key AND ts.task = 'stance'
            LEFT JOIN n tto ON tto.article_key = a.article_key AND tto.task = 'tone' AND tto.target = 'openai'
            LEFT JOIN n ttd ON ttd.article_key = a.article_key AND ttd.task = 'tone' AND ttd.target = 'deepseek'""",
    ],
}
_ROWS = {"speakers": ("speaker_stats", "speaker_stances"), "entities": ("entity_articles", "entity_pairs"),
         "students": ("student_facts",)}


def _changed(con, sql: str, params: list | None = None) -> int:
    """Run an UPDATE/INSERT/DELETE and return how many rows it changed."""
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


def refresh_derived(store, force: bool = False) -> dict[str, Any]:
    """Fill and correct the derived columns, rebuild changed aggregates; return what changed per step."""
    con = store.con
    started = time.perf_counter()
    out: dict[str, Any] = {}
    with store.transaction():
        # Rows inserted without the column default (bulk loads, the bench) get their key here.
        out["articles_keyed"] = _changed(
            con, "UPDATE articles SET article_key = nextval('article_key_seq') WHERE article_key IS NULL")
        # Every row is checked, not only new ones: re-extraction can change published_at.
        out["published_days"] = _changed(
            con, f"UPDATE articles SET published_day = {_DAY_OF} FROM {_DAYS} z "
                 f"WHERE articles.published_day IS DISTINCT FROM {_DAY_OF}", [DAY_ZONE])
        for table in KEYED:
            # Probe the child table, build on its few new articles only: the other way round, the
            # update writes rows in random order (tens of seconds for 4 M annotations).
            out[f"{table}_keyed"] = _changed(con, f"""
                UPDATE "{table}" SET article_key = k.article_key
                FROM (SELECT article_id, article_key FROM articles
                      WHERE article_id IN (SELECT article_id FROM "{table}" WHERE article_key IS NULL)) k
                WHERE "{table}".article_key IS NULL AND "{table}".article_id = k.article_id""")
        digests: dict[str, str] = {}  # the articles' digest serves both groups
        for group in _BUILD:
            out[group] = _rebuild_if_changed(con, group, force, digests)
    out["seconds"] = round(time.perf_counter() - started, 3)
    return out


def _digest(con, sql: str, memo: dict[str, str]) -> str:
    if sql not in memo:
        n, h = con.execute(sql).fetchone()
        memo[sql] = f"{n}:{h}"
    return memo[sql]


def _rebuild_if_changed(con, group: str, force: bool, memo: dict[str, str]) -> int:
    """Rebuild one aggregate group when the digest of its inputs differs; return rows written (0: none)."""
    fingerprint = ";".join(_digest(con, sql, memo) for sql in _DIGESTS[group])
    state = con.execute("SELECT fingerprint FROM derived_state WHERE name = ?", [group]).fetchone()
    if state and state[0] == fingerprint and not force:
        return 0
    started = time.perf_counter()
    for sql in _BUILD[group]:
        con.execute(sql)
    rows = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in _ROWS[group])
    con.execute("DELETE FROM derived_state WHERE name = ?", [group])  # (the bench's tables have no keys)
    con.execute("INSERT INTO derived_state VALUES (?, ?, ?, ?, ?)",
                [group, fingerprint, rows, datetime.now(timezone.utc), round(time.perf_counter() - started, 3)])
    return rows


def derived_problems(con) -> dict[str, int]:
    """Rows whose derived data disagree with what they derive from (all zero after a refresh)."""
    checks = {
        "articles_without_key": "SELECT count(*) FROM articles WHERE article_key IS NULL",
        "duplicate_article_keys": "SELECT count(*) - count(DISTINCT article_key) FROM articles",
        "wrong_published_day": f"SELECT count(*) FROM articles WHERE published_day IS DISTINCT FROM "
                               f"CAST(timezone('{DAY_ZONE}', published_at) AS DATE)",
    }
    for table in KEYED:
        checks[f"{table}_wrong_key"] = (f'SELECT count(*) FROM "{table}" t JOIN articles a USING (article_id) '
                                       f"WHERE t.article_key IS DISTINCT FROM a.article_key")
    memo: dict[str, str] = {}
    for group, sqls in _DIGESTS.items():
        fingerprint = ";".join(_digest(con, sql, memo) for sql in sqls)
        checks[f"stale_{group}"] = (f"SELECT count(*) FROM (SELECT 1) WHERE NOT EXISTS (SELECT 1 FROM derived_state "
                                    f"WHERE name = '{group}' AND fingerprint = '{fingerprint}')")
    return {name: con.execute(sql).fetchone()[0] for name, sql in checks.items()}
