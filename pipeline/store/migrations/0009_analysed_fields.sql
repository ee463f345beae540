-- 0009: the analysis reads title, lead (chapô) and body; each mention, claim and sentence/claim label
-- says which field it is in, with offsets relative to that field. DuckDB cannot change a primary key in
-- place, so the three tables are rebuilt (existing rows are body rows: field = 'text').

ALTER TABLE articles ADD COLUMN lead VARCHAR;
COMMENT ON COLUMN articles.lead IS 'Lead (chapô) shown between the title and the body, when the page declares one (description) that is visible and not already the start of the text; NULL otherwise.';

CREATE TABLE mentions_0009 (
    article_id   VARCHAR NOT NULL,
    field        VARCHAR NOT NULL DEFAULT 'text',
    start_char   INTEGER NOT NULL,
    end_char     INTEGER NOT NULL,
    text         VARCHAR NOT NULL,
    label        VARCHAR NOT NULL,
    actor_id     VARCHAR,
    link_method  VARCHAR,
    model        VARCHAR NOT NULL,
    run_id       VARCHAR NOT NULL,
    PRIMARY KEY (article_id, field, start_char, end_char)
);
INSERT INTO mentions_0009 (article_id, field, start_char, end_char, text, label, actor_id, link_method, model, run_id)
    SELECT article_id, 'text', start_char, end_char, text, label, actor_id, link_method, model, run_id FROM mentions;
DROP TABLE mentions;
ALTER TABLE mentions_0009 RENAME TO mentions;
COMMENT ON TABLE mentions IS 'Named-entity mentions in article titles, leads and texts, linked to canonical actors where possible.';
COMMENT ON COLUMN mentions.article_id IS 'Article the mention is in.';
COMMENT ON COLUMN mentions.field IS 'Article field the mention is in: title, lead or text (articles column of that name).';
COMMENT ON COLUMN mentions.start_char IS 'Start offset in that field (characters).';
COMMENT ON COLUMN mentions.end_char IS 'End offset in that field (characters, exclusive).';
COMMENT ON COLUMN mentions.text IS 'Surface text of the mention.';
COMMENT ON COLUMN mentions.label IS 'Entity label: PER, ORG, LOC, MISC, PRODUCT, GOV.';
COMMENT ON COLUMN mentions.actor_id IS 'Canonical actor id from the topic file; NULL for entities that are not actors.';
COMMENT ON COLUMN mentions.link_method IS 'How the actor was linked: alias (topic-file rule), model (spaCy NER only), coref (pronoun/description).';
COMMENT ON COLUMN mentions.model IS 'spaCy pipeline name and version that produced the mention.';
COMMENT ON COLUMN mentions.run_id IS 'Run that produced the mention.';

CREATE TABLE claims_0009 (
    article_id        VARCHAR NOT NULL,
    field             VARCHAR NOT NULL DEFAULT 'text',
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
    speaker_start     INTEGER,
    speaker_end       INTEGER,
    PRIMARY KEY (article_id, field, content_start)
);
INSERT INTO claims_0009 (article_id, field, content_start, content_end, content, kind, cue, speaker_text, speaker_id,
                         speaker_resolution, model, run_id, speaker_start, speaker_end)
    SELECT article_id, 'text', content_start, content_end, content, kind, cue, speaker_text, speaker_id,
           speaker_resolution, model, run_id, speaker_start, speaker_end FROM claims;
DROP TABLE claims;
ALTER TABLE claims_0009 RENAME TO claims;
COMMENT ON TABLE claims IS 'Who said what: reported claims with speaker, reporting cue and content span.';
COMMENT ON COLUMN claims.article_id IS 'Article the claim is in.';
COMMENT ON COLUMN claims.field IS 'Article field the claim is in: title, lead or text.';
COMMENT ON COLUMN claims.content_start IS 'Start offset of the claim content in that field.';
COMMENT ON COLUMN claims.content_end IS 'End offset of the claim content (exclusive).';
COMMENT ON COLUMN claims.content IS 'What was said (quoted words or the que-clause).';
COMMENT ON COLUMN claims.kind IS 'direct (quotation), indirect (reporting verb + que) or selon (selon X / d''apres X / pour X).';
COMMENT ON COLUMN claims.cue IS 'Lemma of the reporting cue (affirmer, estimer, selon...).';
COMMENT ON COLUMN claims.speaker_text IS 'Speaker as written at the claim (name, pronoun or description).';
COMMENT ON COLUMN claims.speaker_id IS 'Canonical actor id, or person:Name for other people; NULL if unresolved.';
COMMENT ON COLUMN claims.speaker_resolution IS 'name (named at the claim), pronoun or description (resolved indirectly), unresolved.';
COMMENT ON COLUMN claims.model IS 'Pipeline name and version that extracted the claim.';
COMMENT ON COLUMN claims.run_id IS 'Run that extracted the claim.';
COMMENT ON COLUMN claims.speaker_start IS 'Start offset, in the claim''s field, of the speaker as written at the claim (name, pronoun or description); NULL if none or written in another field.';
COMMENT ON COLUMN claims.speaker_end IS 'End offset (exclusive) of the speaker as written.';

CREATE TABLE annotations_0009 (
    article_id    VARCHAR NOT NULL,
    task          VARCHAR NOT NULL,
    scope         VARCHAR NOT NULL,
    target        VARCHAR NOT NULL,
    field         VARCHAR NOT NULL DEFAULT 'text',
    span_start    INTEGER NOT NULL,
    span_end      INTEGER NOT NULL,
    label         VARCHAR NOT NULL,
    probs         MAP(VARCHAR, DOUBLE),
    model_name    VARCHAR NOT NULL,
    model_version VARCHAR,
    model_hash    VARCHAR,
    backend       VARCHAR,
    run_id        VARCHAR NOT NULL,
    PRIMARY KEY (article_id, task, scope, target, field, span_start)
);
INSERT INTO annotations_0009 (article_id, task, scope, target, field, span_start, span_end, label, probs,
                              model_name, model_version, model_hash, backend, run_id)
    SELECT article_id, task, scope, target, CASE WHEN scope = 'article' THEN 'article' ELSE 'text' END,
           span_start, span_end, label, probs, model_name, model_version, model_hash, backend, run_id
    FROM annotations;
DROP TABLE annotations;
ALTER TABLE annotations_0009 RENAME TO annotations;
COMMENT ON TABLE annotations IS 'Sentiment, tone and stance labels with probabilities, per sentence, claim and article.';
COMMENT ON COLUMN annotations.article_id IS 'Article annotated.';
COMMENT ON COLUMN annotations.task IS 'sentiment (of a sentence/claim), tone (toward an actor) or stance (toward a stance target).';
COMMENT ON COLUMN annotations.scope IS 'sentence, claim or article.';
COMMENT ON COLUMN annotations.target IS 'Stance target id or actor id for tone; empty for plain sentiment.';
COMMENT ON COLUMN annotations.field IS 'Field of the sentence/claim: title, lead or text; article for article-scope rows.';
COMMENT ON COLUMN annotations.span_start IS 'Start offset of the sentence/claim in its field; 0 for article scope.';
COMMENT ON COLUMN annotations.span_end IS 'End offset; for article scope, the length of the analysed title + lead + text.';
COMMENT ON COLUMN annotations.label IS 'négatif/neutre/positif for sentiment and tone; soutient/conteste/neutre for stance.';
COMMENT ON COLUMN annotations.probs IS 'Probability of each label.';
COMMENT ON COLUMN annotations.model_name IS 'Model that produced the label (bundled name or Hugging Face id).';
COMMENT ON COLUMN annotations.model_version IS 'Model version or revision.';
COMMENT ON COLUMN annotations.model_hash IS 'Hash of the model weights.';
COMMENT ON COLUMN annotations.backend IS 'bundled or transformers.';
COMMENT ON COLUMN annotations.run_id IS 'Run that produced the label.';
