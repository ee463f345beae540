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
WITH j AS (
    -- the claims asked for, joined to their article on the integer article_key (migration 0007)
    SELECT c.article_key, c.article_id, c.field, c.content_start, a.published_at
    FROM claims c
    JOIN articles a USING (article_key)
    WHERE ($speaker IS NULL OR c.speaker_id = $speaker)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), cut AS (
    -- the page's oldest publication time, found on the timestamps alone (a cheap sort) ...
    SELECT min(published_at) AS oldest, count(published_at) AS dated
    FROM (SELECT published_at FROM j ORDER BY published_at DESC NULLS LAST LIMIT $limit)
), page AS MATERIALIZED (
    -- ... so that only the few rows from that time on are sorted with the tie-breakers; then the
    -- claims' text and their stance for the page's rows only
    SELECT j.* FROM j, cut
    WHERE cut.dated < $limit OR j.published_at >= cut.oldest
    ORDER BY j.published_at DESC NULLS LAST, j.article_id, j.content_start, j.field
    LIMIT $limit
), stance AS (
    SELECT article_key, scope, field, span_start, label FROM annotations
    WHERE task = 'stance' AND target = $target AND scope IN ('claim', 'article')
      AND article_key IN (SELECT article_key FROM page)
)
SELECT CAST(p.published_at AS DATE) AS day, a.outlet_id, c.speaker_id, c.speaker_text, c.kind, c.cue,
       c.content, cs.label AS claim_stance, ast.label AS article_stance, c.article_id, a.title
FROM page p
JOIN claims c ON c.article_key = p.article_key AND c.field = p.field AND c.content_start = p.content_start
JOIN articles a ON a.article_key = p.article_key
LEFT JOIN stance cs  -- a claim's annotation is keyed by its field and content_start
       ON cs.article_key = p.article_key AND cs.field = p.field AND cs.span_start = p.content_start
      AND cs.scope = 'claim'
LEFT JOIN stance ast ON ast.article_key = p.article_key AND ast.scope = 'article'
ORDER BY p.published_at DESC NULLS LAST, p.article_id, p.content_start, p.field;
