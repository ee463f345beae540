-- 0010: the integer article key of 0007 on mentions, claims and annotations (added here, after 0009
-- rebuilt those three tables), and small aggregate tables for the speaker and co-occurrence queries,
-- which would otherwise join and count millions of rows for every call. All derived:
-- pipeline.store.derived.refresh_derived() fills the keys of new rows (the analysis replaces an
-- article's rows together, so they arrive with NULL) and rebuilds the aggregates when what they
-- count changed. A later migration that rebuilds one of these tables must copy article_key too.

ALTER TABLE mentions ADD COLUMN article_key INTEGER;
COMMENT ON COLUMN mentions.article_key IS 'articles.article_key of article_id (derived; filled by the store after each stage).';
ALTER TABLE claims ADD COLUMN article_key INTEGER;
COMMENT ON COLUMN claims.article_key IS 'articles.article_key of article_id (derived; filled by the store after each stage).';
ALTER TABLE annotations ADD COLUMN article_key INTEGER;
COMMENT ON COLUMN annotations.article_key IS 'articles.article_key of article_id (derived; filled by the store after each stage).';

-- Aggregates: one row per combination of the queries' filters (on topic or not, syndicated copy or
-- not), so that any filter is a sum over a few rows; an article is in exactly one combination, so
-- article counts add up across them.
CREATE TABLE speaker_stats (
    speaker_id  VARCHAR NOT NULL,
    is_relevant BOOLEAN NOT NULL,
    is_copy     BOOLEAN NOT NULL,
    claims      BIGINT NOT NULL,
    articles    BIGINT NOT NULL,
    direct      BIGINT NOT NULL,
    indirect    BIGINT NOT NULL,
    selon       BIGINT NOT NULL,
    first_at    TIMESTAMPTZ,
    last_at     TIMESTAMPTZ,
    outlets     VARCHAR[] NOT NULL,
    latest      STRUCT(published_at TIMESTAMPTZ, content VARCHAR)[] NOT NULL,
    PRIMARY KEY (speaker_id, is_relevant, is_copy)
);
COMMENT ON TABLE speaker_stats IS 'Claims per resolved speaker (derived from claims and articles by the store; read by top_speakers).';
COMMENT ON COLUMN speaker_stats.speaker_id IS 'claims.speaker_id (never NULL here).';
COMMENT ON COLUMN speaker_stats.is_relevant IS 'articles.is_relevant of the claims'' articles (NULL counted as false).';
COMMENT ON COLUMN speaker_stats.is_copy IS 'articles.is_syndicated_copy of the claims'' articles (NULL counted as false).';
COMMENT ON COLUMN speaker_stats.claims IS 'Claims.';
COMMENT ON COLUMN speaker_stats.articles IS 'Distinct articles with at least one of these claims.';
COMMENT ON COLUMN speaker_stats.direct IS 'Claims of kind direct.';
COMMENT ON COLUMN speaker_stats.indirect IS 'Claims of kind indirect.';
COMMENT ON COLUMN speaker_stats.selon IS 'Claims of kind selon.';
COMMENT ON COLUMN speaker_stats.first_at IS 'Earliest publication time of these claims'' articles.';
COMMENT ON COLUMN speaker_stats.last_at IS 'Latest publication time of these claims'' articles.';
COMMENT ON COLUMN speaker_stats.outlets IS 'Distinct outlets of these claims'' articles.';
COMMENT ON COLUMN speaker_stats.latest IS 'The 10 claims with the latest publication times, latest first (content and time).';

CREATE TABLE speaker_stances (
    speaker_id  VARCHAR NOT NULL,
    is_relevant BOOLEAN NOT NULL,
    is_copy     BOOLEAN NOT NULL,
    target      VARCHAR NOT NULL,
    label       VARCHAR NOT NULL,
    claims      BIGINT NOT NULL,
    PRIMARY KEY (speaker_id, is_relevant, is_copy, target, label)
);
COMMENT ON TABLE speaker_stances IS 'Claims per resolved speaker and claim stance (annotations task stance, scope claim, keyed by the claim''s field and content_start); derived by the store, read by claims_by_actor.';
COMMENT ON COLUMN speaker_stances.speaker_id IS 'claims.speaker_id (never NULL here).';
COMMENT ON COLUMN speaker_stances.is_relevant IS 'articles.is_relevant of the claims'' articles (NULL counted as false).';
COMMENT ON COLUMN speaker_stances.is_copy IS 'articles.is_syndicated_copy of the claims'' articles (NULL counted as false).';
COMMENT ON COLUMN speaker_stances.target IS 'Stance target of the annotation.';
COMMENT ON COLUMN speaker_stances.label IS 'Stance label of the claim toward the target.';
COMMENT ON COLUMN speaker_stances.claims IS 'Claims with that label.';

CREATE TABLE entity_articles (
    entity      VARCHAR NOT NULL,
    is_relevant BOOLEAN NOT NULL,
    is_copy     BOOLEAN NOT NULL,
    is_actor    BOOLEAN NOT NULL,
    articles    BIGINT NOT NULL,
    PRIMARY KEY (entity, is_relevant, is_copy, is_actor)
);
COMMENT ON TABLE entity_articles IS 'Articles naming each entity (mentions; derived by the store, read by entity_cooccurrence).';
COMMENT ON COLUMN entity_articles.entity IS 'coalesce(actor_id, label || '':'' || lower(text)) of the mentions.';
COMMENT ON COLUMN entity_articles.is_relevant IS 'articles.is_relevant (NULL counted as false).';
COMMENT ON COLUMN entity_articles.is_copy IS 'articles.is_syndicated_copy (NULL counted as false).';
COMMENT ON COLUMN entity_articles.is_actor IS 'At least one of the entity''s mentions in the article is linked to an actor.';
COMMENT ON COLUMN entity_articles.articles IS 'Articles.';

CREATE TABLE entity_pairs (
    entity_a    VARCHAR NOT NULL,
    entity_b    VARCHAR NOT NULL,
    outlet_id   VARCHAR NOT NULL,
    is_relevant BOOLEAN NOT NULL,
    is_copy     BOOLEAN NOT NULL,
    actors      BOOLEAN NOT NULL,
    articles    BIGINT NOT NULL,
    first_at    TIMESTAMPTZ,
    last_at     TIMESTAMPTZ,
    PRIMARY KEY (entity_a, entity_b, outlet_id, is_relevant, is_copy, actors)
);
COMMENT ON TABLE entity_pairs IS 'Pairs of entities named in the same articles, per outlet (derived by the store from mentions, read by entity_cooccurrence).';
COMMENT ON COLUMN entity_pairs.entity_a IS 'First entity of the pair in text order (as entity_articles.entity).';
COMMENT ON COLUMN entity_pairs.entity_b IS 'Second entity of the pair (entity_a < entity_b).';
COMMENT ON COLUMN entity_pairs.outlet_id IS 'Outlet of the articles.';
COMMENT ON COLUMN entity_pairs.is_relevant IS 'articles.is_relevant (NULL counted as false).';
COMMENT ON COLUMN entity_pairs.is_copy IS 'articles.is_syndicated_copy (NULL counted as false).';
COMMENT ON COLUMN entity_pairs.actors IS 'Both entities have a mention linked to an actor in these articles.';
COMMENT ON COLUMN entity_pairs.articles IS 'Articles naming both.';
COMMENT ON COLUMN entity_pairs.first_at IS 'Earliest publication time of these articles.';
COMMENT ON COLUMN entity_pairs.last_at IS 'Latest publication time of these articles.';

CREATE TABLE derived_state (
    name         VARCHAR PRIMARY KEY,
    fingerprint  VARCHAR NOT NULL,
    rows         BIGINT,
    refreshed_at TIMESTAMPTZ NOT NULL,
    seconds      DOUBLE
);
COMMENT ON TABLE derived_state IS 'When each derived aggregate table was last rebuilt and from what (pipeline.store.derived).';
COMMENT ON COLUMN derived_state.name IS 'Aggregate group: speakers (speaker_stats, speaker_stances) or entities (entity_articles, entity_pairs).';
COMMENT ON COLUMN derived_state.fingerprint IS 'Digest of the rows it was built from; a different value makes the store rebuild it.';
COMMENT ON COLUMN derived_state.rows IS 'Rows written.';
COMMENT ON COLUMN derived_state.refreshed_at IS 'When it was rebuilt (UTC).';
COMMENT ON COLUMN derived_state.seconds IS 'How long the rebuild took, in seconds.';
