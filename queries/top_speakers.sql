-- purpose: Who is quoted most: speakers ranked by the claims attributed to them (claims table),
--   with how many articles and outlets quote them and their most recent claims.
-- params:
--   limit INTEGER = 20  -- speakers returned
--   on_topic_only BOOLEAN = true  -- only claims in articles flagged relevant
--   include_copies BOOLEAN = false  -- count claims in syndicated copies again
--   examples INTEGER = 3  -- most recent claims listed per speaker
-- columns: speaker_id (actor id or person:Name), claims, articles, outlets, direct, indirect, selon,
--   first_day, last_day, example_claims (the most recent claims, newest first)
WITH s AS (
    -- speaker_stats: one row per speaker and filter combination, kept by the store from claims and
    -- articles (an article is in one combination, so article counts add up)
    SELECT * FROM speaker_stats
    WHERE (NOT $on_topic_only OR is_relevant) AND ($include_copies OR NOT is_copy)
), top AS (
    SELECT speaker_id, sum(claims) AS claims, sum(articles) AS articles,
           len(list_distinct(flatten(list(outlets)))) AS outlets,
           sum(direct) AS direct, sum(indirect) AS indirect, sum(selon) AS selon,
           min(first_at) AS first_at, max(last_at) AS last_at
    FROM s
    GROUP BY speaker_id
    ORDER BY claims DESC, speaker_id
    LIMIT $limit
), latest AS (
    -- each row keeps its 10 latest claims, enough for up to 10 examples ...
    SELECT speaker_id, x.published_at, x.content
    FROM (SELECT speaker_id, unnest(latest) AS x FROM s WHERE speaker_id IN (SELECT speaker_id FROM top))
    WHERE $examples <= 10
    UNION ALL
    -- ... more come from the claims themselves (joined to the articles on the integer article_key)
    SELECT c.speaker_id, a.published_at, c.content
    FROM claims c
    JOIN articles a USING (article_key)
    WHERE $examples > 10 AND c.speaker_id IN (SELECT speaker_id FROM top)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), examples AS (
    -- latest first; claims published at the same time by content, for a fixed order
    SELECT speaker_id, max_by(content, {'t': published_at, 'c': content}, $examples) AS example_claims
    FROM latest WHERE published_at IS NOT NULL GROUP BY speaker_id
)
SELECT t.speaker_id,
       CAST(t.claims AS BIGINT)   AS claims,
       CAST(t.articles AS BIGINT) AS articles,
       CAST(t.outlets AS BIGINT)  AS outlets,
       CAST(t.direct AS BIGINT)   AS direct,
       CAST(t.indirect AS BIGINT) AS indirect,
       CAST(t.selon AS BIGINT)    AS selon,
       CAST(t.first_at AS DATE)   AS first_day,
       CAST(t.last_at AS DATE)    AS last_day,
       e.example_claims
FROM top t
LEFT JOIN examples e USING (speaker_id)
ORDER BY t.claims DESC, t.speaker_id;
