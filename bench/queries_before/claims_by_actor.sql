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
    SELECT c.article_id, c.field, c.content_start, c.speaker_id
    FROM claims c
    JOIN articles a USING (article_id)
    WHERE c.speaker_id IS NOT NULL
      AND ($actor IS NULL OR c.speaker_id = $actor)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
)
SELECT c.speaker_id,
       count(*)                                       AS claims,
       count(*) FILTER (WHERE an.label = 'soutient')  AS soutient,
       count(*) FILTER (WHERE an.label = 'conteste')  AS conteste,
       count(*) FILTER (WHERE an.label = 'neutre')    AS neutre,
       count(*) FILTER (WHERE an.label IS NULL)       AS unlabelled,
       round((count(*) FILTER (WHERE an.label = 'soutient') - count(*) FILTER (WHERE an.label = 'conteste'))
             / nullif(count(an.label), 0), 4)         AS net_stance
FROM c
LEFT JOIN annotations an
       ON an.article_id = c.article_id AND an.field = c.field AND an.span_start = c.content_start
      AND an.task = 'stance' AND an.scope = 'claim' AND an.target = $target
GROUP BY c.speaker_id
HAVING count(*) >= $min_claims
ORDER BY claims DESC, c.speaker_id;
