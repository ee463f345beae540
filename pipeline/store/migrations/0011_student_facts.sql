-- 0011: one row per article with what the distillation views (student_coverage, student_shares,
-- teacher_vs_student) read, for the student version that scored most recently: the article's
-- filters and day, the prediction with its probabilities as plain numbers, and the teacher's article
-- labels. Those views otherwise join a million articles to a million predictions and three sets of
-- annotations, and read a MAP per label, for every call. Derived: pipeline.store.derived rebuilds it
-- when the digest of articles, predictions or article annotations changes. Views asked for another
-- student version, or the teacher's stance toward another target, read the base tables.

CREATE TABLE student_facts (
    article_key        INTEGER PRIMARY KEY,
    model_version      VARCHAR,
    outlet_id          VARCHAR NOT NULL,
    published_at       TIMESTAMPTZ,
    published_day      DATE,
    is_fr              BOOLEAN NOT NULL,
    is_copy            BOOLEAN NOT NULL,
    is_relevant        BOOLEAN,
    scored             BOOLEAN NOT NULL,
    on_topic_prob      DOUBLE,
    stance             VARCHAR,
    tone_openai        VARCHAR,
    tone_deepseek      VARCHAR,
    p_soutient         DOUBLE,
    p_conteste         DOUBLE,
    p_stance_neutre    DOUBLE,
    p_openai_negatif   DOUBLE,
    p_openai_neutre    DOUBLE,
    p_openai_positif   DOUBLE,
    p_deepseek_negatif DOUBLE,
    p_deepseek_neutre  DOUBLE,
    p_deepseek_positif DOUBLE,
    t_stance           VARCHAR,
    t_tone_openai      VARCHAR,
    t_tone_deepseek    VARCHAR
);
COMMENT ON TABLE student_facts IS 'Per article, what the distillation views read for the student version that scored most recently (derived by the store from articles, predictions and annotations).';
COMMENT ON COLUMN student_facts.article_key IS 'articles.article_key.';
COMMENT ON COLUMN student_facts.model_version IS 'The student version of the prediction columns: the one that scored most recently (the same for every row).';
COMMENT ON COLUMN student_facts.outlet_id IS 'articles.outlet_id.';
COMMENT ON COLUMN student_facts.published_at IS 'articles.published_at.';
COMMENT ON COLUMN student_facts.published_day IS 'articles.published_day (Europe/Paris).';
COMMENT ON COLUMN student_facts.is_fr IS 'articles.language = ''fr''.';
COMMENT ON COLUMN student_facts.is_copy IS 'articles.is_syndicated_copy (NULL counted as false).';
COMMENT ON COLUMN student_facts.is_relevant IS 'articles.is_relevant (the teacher''s on-topic flag).';
COMMENT ON COLUMN student_facts.scored IS 'The student version scored the article (a predictions row exists).';
COMMENT ON COLUMN student_facts.on_topic_prob IS 'predictions.on_topic_prob.';
COMMENT ON COLUMN student_facts.stance IS 'predictions.stance.';
COMMENT ON COLUMN student_facts.tone_openai IS 'predictions.tone_openai.';
COMMENT ON COLUMN student_facts.tone_deepseek IS 'predictions.tone_deepseek.';
COMMENT ON COLUMN student_facts.p_soutient IS 'predictions.stance_probs[''soutient''].';
COMMENT ON COLUMN student_facts.p_conteste IS 'predictions.stance_probs[''conteste''].';
COMMENT ON COLUMN student_facts.p_stance_neutre IS 'predictions.stance_probs[''neutre''].';
COMMENT ON COLUMN student_facts.p_openai_negatif IS 'predictions.tone_openai_probs[''négatif''].';
COMMENT ON COLUMN student_facts.p_openai_neutre IS 'predictions.tone_openai_probs[''neutre''].';
COMMENT ON COLUMN student_facts.p_openai_positif IS 'predictions.tone_openai_probs[''positif''].';
COMMENT ON COLUMN student_facts.p_deepseek_negatif IS 'predictions.tone_deepseek_probs[''négatif''].';
COMMENT ON COLUMN student_facts.p_deepseek_neutre IS 'predictions.tone_deepseek_probs[''neutre''].';
COMMENT ON COLUMN student_facts.p_deepseek_positif IS 'predictions.tone_deepseek_probs[''positif''].';
COMMENT ON COLUMN student_facts.t_stance IS 'The teacher''s article stance toward the accusation target (annotations task stance, scope article); NULL if none.';
COMMENT ON COLUMN student_facts.t_tone_openai IS 'The teacher''s article tone toward openai; NULL if none.';
COMMENT ON COLUMN student_facts.t_tone_deepseek IS 'The teacher''s article tone toward deepseek; NULL if none.';
