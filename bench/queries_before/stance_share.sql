-- purpose: Stance of articles toward a stance target over time: articles and share per label
--   (soutient / conteste / neutre), from the teacher annotations (task 'stance', scope 'article').
-- params:
--   target VARCHAR = 'accusation'  -- stance target id (see the topic file)
--   period VARCHAR = 'week'  -- day, week or month
--   on_topic_only BOOLEAN = true  -- only articles flagged relevant
--   include_copies BOOLEAN = false  -- count syndicated copies as separate articles
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into periods
-- columns: period_start, articles (labelled), soutient, conteste, neutre,
--   share_soutient, share_conteste, share_neutre (shares of the period's labelled articles)
WITH slots AS (
    -- Local days through 15-minute slots: converting each of a million timestamps with ICU costs
    -- about a second; converting each slot of the covered period once, then joining, is exact
    -- (time zones change offset on quarter-hour boundaries) and much cheaper.
    SELECT s, CAST(timezone($tz, make_timestamptz(s * 900000000)) AS DATE) AS day
    FROM (SELECT unnest(range(epoch_us(min(published_at)) // 900000000,
                              epoch_us(max(published_at)) // 900000000 + 1)) AS s FROM articles)
), labelled AS (
    SELECT CAST(date_trunc($period, s.day) AS DATE) AS period_start, an.label
    FROM annotations an
    JOIN articles a USING (article_id)
    JOIN slots s ON s.s = epoch_us(a.published_at) // 900000000
    WHERE an.task = 'stance' AND an.scope = 'article' AND an.target = $target
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
)
SELECT period_start,
       count(*)                                                        AS articles,
       count(*) FILTER (WHERE label = 'soutient')                      AS soutient,
       count(*) FILTER (WHERE label = 'conteste')                      AS conteste,
       count(*) FILTER (WHERE label = 'neutre')                        AS neutre,
       round(count(*) FILTER (WHERE label = 'soutient') / count(*), 4) AS share_soutient,
       round(count(*) FILTER (WHERE label = 'conteste') / count(*), 4) AS share_conteste,
       round(count(*) FILTER (WHERE label = 'neutre') / count(*), 4)   AS share_neutre
FROM labelled
GROUP BY period_start
ORDER BY period_start;
