-- 0005: nightly operations. Where a run is (or died), its structured log, time per stage, and the
-- state of the full-text search index (rebuilt by the nightly run only when articles changed).

ALTER TABLE runs ADD COLUMN stage VARCHAR;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN hostname VARCHAR;
ALTER TABLE runs ADD COLUMN log_path VARCHAR;
ALTER TABLE runs ADD COLUMN stage_seconds MAP(VARCHAR, DOUBLE);
COMMENT ON COLUMN runs.status IS 'running, ok (completed; item failures are counted in failures), failed (a stage raised), interrupted (the process died or was stopped; a run found still running is marked so by the next run).';
COMMENT ON COLUMN runs.stage IS 'Stage the run is in (collect, extract, index, analyse, classify, report), or was in when it stopped; done when complete.';
COMMENT ON COLUMN runs.pid IS 'Process id of the run (to tell which process held the lock).';
COMMENT ON COLUMN runs.hostname IS 'Machine that ran it.';
COMMENT ON COLUMN runs.log_path IS 'Structured log of the run: JSON lines, one event per line (see docs/operations.md).';
COMMENT ON COLUMN runs.stage_seconds IS 'Wall time of each stage in seconds, including publishing the snapshot after it.';

CREATE TABLE search_index (
    name          VARCHAR PRIMARY KEY,
    fingerprint   VARCHAR NOT NULL,
    documents     BIGINT NOT NULL,
    terms         BIGINT,
    stemmer       VARCHAR NOT NULL,
    built_at      TIMESTAMPTZ NOT NULL,
    build_seconds DOUBLE,
    run_id        VARCHAR
);
COMMENT ON TABLE search_index IS 'State of each DuckDB full-text (BM25) index: what it was built from and what it cost.';
COMMENT ON COLUMN search_index.name IS 'Indexed table (articles); the index lives in schema fts_main_<name>.';
COMMENT ON COLUMN search_index.fingerprint IS 'Hash of the indexed rows (ids and extraction times) at build time; a different value means the index is stale.';
COMMENT ON COLUMN search_index.documents IS 'Documents in the index.';
COMMENT ON COLUMN search_index.terms IS 'Distinct stemmed terms in the index.';
COMMENT ON COLUMN search_index.stemmer IS 'Snowball stemmer used (french).';
COMMENT ON COLUMN search_index.built_at IS 'When the index was built (UTC).';
COMMENT ON COLUMN search_index.build_seconds IS 'How long the build took, in seconds.';
COMMENT ON COLUMN search_index.run_id IS 'Run that built it.';
