"""Query latency of the analysts' library on a synthetic database of 1,000,000 articles.

The database is generated with DuckDB SQL generators (range(), hash()) into the real schema (the
migrations): 1M articles over two years and 40 outlets, 40 % of them on topic, 5 % syndicated
copies, one page per article, ~2 % failures, a run per day; for on-topic articles 6 mentions,
3 claims, and annotations (article stance, tone toward 2 actors, claim stance keyed by the claim's
content_start, 4 sentence sentiments); a prediction for every article. The tables have the
migrated columns, types and defaults but, unless --keys, not the primary-key indexes (the queries
never use them; filling them through the indexes takes minutes). The derived query data (article
keys, days, aggregates) is then filled by pipeline.store.derived.refresh_derived, the function the
nightly run calls, and timed. Every query in queries/ runs with its default parameters (plus a few
filtered variants): one warm-up, then the median of 5. Target: < 1 s each. With --compare REV the
queries of that git revision (BEFORE_ISSUE_7: the library before the derived data) are timed beside
them on the same database (a folder of .sql files works too). It also times the full-text index on 100,000 articles made of real corpus text: a full
build, an incremental update after a night's worth of changes, and searches.

Usage: python bench/queries.py [--articles 1000000] [--fts 100000] [--fts-extension 20000]
                               [--keep PATH [--reuse]] [--compare a7d0f9e] [--only q1,q2]
JSON to bench/results/queries.json, table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 1.0
ACTORS = ["openai", "deepseek", "microsoft", "nvidia", "anthropic", "google", "meta", "mistral_ai", "high_flyer",
          "alibaba", "white_house", "us_congress", "house_china_committee", "european_commission", "cnil", "garante",
          "financial_times", "bloomberg", "new_york_times", "david_sacks", "donald_trump", "sam_altman",
          "liang_wenfeng", "satya_nadella", "jensen_huang", "john_moolenaar", "arthur_mensch"]
VARIANTS = [("coverage_by_day", {"outlet": "o07"}), ("claims_by_actor", {"actor": "openai"}),
            ("claims_list", {"speaker": "openai"}), ("tone_by_actor", {"actor": "deepseek", "period": "day"}),
            ("stance_share", {"period": "day", "include_copies": "true"}),
            ("entity_cooccurrence", {"actors_only": "false", "min_articles": "50"}),
            ("failures_by_reason", {"outlet": "o03", "last_runs": "100"})]

# Each statement is one SQL generator; ? = number of articles. Articles first: the rest derive from them.
GENERATE = [
    ("outlets", """INSERT INTO outlets (outlet_id, name, kind, country, language, homepage, feeds, sitemaps,
                   requests_per_second, concurrency, run_id)
       SELECT printf('o%02d', i), 'Outlet ' || i, 'daily', 'FR', 'fr', printf('http://o%02d.test/', i),
              [printf('http://o%02d.test/rss.xml', i)], [], 2.0, 2, 'r0' FROM range(40) t(i)"""),
    ("runs", """INSERT INTO runs (run_id, command, started_at, finished_at, status, counts, failures)
       SELECT printf('r%04d', d), 'nightly', TIMESTAMPTZ '2024-06-01 02:00:00+00' + to_days(d::INTEGER),
              TIMESTAMPTZ '2024-06-01 02:20:00+00' + to_days(d::INTEGER), 'ok',
              MAP {'fetched': 1370, 'extracted': 1360}, MAP {'http_error': 20} FROM range(731) t(d)"""),
    ("articles", """INSERT INTO articles (article_id, canonical_url, url, page_key, outlet_id, title, authors,
                   published_at, date_source, language, text, word_count, content_sha256, cluster_id,
                   is_syndicated_copy, relevance, matched_terms, is_relevant, extractor, nlp_version, run_id, extracted_at)
       SELECT id, url, url, id, outlet, 'Titre ' || i, ['Auteur ' || (i % 997)], published, 'metadata',
              CASE WHEN i % 33 = 0 THEN 'en' ELSE 'fr' END, 'Texte court.', 400, id,
              CASE WHEN i % 20 = 1 THEN printf('%016x', hash(i - 1)) ELSE id END, i % 20 = 1,
              CASE WHEN rel THEN 4.0 ELSE 0.5 END, ['deepseek'], rel, 'synthetic', 'nlp-1',
              printf('r%04d', date_diff('day', DATE '2024-06-01', CAST(published AS DATE))), published
       FROM (SELECT i, printf('%016x', hash(i)) AS id,
                    printf('http://o%02d.test/a/%d', hash(i * 31) % 40, i) AS url,
                    printf('o%02d', hash(i * 31) % 40) AS outlet,
                    TIMESTAMPTZ '2024-06-01 00:00:00+00' + to_seconds((hash(i * 7) % (730 * 86400))::BIGINT) AS published,
                    hash(i * 13) % 10 < 4 AS rel
             FROM range(?) t(i))"""),
    ("pages", """INSERT INTO pages (page_key, url, final_url, outlet_id, status_code, content_type, charset, fetched_at,
                   body_sha256, size_bytes, warc_path, warc_offset, extract_status, run_id)
       SELECT article_id, url, url, outlet_id, 200, 'text/html', 'utf-8', extracted_at, content_sha256, 40000,
              run_id || '.warc.gz', 0, 'done', run_id FROM articles"""),
    ("failures", """INSERT INTO failures (run_id, stage, item, reason, detail, outlet_id, occurred_at)
       SELECT printf('r%04d', i % 731), CASE WHEN i % 3 = 0 THEN 'extract' ELSE 'collect' END,
              printf('http://o%02d.test/f/%d', i % 40, i),
              ['http_error', 'timeout', 'empty_text', 'too_large', 'not_french'][1 + i % 5], 'detail',
              printf('o%02d', i % 40), TIMESTAMPTZ '2024-06-01 02:10:00+00' + to_days((i % 731)::INTEGER)
       FROM range(? // 50) t(i)"""),
    ("mentions", """INSERT INTO mentions (article_id, start_char, end_char, text, label, actor_id, link_method, model, run_id)
       SELECT article_id, k * 100, k * 100 + 8, 'Entité', CASE WHEN k < 4 THEN 'ORG' ELSE 'PER' END,
              CASE WHEN k < 4 THEN list_extract($actors, CAST(1 + (hash(article_id, k) % 27) * (hash(article_id, k) % 27) // 27 AS BIGINT)) END,
              'alias', 'nlp-1', run_id
       FROM articles, range(6) r(k) WHERE is_relevant"""),
    ("claims", """INSERT INTO claims (article_id, content_start, content_end, content, kind, cue, speaker_text,
                   speaker_id, speaker_resolution, model, run_id)
       SELECT article_id, k * 300, k * 300 + 120, 'Contenu de la déclaration ' || k, ['direct', 'indirect', 'selon'][1 + k],
              'affirmer', 'Orateur',
              CASE WHEN hash(article_id, k) % 3 = 0 THEN printf('person:Nom %d', hash(article_id, k) % 5000)
                   ELSE list_extract($actors, CAST(1 + (hash(article_id, k) % 27) * (hash(article_id, k) % 27) // 27 AS BIGINT)) END,
              'name', 'nlp-1', run_id
       FROM articles, range(3) r(k) WHERE is_relevant"""),
    ("annotations", """INSERT INTO annotations (article_id, task, scope, target, span_start, span_end, label, probs,
                   model_name, model_version, backend, run_id)
       SELECT article_id, task, scope, target, s, e, label, MAP {'x': 1.0}, 'teacher', '1', 'bundled', run_id FROM (
         SELECT article_id, run_id, 'stance' AS task, 'article' AS scope, 'accusation' AS target, 0 AS s, 400 AS e,
                ['soutient', 'conteste', 'neutre'][1 + CAST(hash(article_id, 's') % 3 AS BIGINT)] AS label FROM articles WHERE is_relevant
         UNION ALL
         SELECT article_id, run_id, 'tone', 'article', t, 0, 400, ['négatif', 'neutre', 'positif'][1 + CAST(hash(article_id, t) % 3 AS BIGINT)]
         FROM articles, (VALUES ('openai'), ('deepseek')) v(t) WHERE is_relevant
         UNION ALL
         SELECT article_id, run_id, 'stance', 'claim', 'accusation', k * 300, k * 300 + 120,  -- keyed by content_start
                ['soutient', 'conteste', 'neutre'][1 + CAST(hash(article_id, k) % 3 AS BIGINT)]
         FROM articles, range(3) r(k) WHERE is_relevant
         UNION ALL
         SELECT article_id, run_id, 'sentiment', 'sentence', '', k * 80 + 2000, k * 80 + 2070,
                ['négatif', 'neutre', 'positif'][1 + CAST(hash(article_id, k, 'x') % 3 AS BIGINT)]
         FROM articles, range(4) r(k) WHERE is_relevant)"""),
    ("predictions", """INSERT INTO predictions (article_id, model_name, model_version, on_topic_prob, stance, stance_probs,
                   tone_openai, tone_openai_probs, tone_deepseek, tone_deepseek_probs, run_id, predicted_at)
       SELECT article_id, 'student', 'v1', CASE WHEN is_relevant THEN 0.9 ELSE 0.1 END,
              ['soutient', 'conteste', 'neutre'][1 + CAST(hash(article_id, 'p') % 3 AS BIGINT)], MAP {'neutre': 0.5},
              ['négatif', 'neutre', 'positif'][1 + CAST(hash(article_id, 'o') % 3 AS BIGINT)], MAP {'neutre': 0.5},
              ['négatif', 'neutre', 'positif'][1 + CAST(hash(article_id, 'd') % 3 AS BIGINT)], MAP {'neutre': 0.5},
              run_id, extracted_at FROM articles"""),
]


def _schema_without_keys(store, folder: Path) -> None:
    """The migrated tables' columns and types, without their primary-key indexes.

    Filling 10 M rows through ART primary-key indexes takes minutes on two cores; the analysts'
    queries scan and hash-join, they never use those indexes, so the timings do not depend on them.
    """
    import duckdb

    from pipeline.store import open_store

    schema = folder / "schema.duckdb"
    for stale in folder.glob("schema.duckdb*"):  # from an older checkout: its migrations may differ
        stale.unlink()
    open_store(schema).close()
    store.con.execute(f"ATTACH '{schema}' AS s (READ_ONLY)")
    tables = [r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 's' AND schema_name = 'main'").fetchall()]
    for table in tables:
        store.con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM s."{table}" LIMIT 0')
    # Sequences and column defaults as migrated (articles.article_key numbers rows at insert, as in the
    # pipeline; CREATE TABLE AS keeps neither).
    for (name,) in store.con.execute(
            "SELECT sequence_name FROM duckdb_sequences() WHERE database_name = 's'").fetchall():
        store.con.execute(f'CREATE SEQUENCE "{name}"')
    for table, column, default in store.con.execute(
            "SELECT table_name, column_name, column_default FROM duckdb_columns() "
            "WHERE database_name = 's' AND schema_name = 'main' AND column_default IS NOT NULL").fetchall():
        store.con.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT {default}')
    # The migrations' macros, as DuckDB stored their definitions. A macro is bound when it is created,
    # so one that calls another waits for it: create what binds, retry the rest.
    pending = store.con.execute(
        "SELECT function_name, function_type, parameters, macro_definition FROM duckdb_functions() "
        "WHERE database_name = 's' AND schema_name = 'main' AND function_type IN ('macro', 'table_macro')").fetchall()
    while pending:
        failed = []
        for name, kind, params, body in pending:
            table = "TABLE " if kind == "table_macro" else ""
            try:
                store.con.execute(f'CREATE MACRO "{name}"({", ".join(params)}) AS {table}{body}')
            except duckdb.CatalogException:
                failed.append((name, kind, params, body))
        if len(failed) == len(pending):
            raise RuntimeError(f"macros that do not bind: {[f[0] for f in failed]}")
        pending = failed
    store.con.execute("DETACH s")


def generate(path: Path, n: int, keys: bool = False, quiet: bool = False) -> dict:
    """Create the synthetic database; return rows and seconds per table."""
    from pipeline.store import open_store
    from pipeline.store.derived import refresh_derived

    out = {}
    with open_store(path, migrate=keys) as store:
        if not keys:
            _schema_without_keys(store, path.parent)
        for table, sql in GENERATE:
            started = time.perf_counter()
            params = {"actors": ACTORS} if "$actors" in sql else ([n] if "?" in sql else [])
            store.con.execute(sql, params)
            store.con.execute("CHECKPOINT")
            out[table] = {"rows": store.scalar(f"SELECT count(*) FROM {table}"),
                          "seconds": round(time.perf_counter() - started, 2)}
            if not quiet:
                print(f"  {table:<12} {out[table]['rows']:>10,} rows  {out[table]['seconds']:>6.1f} s", flush=True)
        # The derived query columns, filled by the same function as the nightly run's (all rows are
        # new here: this is the cost of the first refresh, or of migrating an existing database) ...
        out["refresh_derived"] = refresh_derived(store)
        store.con.execute("CHECKPOINT")
        # ... and of the refresh the nightly run makes after each stage when little changed.
        out["refresh_derived_again"] = refresh_derived(store)
        if not quiet:
            print(f"  derived columns filled in {out['refresh_derived']['seconds']:.1f} s, "
                  f"refreshed again in {out['refresh_derived_again']['seconds']:.2f} s", flush=True)
    return out



def _time(con, run_query, name: str, params: dict, configured: str, repeat: int) -> dict:
    """One warm-up (and the row count), then the median of ``repeat`` runs."""
    _, rows = run_query(con, name, params, configured)
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run_query(con, name, params, configured)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    # cpu_s: CPU time of all DuckDB threads, which other processes' load does not inflate
    return {"rows": len(rows), "median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4),
            "cpu_s": round(statistics.median(cpu), 4)}


# The commit whose queries/ is the library before issue 7 (joins on article_id, everything recomputed
# from the base tables): what the rewritten queries are timed against and must give the rows of.
BEFORE_ISSUE_7 = "a7d0f9e"


def queries_at(rev: str, dest: Path) -> Path:
    """``queries/`` as it was at git revision ``rev``, written under ``dest``; a folder is returned as is."""
    if Path(rev).is_dir():
        return Path(rev)
    out = dest / f"queries-{rev}"
    out.mkdir(parents=True, exist_ok=True)
    try:
        names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "queries/"],
                               capture_output=True, text=True)
    except OSError as exc:  # no git at all
        raise LookupError(f"cannot read git revision {rev!r}: {exc}") from exc
    if names.returncode or not names.stdout.strip():
        raise LookupError(f"git revision {rev!r} with a queries/ folder is not in this clone "
                          f"(a shallow clone? fetch more history): {names.stderr.strip()}")
    for name in names.stdout.split():
        if name.endswith(".sql"):
            text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"], capture_output=True,
                                  text=True, check=True).stdout
            (out / Path(name).name).write_text(text, "utf-8")
    return out


def time_queries(path: Path, repeat: int = 5, compare: Path | None = None, only: set[str] | None = None) -> list[dict]:
    """Median latency of every query (defaults) and of the filtered variants; with ``compare``, also
    of the same-named queries in that folder, run just before each on the same connection."""
    import duckdb

    from pipeline.report import list_queries, run_query

    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    before = list_queries(str(compare)) if compare else {}
    cases = [(name, {}) for name in sorted(list_queries())] + VARIANTS
    results = []
    for name, params in cases:
        if only and name not in only:
            continue
        result = {"query": name, "params": params}
        if name in before:
            result["before"] = _time(con, run_query, name, params, str(compare), repeat)
        result.update(_time(con, run_query, name, params, "", repeat))
        result["under_target"] = result["median_s"] < TARGET_S
        results.append(result)
        was = f"{result['before']['median_s'] * 1000:>8.1f} ms -> " if "before" in result else ""
        print(f"  {name:<22} {json.dumps(params, ensure_ascii=False)[:40]:<42} {was}{result['median_s'] * 1000:>8.1f} ms"
              f"  {result['rows']:>7} rows", flush=True)
    con.close()
    return results


def _corpus_paragraphs() -> list[str]:
    paragraphs = []
    for md in sorted((ROOT / "corpus" / "articles").rglob("*.md")):
        body = md.read_text("utf-8").split("+++", 2)[-1]
        paragraphs += [p.strip() for p in body.split("\n\n") if len(p.strip()) > 80]
    return paragraphs


_FTS_ARTICLES = """INSERT INTO articles (article_id, canonical_url, url, outlet_id, title, text, published_at, language,
                                 is_relevant, run_id, extracted_at)
    SELECT printf('%016x', hash(i)), 'u' || i, 'u' || i, printf('o%02d', i % 40),
           p[1 + CAST(hash(i) % len(p) AS BIGINT)],
           array_to_string([p[1 + CAST(hash(i, k) % len(p) AS BIGINT)] FOR k IN range(6)], chr(10) || chr(10)),
           now(), 'fr', true, 'r', now()
    FROM range(?, ?) t(i), (SELECT ?::VARCHAR[] AS p)"""


def fts_bench(folder: Path, n: int, extension_n: int = 0) -> dict:
    """The BM25 index over ``n`` articles made of real corpus paragraphs: a full build, a night's
    update (1 % new articles, 0.1 % re-extracted, 0.1 % deleted), a run with nothing new, searches;
    and, over ``extension_n`` articles, the extension's own create_fts_index (the previous nightly)."""
    from pipeline.store import open_store
    from pipeline.store.search import STOPWORDS_FR, _SEP, _SPLIT, STEMMER, ensure_index, load_fts, search

    paragraphs = _corpus_paragraphs()
    if not paragraphs:
        return {"skipped": "no corpus articles"}
    out: dict = {"articles": n}
    path = folder / "fts.duckdb"
    with open_store(path) as store:
        con = store.con
        con.execute(_FTS_ARTICLES, [0, n, paragraphs])
        con.execute("CHECKPOINT")
        out["words"] = int(store.scalar("SELECT sum(len(string_split(text, ' '))) FROM articles"))
        started = time.perf_counter()
        full = ensure_index(store, "bench")
        out["full_build_s"] = round(time.perf_counter() - started, 2)
        out["terms"] = full["terms"]
        con.execute("CHECKPOINT")
        # A night: new articles, some re-extracted (new text and extraction time), some deleted.
        new, redo = max(1, n // 100), max(1, n // 1000)
        con.execute(_FTS_ARTICLES, [n, n + new, paragraphs])
        con.execute("UPDATE articles SET text = text || ' Réextrait.', extracted_at = now() + INTERVAL 1 SECOND "
                    "WHERE article_key IN (SELECT article_key FROM articles ORDER BY article_key LIMIT ?)", [redo])
        con.execute("DELETE FROM articles WHERE article_key IN "
                    "(SELECT article_key FROM articles ORDER BY article_key DESC LIMIT ? OFFSET ?)", [redo, new])
        started = time.perf_counter()
        night = ensure_index(store, "bench")
        out["update_s"] = round(time.perf_counter() - started, 2)
        out["update"] = {"new": new, "re_extracted": redo, "deleted": redo, "indexed": night["indexed"],
                         "removed": night["removed"], "rebuilt": night["rebuilt"]}
        started = time.perf_counter()
        ensure_index(store, "bench")
        out["unchanged_s"] = round(time.perf_counter() - started, 3)
        searches = {}
        for text in ("distillation sans autorisation", "mémo OpenAI Congrès", "alambic cognac"):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                hits = search(con, text, limit=10)
                times.append(time.perf_counter() - started)
            searches[text] = {"median_s": round(statistics.median(times), 4), "hits": len(hits)}
        out["search"] = searches
        if extension_n:
            # The previous nightly: the extension's builder over every article (it cannot update).
            con.execute("CREATE TABLE ext_articles AS SELECT article_id, title, text FROM articles LIMIT ?", [extension_n])
            load_fts(con)
            con.execute(f"CREATE OR REPLACE TEMP TABLE sw AS SELECT {_SPLIT} AS sw", [_SEP.join(STOPWORDS_FR)])
            con.execute("SET enable_progress_bar = false")
            started = time.perf_counter()
            con.execute(f"PRAGMA create_fts_index('ext_articles', 'article_id', 'title', 'text', stemmer = '{STEMMER}', "
                        "stopwords = 'sw', strip_accents = 1, lower = 1, overwrite = 1)")
            out["extension_build"] = {"articles": extension_n, "seconds": round(time.perf_counter() - started, 2)}
    out["db_bytes"] = path.stat().st_size
    return out


def _table(queries: list[dict], previous: dict[tuple, float]) -> None:
    print(f"\n{'query':<22} {'params':<40} {'before':>9} {'after':>9} {'cpu':>8} {'x':>6}  <1s")
    for q in queries:
        key = (q["query"], json.dumps(q["params"], sort_keys=True))
        before = q["before"]["median_s"] if "before" in q else previous.get(key)
        mark = "" if "before" in q else "*"
        speedup = f"{before / q['median_s']:.1f}" if before else ""
        before_s = f"{before * 1000:.0f}ms{mark}" if before else "-"
        print(f"{q['query']:<22} {json.dumps(q['params'], ensure_ascii=False)[:40]:<40} {before_s:>9} "
              f"{q['median_s'] * 1000:>7.0f}ms {q['cpu_s'] * 1000:>6.0f}ms {speedup:>6}  "
              f"{'yes' if q['under_target'] else 'NO'}")
    if any("before" not in q for q in queries):
        print("* before = the previous results file (another run, another load)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--fts", type=int, default=100_000, help="articles for the full-text index bench (0 = skip)")
    parser.add_argument("--fts-extension", type=int, default=20_000,
                        help="articles for timing the extension's own full build, the previous nightly (0 = skip)")
    parser.add_argument("--keep", type=Path, help="keep the synthetic database at this path")
    parser.add_argument("--reuse", action="store_true", help="with --keep: time the database there if it exists")
    parser.add_argument("--keys", action="store_true", help="generate through the migrated schema with its primary keys (slower)")
    parser.add_argument("--compare", metavar="REV", help="also time the queries of this git revision "
                        f"(e.g. {BEFORE_ISSUE_7}, the library before issue 7) or of this folder")
    parser.add_argument("--only", help="comma-separated query names")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "queries.json")
    args = parser.parse_args()
    previous, old = {}, {}
    if args.out.exists():  # the last run's figures, shown as "before" when not timed here
        old = json.loads(args.out.read_text("utf-8"))
        previous = {(q["query"], json.dumps(q["params"], sort_keys=True)): q["median_s"] for q in old.get("queries", [])}
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        path = args.keep or Path(tmp) / "synthetic.duckdb"
        if args.reuse and path.exists():
            print(f"Reusing {path} ({path.stat().st_size / 1e9:.2f} GB).", flush=True)
            # the generation figures of the run that made it, if the previous results file is that run's
            tables, gen_s = {**old.get("tables", {}), "reused": str(path)}, old.get("generation_s")
        else:
            for stale in path.parent.glob(path.name + "*"):
                stale.unlink()
            print(f"Generating {args.articles:,} articles into {path} ...", flush=True)
            started = time.perf_counter()
            tables = generate(path, args.articles, keys=args.keys)
            gen_s = round(time.perf_counter() - started, 1)
            print(f"Generated in {gen_s:.1f} s ({path.stat().st_size / 1e9:.2f} GB). Timing queries ...", flush=True)
        only = set(args.only.split(",")) if args.only else None
        compare = queries_at(args.compare, Path(tmp)) if args.compare else None
        queries = time_queries(path, args.repeat, compare, only)
        if args.fts:
            fts = fts_bench(Path(tmp), args.fts, args.fts_extension)
        else:  # keep the last measured figures, saying so
            fts = {**old.get("fts", {}), "carried_over": "--fts 0: from the previous results file"}
    slow = [q for q in queries if not q["under_target"]]
    report = {"articles": args.articles, "generation_s": gen_s, "tables": tables, "queries": queries,
              "compared_with": str(args.compare) if args.compare else None,
              "target_s": TARGET_S, "all_under_target": not slow, "fts": fts, "primary_keys": args.keys,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "duckdb": __import__("duckdb").__version__, "load_avg": os.getloadavg()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")
    _table(queries, previous)
    print(f"Load average of the machine during the bench: {report['machine']['load_avg']}")
    print(f"\n{len(queries) - len(slow)}/{len(queries)} queries under {TARGET_S:.0f} s.")
    if "full_build_s" in fts:
        u = fts["update"]
        print(f"Full-text index on {fts['articles']:,} articles ({fts['words']:,} words): full build {fts['full_build_s']} s; "
              f"a night ({u['new']} new, {u['re_extracted']} re-extracted, {u['deleted']} deleted) {fts['update_s']} s; "
              f"nothing new {fts['unchanged_s']} s; search median "
              f"{statistics.median(s['median_s'] for s in fts['search'].values()) * 1000:.0f} ms.")
        if "extension_build" in fts:
            e = fts["extension_build"]
            print(f"The extension's own full build (the previous nightly) on {e['articles']:,} articles: {e['seconds']} s.")
    print(f"Written {args.out}")


if __name__ == "__main__":
    main()
