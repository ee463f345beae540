"""Full-text search over articles: DuckDB's FTS extension (BM25, French Snowball stemmer).

The extension ships as a Python wheel (``duckdb-extension-fts``) and is loaded from its file, so
nothing is downloaded at run time. The index lives in the database (schema ``fts_main_articles``)
and therefore in the published snapshot; the nightly run brings it up to date when articles
changed, indexing only the new and re-extracted ones (``ensure_index``).
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import StoreError

INDEX = "articles"
_FTS = f"fts_main_{INDEX}"
STEMMER = "french"
# Words too common to help ranking. The tokenizer lower-cases, strips accents and splits on
# anything but a-z, so elided forms (l', d', qu') become one-letter tokens listed here too.
STOPWORDS_FR = tuple("""
a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais aurait
auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient avais
avait avant avec avez aviez avions avoir avons ayant ayez ayons c ce ceci cela celle celles celui
cependant certes ces cet cette ceux chacun chaque chez ci comme comment contre d dans de des donc
dont du elle elles en encore entre es est et etaient etais etait etant ete etes etiez etions etre
eu eue eues eurent eus eut eux fait fois font furent fut j je jusqu jusque l la le les lequel
leur leurs lors lui m ma mais me meme memes mes moi mon n ne ni nos notre nous on ont or ou par
parce pas peu peut plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se
selon ses si sien soi soient sois soit sommes son sont sous suis sur t ta tandis te tes toi ton
tous tout toute toutes tres tu un une unes uns vers vos votre vous y
""".split())
_WORD = re.compile(r"\w+", re.UNICODE)
# Word lists go to DuckDB as one string split in SQL: a Python list parameter costs ~0.2 ms per
# element in duckdb's converter (it tries optional imports for each one).
_SEP = "\x1f"
_SPLIT = f"unnest(string_split(?, chr({ord(_SEP)})))"


def fts_extension_path() -> Path | None:
    """The fts extension file bundled by the ``duckdb-extension-fts`` wheel, if installed."""
    import duckdb

    try:
        import duckdb_extension_fts
    except ImportError:
        return None
    folder = Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = folder / "fts.duckdb_extension"
    return path if path.exists() else None


def load_fts(con) -> None:
    """Load the FTS extension into ``con`` from the local wheel (never from the network)."""
    path = fts_extension_path()
    try:
        con.execute("SET autoinstall_known_extensions = false")
        con.execute(f"LOAD '{path}'" if path else "LOAD fts")
    except Exception as exc:  # duckdb raises IOException or CatalogException depending on the cause
        raise StoreError(f"Cannot load DuckDB's full-text search extension: {exc}".splitlines()[0],
                         hint="pip install duckdb-extension-fts==<your duckdb version>", code="E210") from exc


def index_fingerprint(con) -> str:
    """Cheap digest of what the index covers: article count and the ids/extraction times."""
    n, digest = con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(article_id, extracted_at)), 0) FROM articles").fetchone()
    return f"{n}:{digest}"


def index_state(con) -> dict[str, Any] | None:
    """The search_index row of the articles index, or None if it was never built."""
    cur = con.execute("SELECT * FROM search_index WHERE name = ?", [INDEX])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row)) if row else None


def _index_exists(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?",
                            [f"fts_main_{INDEX}"]).fetchone()[0])


def _config() -> str:
    """What the index's tokens depend on besides the articles: a change forces a full build."""
    import duckdb

    text = f"{STEMMER}|{_SEP.join(STOPWORDS_FR)}|strip_accents|lower|duckdb {duckdb.__version__}|{fts_extension_path()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_index(store, run_id: str = "", force: bool = False) -> dict[str, Any]:
    """Bring the BM25 index up to date with the articles; return what was done.

    DuckDB's ``create_fts_index`` can only build from scratch, and its builder updates every term
    row in place (minutes for 100,000 articles). The extension still creates the index schema, its
    tokenizer and BM25 macros (over an empty stand-in table); the rows of its tables (``docs``,
    ``terms``, ``dict`` with document frequencies, ``stats``) are then maintained here with set-based
    SQL: only new, re-extracted and deleted articles are tokenised or removed, with the extension's
    own tokenizer, stemmer and stop words, so ``match_bm25`` scores exactly as after a full build.
    """
    con = store.con
    fingerprint, config = index_fingerprint(con), _config()
    state = index_state(con)
    fresh = state and state.get("config") == config and _index_exists(con) and _has_stamps(con)
    if not force and fresh and state["fingerprint"] == fingerprint:
        return {"rebuilt": 0, "indexed": 0, "removed": 0, "documents": state["documents"], "seconds": 0.0}
    load_fts(con)
    con.execute("SET enable_progress_bar = false")  # a long build must not draw on cron's stdout
    started = time.perf_counter()
    full = force or not fresh
    if full:
        _create_empty_index(con)
    with store.transaction():
        counts = _update_index(con)
        seconds = time.perf_counter() - started
        docs = con.execute(f"SELECT count(*) FROM {_FTS}.docs").fetchone()[0]
        terms = con.execute(f"SELECT count(*) FROM {_FTS}.dict").fetchone()[0]
        store.upsert("search_index", [{"name": INDEX, "fingerprint": fingerprint, "documents": docs, "terms": terms,
                                       "stemmer": STEMMER, "built_at": datetime.now(timezone.utc),
                                       "build_seconds": seconds, "run_id": run_id or None, "config": config,
                                       "update_kind": "full" if full else "incremental",
                                       "updated_documents": counts["indexed"] + counts["removed"]}])
    return {"rebuilt": int(full), **counts, "documents": docs, "terms": terms, "seconds": round(seconds, 3)}


def _has_stamps(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = 'docs' "
                            "AND column_name = 'stamp'", [_FTS]).fetchone()[0])


def _create_empty_index(con) -> None:
    """The extension's index schema over no document: its tables, stop words, tokenizer and macros."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE veille_stopwords_fr AS SELECT {_SPLIT} AS sw", [_SEP.join(STOPWORDS_FR)])
    # A temporary table shadows articles while the pragma runs: it indexes nothing, and the index
    # schema is still fts_main_articles in the database (create_fts_index runs its own statements:
    # it must not run inside a transaction of ours).
    con.execute(f"CREATE OR REPLACE TEMP TABLE {INDEX} AS SELECT article_id, title, text FROM main.{INDEX} LIMIT 0")
    try:
        con.execute(f"PRAGMA create_fts_index('{INDEX}', 'article_id', 'title', 'text', stemmer = '{STEMMER}', "
                    "stopwords = 'veille_stopwords_fr', strip_accents = 1, lower = 1, overwrite = 1)")
    finally:
        con.execute(f"DROP TABLE temp.main.{INDEX}")
    # When each document was indexed: the article's extracted_at then (match_bm25 ignores it).
    con.execute(f"ALTER TABLE {_FTS}.docs ADD COLUMN stamp TIMESTAMPTZ")
    for table in ("docs", "terms", "dict"):  # empty already, unless the pragma indexed the real table
        con.execute(f"DELETE FROM {_FTS}.{table}")


def _update_index(con) -> dict[str, int]:
    """(Re)index the articles that are new or re-extracted, drop the deleted; recompute the stats."""
    f = _FTS
    # Keys first (rows written without the column default, e.g. bulk loads; the store's refresh
    # does the same).
    con.execute("UPDATE articles SET article_key = nextval('article_key_seq') WHERE article_key IS NULL")
    # docid is the article's integer key; a document is stale when its article is gone or was
    # extracted again since it was indexed.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE veille_fts_todo AS
        SELECT a.article_key AS docid, a.article_id AS name, a.extracted_at AS stamp
        FROM articles a LEFT JOIN {f}.docs d ON d.docid = a.article_key
        WHERE d.docid IS NULL OR d.stamp IS DISTINCT FROM a.extracted_at OR d.name <> a.article_id""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE veille_fts_gone AS
        SELECT d.docid FROM {f}.docs d LEFT JOIN articles a ON a.article_key = d.docid
        WHERE a.article_key IS NULL OR d.stamp IS DISTINCT FROM a.extracted_at OR d.name <> a.article_id""")
    removed = con.execute("SELECT count(*) FROM veille_fts_gone").fetchone()[0]
    if removed:
        con.execute(f"""UPDATE {f}.dict SET df = dict.df - g.n
            FROM (SELECT termid, count(DISTINCT docid) AS n FROM {f}.terms
                  WHERE docid IN (SELECT docid FROM veille_fts_gone) GROUP BY termid) g
            WHERE dict.termid = g.termid""")
        con.execute(f"DELETE FROM {f}.terms WHERE docid IN (SELECT docid FROM veille_fts_gone)")
        con.execute(f"DELETE FROM {f}.docs WHERE docid IN (SELECT docid FROM veille_fts_gone)")
        con.execute(f"DELETE FROM {f}.dict WHERE df = 0")
    indexed = con.execute("SELECT count(*) FROM veille_fts_todo").fetchone()[0]
    if indexed:
        # The extension's own tokenizer, stop words and stemmer, as create_fts_index applies them.
        fields = " UNION ALL ".join(
            f"SELECT unnest({f}.tokenize(a.{col})) AS w, a.article_key AS docid, "
            f"(SELECT fieldid FROM {f}.fields WHERE field = '{col}') AS fieldid "
            f"FROM articles a WHERE a.article_key IN (SELECT docid FROM veille_fts_todo)"
            for col in ("title", "text"))
        con.execute(f"""CREATE OR REPLACE TEMP TABLE veille_fts_new AS
            SELECT stem(w, '{STEMMER}') AS term, docid, fieldid FROM ({fields})
            WHERE w IS NOT NULL AND len(w) > 0 AND w NOT IN (SELECT sw FROM {f}.stopwords)""")
        con.execute(f"""INSERT INTO {f}.dict
            SELECT (SELECT coalesce(max(termid), -1) FROM {f}.dict) + row_number() OVER (ORDER BY term), term, 0
            FROM (SELECT DISTINCT term FROM veille_fts_new WHERE term NOT IN (SELECT term FROM {f}.dict))""")
        con.execute(f"""UPDATE {f}.dict SET df = dict.df + c.n
            FROM (SELECT term, count(DISTINCT docid) AS n FROM veille_fts_new GROUP BY term) c
            WHERE dict.term = c.term""")
        con.execute(f"""INSERT INTO {f}.terms (docid, fieldid, termid)
            SELECT n.docid, n.fieldid, d.termid FROM veille_fts_new n JOIN {f}.dict d USING (term)
            ORDER BY n.docid""")
        con.execute(f"""INSERT INTO {f}.docs (docid, name, len, stamp)
            SELECT t.docid, t.name, coalesce(c.n, 0), t.stamp
            FROM veille_fts_todo t LEFT JOIN (SELECT docid, count(*) AS n FROM veille_fts_new GROUP BY docid) c
                 USING (docid)""")
        con.execute("DROP TABLE veille_fts_new")
    con.execute(f"DELETE FROM {f}.stats")
    con.execute(f"INSERT INTO {f}.stats SELECT count(docid), sum(len) / count(len) FROM {f}.docs")
    con.execute("DROP TABLE veille_fts_todo")
    con.execute("DROP TABLE veille_fts_gone")
    return {"indexed": int(indexed), "removed": int(removed)}


def search(con, text: str, limit: int = 10, outlet: str | None = None, on_topic: bool | None = None,
           since: str | None = None) -> list[dict[str, Any]]:
    """Articles ranked by BM25 for ``text`` (OR of the stemmed words), best first, with a snippet."""
    if not _index_exists(con):
        raise StoreError("The database has no full-text index yet.",
                         hint="Run `veille nightly` (it builds the index after extraction).", code="E211")
    load_fts(con)
    # Scores from the index alone (ids only), then the few best articles' columns: scoring with
    # every column of every article in the row set costs several times more.
    cur = con.execute(
        f"""WITH scored AS (
                SELECT article_id, score FROM (
                    SELECT article_id, fts_main_{INDEX}.match_bm25(article_id, $q) AS score FROM articles
                    WHERE ($outlet IS NULL OR outlet_id = $outlet)
                      AND ($on_topic IS NULL OR is_relevant = $on_topic)
                      AND ($since IS NULL OR published_at >= CAST($since AS DATE)))
                WHERE score IS NOT NULL
                ORDER BY score DESC, article_id LIMIT $limit)
            SELECT a.article_id, a.outlet_id, CAST(a.published_at AS DATE) AS day, a.title, s.score, a.text
            FROM scored s JOIN articles a USING (article_id)
            ORDER BY s.score DESC, a.article_id""",
        {"q": text, "outlet": outlet, "on_topic": on_topic, "since": since, "limit": int(limit)})
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    stems = _stems(con, _WORD.findall(text))
    word_stems = _word_stems(con, [row["text"] or "" for row in rows]) if stems else {}
    for row in rows:
        row["score"] = round(row["score"], 4)
        row["snippet"] = snippet(row.pop("text") or "", stems, word_stems)
    return rows


def _stems(con, words: list[str]) -> set[str]:
    if not words:
        return set()
    rows = con.execute(f"SELECT DISTINCT stem(lower(strip_accents(w)), ?) FROM (SELECT {_SPLIT} AS w)",
                       [STEMMER, _SEP.join(words)]).fetchall()
    return {r[0] for r in rows} - set(STOPWORDS_FR)


def _last_word(token: str) -> str:
    words = _WORD.findall(token)
    return words[-1] if words else ""


def _word_stems(con, texts: list[str]) -> dict[str, str]:
    """Stem of every distinct word of ``texts``, in one query."""
    words = sorted({_last_word(t) for text in texts for t in text.split()} - {""})
    if not words:
        return {}
    return dict(con.execute(f"SELECT w, stem(lower(strip_accents(w)), ?) FROM (SELECT {_SPLIT} AS w)",
                            [STEMMER, _SEP.join(words)]).fetchall())


def snippet(text: str, stems: set[str], word_stems: dict[str, str], width: int = 30) -> str:
    """About ``width`` words of ``text`` around the densest run of query terms."""
    words = text.split()
    if not words:
        return ""
    hits = [i for i, w in enumerate(words) if word_stems.get(_last_word(w)) in stems] if stems else []
    start = 0
    if hits:  # the window start that covers the most hits
        best = -1
        for h in hits:
            s = max(0, h - width // 3)
            n = sum(1 for x in hits if s <= x < s + width)
            if n > best:
                best, start = n, s
    out = " ".join(words[start:start + width])
    return ("… " if start else "") + out + (" …" if start + width < len(words) else "")
