-- purpose: Who is quoted most: speakers ranked by the claims attributed to them (claims table),
--   with how many articles and outlets quote them and their most recent claims.
-- params:
--   limit INTEGER = 20  -- speakers returned
--   on_topic_only BOOLEAN = true  -- only claims in articles flagged relevant
--   include_copies BOOLEAN = false  -- count claims in syndicated copies again
--   examples INTEGER = 3  -- most recent claims listed per speaker
-- columns: speaker_id (actor id or person:Name), claims, articles, outlets, direct, indirect, selon,
--   first_day, last_day, example_claims (the most recent claims, newest first)
WITH c AS (
    SELECT c.speaker_id, c.article_id, c.kind, c.content, a.outlet_id, a.published_at
    FROM claims c
    JOIN articles a USING (article_id)
    WHERE c.speaker_id IS NOT NULL
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), top AS (
    -- rank by claims first (cheap); distinct counts and examples only for the speakers returned
    SELECT speaker_id, count(*) AS claims
    FROM c GROUP BY speaker_id
    ORDER BY claims DESC, speaker_id
    LIMIT $limit
)
SELECT c.speaker_id,
       t.claims,
       count(DISTINCT c.article_id)                AS articles,
       count(DISTINCT c.outlet_id)                 AS outlets,
       count(*) FILTER (WHERE c.kind = 'direct')   AS direct,
       count(*) FILTER (WHERE c.kind = 'indirect') AS indirect,
       count(*) FILTER (WHERE c.kind = 'selon')    AS selon,
       CAST(min(c.published_at) AS DATE)           AS first_day,
       CAST(max(c.published_at) AS DATE)           AS last_day,
       max_by(c.content, c.published_at, $examples) AS example_claims
FROM c
JOIN top t USING (speaker_id)
GROUP BY c.speaker_id, t.claims
ORDER BY t.claims DESC, c.speaker_id;
