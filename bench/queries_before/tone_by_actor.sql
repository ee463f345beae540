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
WITH slots AS (
    -- Local days through 15-minute slots: converting each of a million timestamps with ICU costs
    -- about a second; converting each slot of the covered period once, then joining, is exact
    -- (time zones change offset on quarter-hour boundaries) and much cheaper.
    SELECT s, CAST(timezone($tz, make_timestamptz(s * 900000000)) AS DATE) AS day
    FROM (SELECT unnest(range(epoch_us(min(published_at)) // 900000000,
                              epoch_us(max(published_at)) // 900000000 + 1)) AS s FROM articles)
), labelled AS (
    SELECT CAST(date_trunc($period, s.day) AS DATE) AS period_start, an.target AS actor_id, an.label
    FROM annotations an
    JOIN articles a USING (article_id)
    JOIN slots s ON s.s = epoch_us(a.published_at) // 900000000
    WHERE an.task = 'tone' AND an.scope = $scope AND an.target <> ''
      AND ($actor IS NULL OR an.target = $actor)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
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
