"""Query latency of the analysts' library on a synthetic database of 1,000,000 articles.

The database is generated with DuckDB SQL generators (range(), hash()) into the real schema (the
migrations): 1M articles over two years and 40 outlets, 40 % of them on topic, 5 % syndicated
copies, one page per article, ~2 % failures, a run per day; for on-topic articles 6 mentions,
3 claims, and annotations (article stance, tone toward 2 actors, claim stance, 4 sentence
sentiments); a prediction for every article. The tables have the migrated columns and types but,
unless --keys, not the primary-key indexes (the queries never use them; filling them through the
indexes takes minutes). Then every query in queries/ runs with its default
parameters (plus a few filtered variants): one warm-up, then the median of 5. Target: < 1 s each.
It also times the full-text index build and a search on 100,000 articles made of real corpus text.

Usage: python bench/queries.py [--articles 1000000] [--fts 100000] [--keep PATH]
JSON to bench/results/queries.json, table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
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
         SELECT article_id, run_id, 'stance', 'claim', 'accusation', k * 300 - 10, k * 300 + 130,
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
    from pipeline.store import open_store

    schema = folder / "schema.duckdb"
    open_store(schema).close()
    store.con.execute(f"ATTACH '{schema}' AS s (READ_ONLY)")
    tables = [r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 's' AND schema_name = 'main'").fetchall()]
    for table in tables:
        store.con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM s."{table}" LIMIT 0')
    store.con.execute("DETACH s")


def generate(path: Path, n: int, keys: bool = False) -> dict:
    """Create the synthetic database; return rows and seconds per table."""
    from pipeline.store import open_store

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
            print(f"  {table:<12} {out[table]['rows']:>10,} rows  {out[table]['seconds']:>6.1f} s", flush=True)
    return out


def time_queries(path: Path, repeat: int = 5) -> list[dict]:
    """Median latency of every query (defaults) and of the filtered variants."""
    import duckdb

    from pipeline.report import list_queries, run_query

    con = duckdb.connect(str(path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    cases = [(name, {}) for name in sorted(list_queries())] + VARIANTS
    results = []
    for name, params in cases:
        _, rows = run_query(con, name, params)  # warm-up (and the row count)
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            run_query(con, name, params)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        med = statistics.median(times)
        # cpu_s: CPU time of all DuckDB threads, which other processes' load does not inflate
        results.append({"query": name, "params": params, "rows": len(rows), "median_s": round(med, 4),
                        "max_s": round(max(times), 4), "cpu_s": round(statistics.median(cpu), 4),
                        "under_target": med < TARGET_S})
        print(f"  {name:<22} {json.dumps(params, ensure_ascii=False)[:40]:<42} {med * 1000:>8.1f} ms  "
              f"{len(rows):>7} rows", flush=True)
    con.close()
    return results


def fts_bench(folder: Path, n: int) -> dict:
    """Build the BM25 index over ``n`` articles made of real corpus paragraphs; time it and a search."""
    import duckdb

    from pipeline.store import open_store
    from pipeline.store.search import ensure_index, search

    paragraphs = []
    for md in sorted((ROOT / "corpus" / "articles").rglob("*.md")):
        body = md.read_text("utf-8").split("+++", 2)[-1]
        paragraphs += [p.strip() for p in body.split("\n\n") if len(p.strip()) > 80]
    if not paragraphs:
        return {"skipped": "no corpus articles"}
    path = folder / "fts.duckdb"
    with open_store(path) as store:
        store.con.execute(
            """INSERT INTO articles (article_id, canonical_url, url, outlet_id, title, text, published_at, language,
                                     is_relevant, run_id, extracted_at)
               SELECT printf('%016x', hash(i)), 'u' || i, 'u' || i, printf('o%02d', i % 40),
                      p[1 + CAST(hash(i) % len(p) AS BIGINT)],
                      array_to_string([p[1 + CAST(hash(i, k) % len(p) AS BIGINT)] FOR k IN range(6)], chr(10) || chr(10)),
                      now(), 'fr', true, 'r', now()
               FROM range(?) t(i), (SELECT ?::VARCHAR[] AS p)""", [n, paragraphs])
        store.con.execute("CHECKPOINT")
        words = store.scalar("SELECT sum(len(string_split(text, ' '))) FROM articles")
        started = time.perf_counter()
        info = ensure_index(store, "bench")
        build = time.perf_counter() - started
        times = []
        for _ in range(5):
            started = time.perf_counter()
            hits = search(store.con, "distillation sans autorisation", limit=10)
            times.append(time.perf_counter() - started)
    size = path.stat().st_size
    return {"articles": n, "words": int(words), "build_s": round(build, 2), "terms": info["terms"],
            "search_median_s": round(statistics.median(times), 4), "hits": len(hits), "db_bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--fts", type=int, default=100_000, help="articles for the full-text index bench (0 = skip)")
    parser.add_argument("--keep", type=Path, help="keep the synthetic database at this path")
    parser.add_argument("--keys", action="store_true", help="generate through the migrated schema with its primary keys (slower)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "queries.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        path = args.keep or Path(tmp) / "synthetic.duckdb"
        if path.exists():
            path.unlink()
        print(f"Generating {args.articles:,} articles into {path} ...", flush=True)
        started = time.perf_counter()
        tables = generate(path, args.articles, keys=args.keys)
        gen_s = time.perf_counter() - started
        print(f"Generated in {gen_s:.1f} s ({path.stat().st_size / 1e9:.2f} GB). Timing queries ...", flush=True)
        queries = time_queries(path)
        fts = fts_bench(Path(tmp), args.fts) if args.fts else {"skipped": "--fts 0"}
    slow = [q for q in queries if not q["under_target"]]
    report = {"articles": args.articles, "generation_s": round(gen_s, 1), "tables": tables, "queries": queries,
              "target_s": TARGET_S, "all_under_target": not slow, "fts": fts, "primary_keys": args.keys,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "duckdb": __import__("duckdb").__version__, "load_avg": os.getloadavg()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    print()
    print(f"{'query':<22} {'params':<42} {'median':>10} {'max':>10} {'cpu':>10}  ok")
    for q in queries:
        print(f"{q['query']:<22} {json.dumps(q['params'], ensure_ascii=False)[:40]:<42} "
              f"{q['median_s'] * 1000:>8.1f}ms {q['max_s'] * 1000:>8.1f}ms {q['cpu_s'] * 1000:>8.1f}ms  "
              f"{'yes' if q['under_target'] else 'NO'}")
    print(f"Load average of the machine during the bench: {report['machine']['load_avg']}")
    print(f"\nGeneration {gen_s:.1f} s; {len(queries) - len(slow)}/{len(queries)} queries under {TARGET_S:.0f} s.")
    if "build_s" in fts:
        print(f"Full-text index on {fts['articles']:,} articles ({fts['words']:,} words): built in {fts['build_s']} s, "
              f"search median {fts['search_median_s'] * 1000:.1f} ms.")
    print(f"Written {args.out}")


if __name__ == "__main__":
    main()
