-- The distilled student: which text each prediction scored, and a registry of student versions.

ALTER TABLE predictions ADD COLUMN content_sha256 VARCHAR;
COMMENT ON COLUMN predictions.content_sha256 IS 'articles.content_sha256 of the text that was scored: an article whose text changed (re-extraction) is scored again.';

CREATE TABLE student_models (
    model_version  VARCHAR PRIMARY KEY,
    model_name     VARCHAR NOT NULL,
    arch           VARCHAR NOT NULL,
    teacher_id     VARCHAR,
    train_data_hash VARCHAR,
    train_articles INTEGER,
    trained_at     TIMESTAMPTZ,
    model_dir      VARCHAR,
    metrics        JSON,
    first_used_at  TIMESTAMPTZ NOT NULL,
    last_run_id    VARCHAR NOT NULL
);
COMMENT ON TABLE student_models IS 'Student versions that wrote predictions: provenance of each model_version in predictions.';
COMMENT ON COLUMN student_models.model_version IS 'Student version (hash of weights, architecture and tokenizer); predictions.model_version.';
COMMENT ON COLUMN student_models.model_name IS 'Student model name.';
COMMENT ON COLUMN student_models.arch IS 'Architecture: bag (pooled static sub-word and bigram embeddings + MLP) or transformer.';
COMMENT ON COLUMN student_models.teacher_id IS 'Analysis version and models whose outputs the student was trained on.';
COMMENT ON COLUMN student_models.train_data_hash IS 'sha256 of the training data (article ids, text hashes, teacher targets).';
COMMENT ON COLUMN student_models.train_articles IS 'Stored articles in the training set (teacher-labelled for on topic).';
COMMENT ON COLUMN student_models.trained_at IS 'When the student was trained (UTC).';
COMMENT ON COLUMN student_models.model_dir IS 'Model folder the student was loaded from when it first scored articles.';
COMMENT ON COLUMN student_models.metrics IS 'Evaluation at training time: agreement with the teacher, macro-F1 against the gold, speed.';
COMMENT ON COLUMN student_models.first_used_at IS 'When this version first wrote predictions (UTC).';
COMMENT ON COLUMN student_models.last_run_id IS 'Last run in which this version scored articles.';
