-- purpose: The claims themselves, newest first: who said what, where, and with which stance
--   (the claim's own stance annotation, keyed by its content_start, and the article's stance).
-- params:
--   speaker VARCHAR = NULL  -- one speaker id, e.g. sam_altman or person:Jeanne Dupont (NULL = all)
--   target VARCHAR = 'accusation'  -- stance target id (see the topic file)
--   on_topic_only BOOLEAN = true  -- only claims in articles flagged relevant
--   include_copies BOOLEAN = false  -- include claims in syndicated copies
--   limit INTEGER = 200  -- rows returned
-- columns: day, outlet_id, speaker_id, speaker_text, kind, cue, content, claim_stance,
--   article_stance, article_id, title
WITH c AS (
    -- the page of claims first, then their stance: joining only those rows to the annotations
    SELECT c.*, a.outlet_id, a.published_at, a.title
    FROM claims c
    JOIN articles a USING (article_id)
    WHERE ($speaker IS NULL OR c.speaker_id = $speaker)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
    ORDER BY a.published_at DESC NULLS LAST, c.article_id, c.content_start
    LIMIT $limit
)
SELECT CAST(c.published_at AS DATE) AS day, c.outlet_id, c.speaker_id, c.speaker_text, c.kind, c.cue,
       c.content, cs.label AS claim_stance, ast.label AS article_stance, c.article_id, c.title
FROM c
LEFT JOIN annotations cs  -- a claim's annotation is keyed by its field and content_start
       ON cs.article_id = c.article_id AND cs.field = c.field AND cs.span_start = c.content_start
      AND cs.task = 'stance' AND cs.scope = 'claim' AND cs.target = $target
LEFT JOIN annotations ast
       ON ast.article_id = c.article_id AND ast.task = 'stance' AND ast.scope = 'article' AND ast.target = $target
ORDER BY c.published_at DESC NULLS LAST, c.article_id, c.content_start
LIMIT $limit;
