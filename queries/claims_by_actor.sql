-- purpose: Claims by speaker with their stance toward a stance target: how often each actor's
--   reported claims support or contest it (claims + teacher annotations, task 'stance', scope
--   'claim'; a claim's annotation is keyed by the claim's field and content_start, as the analysis writes it).
-- params:
--   actor VARCHAR = NULL  -- one speaker id (NULL = every resolved speaker)
--   target VARCHAR = 'accusation'  -- stance target id (see the topic file)
--   min_claims INTEGER = 1  -- hide speakers with fewer claims
--   on_topic_only BOOLEAN = true  -- only claims in articles flagged relevant
--   include_copies BOOLEAN = false  -- count claims in syndicated copies again
-- columns: speaker_id, claims, soutient, conteste, neutre, unlabelled,
--   net_stance ((soutient - conteste) / labelled claims, from -1 to 1)
WITH c AS (
    -- claims and their stance labels per speaker from two small tables the store keeps (claims
    -- joined to articles and to their own stance annotation, per filter combination)
    SELECT speaker_id, sum(claims) AS claims
    FROM speaker_stats
    WHERE ($actor IS NULL OR speaker_id = $actor)
      AND (NOT $on_topic_only OR is_relevant) AND ($include_copies OR NOT is_copy)
    GROUP BY speaker_id
), l AS (
    SELECT speaker_id,
           sum(claims) FILTER (WHERE label = 'soutient') AS soutient,
           sum(claims) FILTER (WHERE label = 'conteste') AS conteste,
           sum(claims) FILTER (WHERE label = 'neutre')   AS neutre,
           sum(claims)                                   AS labelled
    FROM speaker_stances
    WHERE target = $target AND ($actor IS NULL OR speaker_id = $actor)
      AND (NOT $on_topic_only OR is_relevant) AND ($include_copies OR NOT is_copy)
    GROUP BY speaker_id
), n AS (
    SELECT c.speaker_id, CAST(c.claims AS BIGINT) AS claims,
           CAST(coalesce(l.soutient, 0) AS BIGINT) AS soutient,
           CAST(coalesce(l.conteste, 0) AS BIGINT) AS conteste,
           CAST(coalesce(l.neutre, 0) AS BIGINT)   AS neutre,
           CAST(coalesce(l.labelled, 0) AS BIGINT) AS labelled
    FROM c LEFT JOIN l USING (speaker_id)
)
SELECT speaker_id, claims, soutient, conteste, neutre,
       claims - labelled                                       AS unlabelled,
       round((soutient - conteste) / nullif(labelled, 0), 4)   AS net_stance
FROM n
WHERE claims >= $min_claims
ORDER BY claims DESC, speaker_id;
