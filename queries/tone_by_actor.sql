-- purpose: Tone toward each actor over time: articles per tone label (négatif / neutre / positif)
--   and net tone, from the teacher annotations (task 'tone', target = actor id).
-- params:
--   actor VARCHAR = NULL  -- one actor id (NULL = every actor with tone annotations)
--   period VARCHAR = 'week'  -- day, week or month
--   scope VARCHAR = 'article'  -- annotation scope: article (one label per article) or sentence/claim
--   on_topic_only BOOLEAN = true  -- only articles flagged relevant
--   include_copies BOOLEAN = false  -- count syndicated copies as separate articles
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into periods
-- columns: period_start, actor_id, labels (annotations counted), negatif, neutre, positif,
--   share_negatif, share_neutre, share_positif, net_tone ((positif - négatif) / labels, from -1 to 1)
WITH a AS (
    -- the counted articles and their local day (macro of migration 0013), computed before the join
    -- so that only the day travels through it
    SELECT * FROM article_local_days($tz, $on_topic_only, $include_copies)
), labelled AS (
    -- joined on the integer article_key (the store keeps it on both tables): cheaper than article_id
    SELECT CAST(date_trunc($period, a.day) AS DATE) AS period_start, an.target AS actor_id, an.label
    FROM annotations an
    JOIN a USING (article_key)
    WHERE an.task = 'tone' AND an.scope = $scope AND an.target <> ''
      AND ($actor IS NULL OR an.target = $actor)
)
SELECT period_start, actor_id,
       count(*)                                                        AS labels,
       count(*) FILTER (WHERE label = 'négatif')                       AS negatif,
       count(*) FILTER (WHERE label = 'neutre')                        AS neutre,
       count(*) FILTER (WHERE label = 'positif')                       AS positif,
       round(count(*) FILTER (WHERE label = 'négatif') / count(*), 4)  AS share_negatif,
       round(count(*) FILTER (WHERE label = 'neutre') / count(*), 4)   AS share_neutre,
       round(count(*) FILTER (WHERE label = 'positif') / count(*), 4)  AS share_positif,
       round((count(*) FILTER (WHERE label = 'positif') - count(*) FILTER (WHERE label = 'négatif')) / count(*), 4) AS net_tone
FROM labelled
GROUP BY period_start, actor_id
ORDER BY period_start, actor_id;
