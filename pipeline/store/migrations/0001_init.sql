-- 0001: initial schema. Every table has a natural key; derived rows carry run id and model/extractor.

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    command       VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,
    settings_hash VARCHAR,
    counts        MAP(VARCHAR, BIGINT),
    failures      MAP(VARCHAR, BIGINT),
    versions      MAP(VARCHAR, VARCHAR),
    summary       VARCHAR
);
COMMENT ON TABLE runs IS 'One row per invocation of a pipeline command (nightly, reprocess, classify...).';
COMMENT ON COLUMN runs.run_id IS 'Run identifier: UTC start time plus a random suffix, e.g. 20250129T020000Z-3f9a.';
COMMENT ON COLUMN runs.command IS 'The command that started the run (nightly, reprocess, classify, ...).';
COMMENT ON COLUMN runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'When the run ended (UTC); NULL while running or after a crash.';
COMMENT ON COLUMN runs.status IS 'running, ok, failed, or partial (finished with item failures).';
COMMENT ON COLUMN runs.settings_hash IS 'sha256 of the effective settings, to tell runs with different configuration apart.';
COMMENT ON COLUMN runs.counts IS 'Counters per stage, e.g. {discovered: 220, fetched: 215, extracted: 210}.';
COMMENT ON COLUMN runs.failures IS 'Number of failures by reason code in this run.';
COMMENT ON COLUMN runs.versions IS 'Versions of the extractors, spaCy pipeline and models used by the run.';
COMMENT ON COLUMN runs.summary IS 'The one-paragraph summary printed at the end of the run.';

CREATE TABLE outlets (
    outlet_id           VARCHAR PRIMARY KEY,
    name                VARCHAR NOT NULL,
    kind                VARCHAR,
    country             VARCHAR,
    language            VARCHAR,
    homepage            VARCHAR,
    feeds               VARCHAR[],
    sitemaps            VARCHAR[],
    requests_per_second DOUBLE,
    concurrency         INTEGER,
    run_id              VARCHAR
);
COMMENT ON TABLE outlets IS 'Configured outlets (from the sources file), refreshed at each run.';
COMMENT ON COLUMN outlets.outlet_id IS 'Short stable identifier of the outlet, e.g. horizon.';
COMMENT ON COLUMN outlets.name IS 'Display name of the outlet.';
COMMENT ON COLUMN outlets.kind IS 'Kind of outlet: national daily, wire agency, blog...';
COMMENT ON COLUMN outlets.country IS 'ISO country code of the outlet (FR, BE, CH, CA...).';
COMMENT ON COLUMN outlets.language IS 'Expected language of the outlet.';
COMMENT ON COLUMN outlets.homepage IS 'Homepage URL.';
COMMENT ON COLUMN outlets.feeds IS 'RSS/Atom feed URLs used for discovery.';
COMMENT ON COLUMN outlets.sitemaps IS 'XML or news sitemap URLs used for discovery.';
COMMENT ON COLUMN outlets.requests_per_second IS 'Politeness: maximum request rate to this host.';
COMMENT ON COLUMN outlets.concurrency IS 'Politeness: maximum concurrent requests to this host.';
COMMENT ON COLUMN outlets.run_id IS 'Run that last wrote this row.';

CREATE TABLE source_cursors (
    source_url     VARCHAR PRIMARY KEY,
    outlet_id      VARCHAR NOT NULL,
    source_kind    VARCHAR NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    last_entry_at  TIMESTAMPTZ,
    entries_seen   BIGINT,
    checked_at     TIMESTAMPTZ,
    run_id         VARCHAR
);
COMMENT ON TABLE source_cursors IS 'Incremental cursor per feed or sitemap: conditional-GET validators and the newest entry seen.';
COMMENT ON COLUMN source_cursors.source_url IS 'Feed or sitemap URL (natural key).';
COMMENT ON COLUMN source_cursors.outlet_id IS 'Outlet the source belongs to.';
COMMENT ON COLUMN source_cursors.source_kind IS 'feed or sitemap.';
COMMENT ON COLUMN source_cursors.etag IS 'ETag of the last 200 response, sent back as If-None-Match.';
COMMENT ON COLUMN source_cursors.last_modified IS 'Last-Modified of the last 200 response, sent back as If-Modified-Since.';
COMMENT ON COLUMN source_cursors.last_entry_at IS 'Publication time of the newest entry seen so far.';
COMMENT ON COLUMN source_cursors.entries_seen IS 'Entries in the source at the last successful check.';
COMMENT ON COLUMN source_cursors.checked_at IS 'When the source was last checked.';
COMMENT ON COLUMN source_cursors.run_id IS 'Run that last checked the source.';

CREATE TABLE discovered (
    url_key        VARCHAR PRIMARY KEY,
    url            VARCHAR NOT NULL,
    outlet_id      VARCHAR NOT NULL,
    source_url     VARCHAR,
    title          VARCHAR,
    published_hint TIMESTAMPTZ,
    first_run_id   VARCHAR,
    last_run_id    VARCHAR,
    state          VARCHAR NOT NULL
);
COMMENT ON TABLE discovered IS 'Article URLs found in feeds and sitemaps: the crawl frontier.';
COMMENT ON COLUMN discovered.url_key IS 'sha256 of the normalised URL, 16 hex chars (natural key).';
COMMENT ON COLUMN discovered.url IS 'Normalised article URL (tracking parameters removed).';
COMMENT ON COLUMN discovered.outlet_id IS 'Outlet whose feed or sitemap listed the URL.';
COMMENT ON COLUMN discovered.source_url IS 'Feed or sitemap where the URL was first found.';
COMMENT ON COLUMN discovered.title IS 'Title given by the feed entry, if any.';
COMMENT ON COLUMN discovered.published_hint IS 'Publication time given by the feed or sitemap, if any.';
COMMENT ON COLUMN discovered.first_run_id IS 'Run that first discovered the URL.';
COMMENT ON COLUMN discovered.last_run_id IS 'Run that last saw the URL in a source.';
COMMENT ON COLUMN discovered.state IS 'new (to fetch), fetched, or failed (see failures).';

CREATE TABLE pages (
    page_key     VARCHAR PRIMARY KEY,
    url          VARCHAR NOT NULL,
    final_url    VARCHAR NOT NULL,
    outlet_id    VARCHAR NOT NULL,
    status_code  INTEGER,
    content_type VARCHAR,
    charset      VARCHAR,
    fetched_at   TIMESTAMPTZ NOT NULL,
    body_sha256  VARCHAR,
    size_bytes   BIGINT,
    warc_path    VARCHAR,
    warc_offset  BIGINT,
    extract_status VARCHAR NOT NULL DEFAULT 'pending',
    run_id       VARCHAR NOT NULL
);
COMMENT ON TABLE pages IS 'Raw fetched pages: where each response is archived (WARC) and how it was decoded.';
COMMENT ON COLUMN pages.page_key IS 'sha256 of the requested URL, 16 hex chars (natural key).';
COMMENT ON COLUMN pages.url IS 'Requested URL.';
COMMENT ON COLUMN pages.final_url IS 'URL after redirects.';
COMMENT ON COLUMN pages.outlet_id IS 'Outlet of the page.';
COMMENT ON COLUMN pages.status_code IS 'HTTP status of the final response.';
COMMENT ON COLUMN pages.content_type IS 'Content-Type header of the response.';
COMMENT ON COLUMN pages.charset IS 'Character set used to decode the body (header, meta or detection).';
COMMENT ON COLUMN pages.fetched_at IS 'When the response was received (UTC).';
COMMENT ON COLUMN pages.body_sha256 IS 'sha256 of the raw body bytes.';
COMMENT ON COLUMN pages.size_bytes IS 'Body size in bytes.';
COMMENT ON COLUMN pages.warc_path IS 'WARC file holding the response (relative to the archive folder).';
COMMENT ON COLUMN pages.warc_offset IS 'Byte offset of the response record in the WARC file.';
COMMENT ON COLUMN pages.extract_status IS 'pending (not yet extracted), done (an articles row exists) or failed (see failures).';
COMMENT ON COLUMN pages.run_id IS 'Run that fetched the page.';

CREATE TABLE articles (
    article_id     VARCHAR PRIMARY KEY,
    canonical_url  VARCHAR NOT NULL,
    url            VARCHAR NOT NULL,
    page_key       VARCHAR,
    outlet_id      VARCHAR NOT NULL,
    title          VARCHAR,
    authors        VARCHAR[],
    published_at   TIMESTAMPTZ,
    date_source    VARCHAR,
    modified_at    TIMESTAMPTZ,
    language       VARCHAR,
    text           VARCHAR,
    word_count     INTEGER,
    content_sha256 VARCHAR,
    cluster_id     VARCHAR,
    is_syndicated_copy BOOLEAN,
    relevance      DOUBLE,
    matched_terms  VARCHAR[],
    is_relevant    BOOLEAN,
    extractor      VARCHAR,
    field_sources  MAP(VARCHAR, VARCHAR),
    nlp_version    VARCHAR,
    run_id         VARCHAR NOT NULL,
    extracted_at   TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE articles IS 'Extracted articles, one per canonical URL.';
COMMENT ON COLUMN articles.article_id IS 'sha256 of the canonical URL, 16 hex chars (natural key).';
COMMENT ON COLUMN articles.canonical_url IS 'rel=canonical URL (or the fetched URL) with tracking parameters removed.';
COMMENT ON COLUMN articles.url IS 'URL the article was fetched from.';
COMMENT ON COLUMN articles.page_key IS 'Key of the raw page in pages.';
COMMENT ON COLUMN articles.outlet_id IS 'Outlet that published the article.';
COMMENT ON COLUMN articles.title IS 'Headline.';
COMMENT ON COLUMN articles.authors IS 'Bylines, as a list of names.';
COMMENT ON COLUMN articles.published_at IS 'Publication time; never after the fetch time.';
COMMENT ON COLUMN articles.date_source IS 'Reliability of published_at: metadata (structured), text (visible text), url (URL only) or none.';
COMMENT ON COLUMN articles.modified_at IS 'Last-modified time declared by the page, if any.';
COMMENT ON COLUMN articles.language IS 'Detected language (ISO 639-1).';
COMMENT ON COLUMN articles.text IS 'Main text, paragraphs separated by blank lines.';
COMMENT ON COLUMN articles.word_count IS 'Words in the main text.';
COMMENT ON COLUMN articles.content_sha256 IS 'sha256 of the normalised main text (exact-duplicate detection).';
COMMENT ON COLUMN articles.cluster_id IS 'Near-duplicate cluster (syndicated copies share it): the article_id of the earliest member.';
COMMENT ON COLUMN articles.is_syndicated_copy IS 'True for every cluster member but the earliest: exclude these to count without syndicated copies.';
COMMENT ON COLUMN articles.relevance IS 'Topic keyword score (see the topic file).';
COMMENT ON COLUMN articles.matched_terms IS 'Topic terms found in the title and text.';
COMMENT ON COLUMN articles.is_relevant IS 'relevance >= the configured threshold: the article gets the full analysis.';
COMMENT ON COLUMN articles.extractor IS 'Extraction combination and versions, e.g. newspaper3k 0.2.8 + trafilatura 2.3.1.';
COMMENT ON COLUMN articles.field_sources IS 'Which extractor provided each field (title, authors, published_at, text).';
COMMENT ON COLUMN articles.nlp_version IS 'Version of the analysis pipeline whose mentions, claims and annotations are stored for this article; NULL = not analysed.';
COMMENT ON COLUMN articles.run_id IS 'Run that extracted the article.';
COMMENT ON COLUMN articles.extracted_at IS 'When the article was extracted (UTC).';

CREATE TABLE failures (
    run_id      VARCHAR NOT NULL,
    stage       VARCHAR NOT NULL,
    item        VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    detail      VARCHAR,
    outlet_id   VARCHAR,
    occurred_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, stage, item, reason)
);
COMMENT ON TABLE failures IS 'Items a run could not process, with a stable reason code; the run went on.';
COMMENT ON COLUMN failures.run_id IS 'Run in which the failure happened.';
COMMENT ON COLUMN failures.stage IS 'collect, extract, nlp, classify...';
COMMENT ON COLUMN failures.item IS 'The URL or article id concerned.';
COMMENT ON COLUMN failures.reason IS 'Stable reason code: http_error, timeout, too_large, robots_disallowed, bad_charset, parse_error, empty_text, not_french, duplicate...';
COMMENT ON COLUMN failures.detail IS 'Human-readable detail (status code, exception message).';
COMMENT ON COLUMN failures.outlet_id IS 'Outlet concerned, if known.';
COMMENT ON COLUMN failures.occurred_at IS 'When it happened (UTC).';

CREATE TABLE mentions (
    article_id   VARCHAR NOT NULL,
    start_char   INTEGER NOT NULL,
    end_char     INTEGER NOT NULL,
    text         VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,
    actor_id     VARCHAR,
    link_method  VARCHAR,
    model        VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (article_id, start_char, end_char)
);
COMMENT ON TABLE mentions IS 'Named-entity mentions in article texts, linked to canonical actors where possible.';
COMMENT ON COLUMN mentions.article_id IS 'Article the mention is in.';
COMMENT ON COLUMN mentions.start_char IS 'Start offset in articles.text (characters).';
COMMENT ON COLUMN mentions.end_char IS 'End offset in articles.text (characters, exclusive).';
COMMENT ON COLUMN mentions.text IS 'Surface text of the mention.';
COMMENT ON COLUMN mentions.label IS 'Entity label: PER, ORG, LOC, MISC, PRODUCT, GOV.';
COMMENT ON COLUMN mentions.actor_id IS 'Canonical actor id from the topic file; NULL for entities that are not actors.';
COMMENT ON COLUMN mentions.link_method IS 'How the actor was linked: alias (topic-file rule), model (spaCy NER only), coref (pronoun/description).';
COMMENT ON COLUMN mentions.model IS 'spaCy pipeline name and version that produced the mention.';
COMMENT ON COLUMN mentions.run_id IS 'Run that produced the mention.';

CREATE TABLE claims (
    article_id        VARCHAR NOT NULL,
    content_start     INTEGER NOT NULL,
    content_end       INTEGER NOT NULL,
    content           VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,
    cue               VARCHAR,
    speaker_text      VARCHAR,
    speaker_id        VARCHAR,
    speaker_resolution VARCHAR,
    model             VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    PRIMARY KEY (article_id, content_start)
);
COMMENT ON TABLE claims IS 'Who said what: reported claims with speaker, reporting cue and content span.';
COMMENT ON COLUMN claims.article_id IS 'Article the claim is in.';
COMMENT ON COLUMN claims.content_start IS 'Start offset of the claim content in articles.text.';
COMMENT ON COLUMN claims.content_end IS 'End offset of the claim content (exclusive).';
COMMENT ON COLUMN claims.content IS 'What was said (quoted words or the que-clause).';
COMMENT ON COLUMN claims.kind IS 'direct (quotation), indirect (reporting verb + que) or selon (selon X / d''apres X / pour X).';
COMMENT ON COLUMN claims.cue IS 'Lemma of the reporting cue (affirmer, estimer, selon...).';
COMMENT ON COLUMN claims.speaker_text IS 'Speaker as written at the claim (name, pronoun or description).';
COMMENT ON COLUMN claims.speaker_id IS 'Canonical actor id, or person:Name for other people; NULL if unresolved.';
COMMENT ON COLUMN claims.speaker_resolution IS 'name (named at the claim), pronoun or description (resolved indirectly), unresolved.';
COMMENT ON COLUMN claims.model IS 'Pipeline name and version that extracted the claim.';
COMMENT ON COLUMN claims.run_id IS 'Run that extracted the claim.';

CREATE TABLE annotations (
    article_id    VARCHAR NOT NULL,
    task          VARCHAR NOT NULL,
    scope         VARCHAR NOT NULL,
    target        VARCHAR NOT NULL,
    span_start    INTEGER NOT NULL,
    span_end      INTEGER NOT NULL,
    label         VARCHAR NOT NULL,
    probs         MAP(VARCHAR, DOUBLE),
    model_name    VARCHAR NOT NULL,
    model_version VARCHAR,
    model_hash    VARCHAR,
    backend       VARCHAR,
    run_id        VARCHAR NOT NULL,
    PRIMARY KEY (article_id, task, scope, target, span_start)
);
COMMENT ON TABLE annotations IS 'Sentiment, tone and stance labels with probabilities, per sentence, claim and article.';
COMMENT ON COLUMN annotations.article_id IS 'Article annotated.';
COMMENT ON COLUMN annotations.task IS 'sentiment (of a sentence/claim), tone (toward an actor) or stance (toward a stance target).';
COMMENT ON COLUMN annotations.scope IS 'sentence, claim or article.';
COMMENT ON COLUMN annotations.target IS 'Stance target id or actor id for tone; empty for plain sentiment.';
COMMENT ON COLUMN annotations.span_start IS 'Start offset of the sentence/claim in articles.text; 0 for article scope.';
COMMENT ON COLUMN annotations.span_end IS 'End offset; length of the text for article scope.';
COMMENT ON COLUMN annotations.label IS 'négatif/neutre/positif for sentiment and tone; soutient/conteste/neutre for stance.';
COMMENT ON COLUMN annotations.probs IS 'Probability of each label.';
COMMENT ON COLUMN annotations.model_name IS 'Model that produced the label (bundled name or Hugging Face id).';
COMMENT ON COLUMN annotations.model_version IS 'Model version or revision.';
COMMENT ON COLUMN annotations.model_hash IS 'Hash of the model weights.';
COMMENT ON COLUMN annotations.backend IS 'bundled or transformers.';
COMMENT ON COLUMN annotations.run_id IS 'Run that produced the label.';

CREATE TABLE predictions (
    article_id        VARCHAR NOT NULL,
    model_name        VARCHAR NOT NULL,
    model_version     VARCHAR NOT NULL,
    on_topic_prob     DOUBLE,
    stance            VARCHAR,
    stance_probs      MAP(VARCHAR, DOUBLE),
    tone_openai       VARCHAR,
    tone_openai_probs MAP(VARCHAR, DOUBLE),
    tone_deepseek     VARCHAR,
    tone_deepseek_probs MAP(VARCHAR, DOUBLE),
    run_id            VARCHAR NOT NULL,
    predicted_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (article_id, model_version)
);
COMMENT ON TABLE predictions IS 'Distilled student classifier outputs per article and student version.';
COMMENT ON COLUMN predictions.article_id IS 'Article scored.';
COMMENT ON COLUMN predictions.model_name IS 'Student model name.';
COMMENT ON COLUMN predictions.model_version IS 'Student version (hash of weights and config).';
COMMENT ON COLUMN predictions.on_topic_prob IS 'Probability that the article is about the followed dispute.';
COMMENT ON COLUMN predictions.stance IS 'Most probable stance toward the accusation.';
COMMENT ON COLUMN predictions.stance_probs IS 'Probabilities of soutient/conteste/neutre.';
COMMENT ON COLUMN predictions.tone_openai IS 'Most probable tone toward OpenAI.';
COMMENT ON COLUMN predictions.tone_openai_probs IS 'Probabilities of négatif/neutre/positif toward OpenAI.';
COMMENT ON COLUMN predictions.tone_deepseek IS 'Most probable tone toward DeepSeek.';
COMMENT ON COLUMN predictions.tone_deepseek_probs IS 'Probabilities of négatif/neutre/positif toward DeepSeek.';
COMMENT ON COLUMN predictions.run_id IS 'Run that scored the article.';
COMMENT ON COLUMN predictions.predicted_at IS 'When the article was scored (UTC).';
