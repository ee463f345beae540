-- 0002: near-duplicate detection. MinHash signatures of article texts, kept so that each run compares
-- new articles with earlier ones without re-reading and re-shingling every stored text.

CREATE TABLE article_minhash (
    article_id     VARCHAR PRIMARY KEY,
    content_sha256 VARCHAR NOT NULL,
    num_perm       INTEGER NOT NULL,
    shingle_size   INTEGER NOT NULL,
    scheme         VARCHAR NOT NULL,
    signature      BLOB NOT NULL,
    run_id         VARCHAR NOT NULL,
    computed_at    TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE article_minhash IS 'MinHash signature of each article text (word shingles), for incremental near-duplicate clustering.';
COMMENT ON COLUMN article_minhash.article_id IS 'Article the signature belongs to (articles.article_id).';
COMMENT ON COLUMN article_minhash.content_sha256 IS 'articles.content_sha256 the signature was computed from; a different value means the text changed and the signature is stale.';
COMMENT ON COLUMN article_minhash.num_perm IS 'Number of MinHash permutations (extract.minhash_permutations when computed).';
COMMENT ON COLUMN article_minhash.shingle_size IS 'Words per shingle.';
COMMENT ON COLUMN article_minhash.scheme IS 'datasketch permutation scheme (affine32); signatures of different schemes are never compared.';
COMMENT ON COLUMN article_minhash.signature IS 'The num_perm hash values, little-endian unsigned 32-bit integers (affine32).';
COMMENT ON COLUMN article_minhash.run_id IS 'Run that computed the signature.';
COMMENT ON COLUMN article_minhash.computed_at IS 'When the signature was computed (UTC).';
