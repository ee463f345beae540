-- 0007: derived columns for the analysts' queries (issue 7: every query under 1 s at 1,000,000 articles).
-- Joining the analysis tables to articles on the 16-character article_id costs several times more than
-- on an integer, and cutting a million publication times into local days with ICU costs about a
-- second: articles get an integer surrogate key and their publication day in Europe/Paris, the child
-- tables a copy of the key. These columns are derived: pipeline.store.derived.refresh_derived() fills
-- and corrects them (idempotent, incremental); the nightly run calls it after every stage that writes,
-- before the snapshot is published. The key of mentions, claims and annotations is added by 0010,
-- after 0009 rebuilds those three tables.

CREATE SEQUENCE article_key_seq START 1;
-- The default numbers new rows at insert; existing rows are numbered by this statement.
ALTER TABLE articles ADD COLUMN article_key INTEGER DEFAULT nextval('article_key_seq');
COMMENT ON COLUMN articles.article_key IS 'Integer surrogate key of the article (never reused): the analysis tables carry it too, and queries join on it rather than on article_id.';

ALTER TABLE articles ADD COLUMN published_day DATE;
COMMENT ON COLUMN articles.published_day IS 'Publication day in Europe/Paris (the queries'' default zone), derived from published_at by the store (refresh_derived); NULL when published_at is.';

ALTER TABLE predictions ADD COLUMN article_key INTEGER;
COMMENT ON COLUMN predictions.article_key IS 'articles.article_key of article_id (derived; filled by the store after each stage).';

-- The full-text index is now updated in place (pipeline/store/search.py): what its last update did.
ALTER TABLE search_index ADD COLUMN config VARCHAR;
ALTER TABLE search_index ADD COLUMN update_kind VARCHAR;
ALTER TABLE search_index ADD COLUMN updated_documents BIGINT;
COMMENT ON COLUMN search_index.config IS 'Digest of what tokens depend on besides the articles (stemmer, stop words, duckdb and extension versions); a different value forces a full build.';
COMMENT ON COLUMN search_index.update_kind IS 'full (index created again, every article tokenised) or incremental (only new, re-extracted and deleted articles).';
COMMENT ON COLUMN search_index.updated_documents IS 'Documents (re)indexed or removed by the last update.';
COMMENT ON COLUMN search_index.built_at IS 'When the index was last updated (UTC).';
COMMENT ON COLUMN search_index.build_seconds IS 'How long the last update took, in seconds.';
COMMENT ON COLUMN search_index.fingerprint IS 'Hash of the indexed rows (ids and extraction times) at the last update; a different value means the index is stale.';
