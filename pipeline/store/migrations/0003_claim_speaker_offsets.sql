-- 0003: where the speaker of a claim is written, so analysts can check speaker attribution in context.

ALTER TABLE claims ADD COLUMN speaker_start INTEGER;
ALTER TABLE claims ADD COLUMN speaker_end INTEGER;
COMMENT ON COLUMN claims.speaker_start IS 'Start offset in articles.text of the speaker as written at the claim (name, pronoun or description); NULL if none.';
COMMENT ON COLUMN claims.speaker_end IS 'End offset (exclusive) of the speaker as written.';
