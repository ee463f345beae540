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
WITH z AS (
    -- Local days: articles.published_day is the day in Europe/Paris, kept by the store. For another
    -- zone, the day of each 15-minute slot of the covered period is converted once and looked up by
    -- position (zones change offset on quarter-hour boundaries, so this is exact): converting each of
    -- a million timestamps with ICU would cost about a second.
    SELECT min(s) AS s0, list(CAST(timezone($tz, make_timestamptz(s * 900000000)) AS DATE) ORDER BY s) AS days
    FROM (SELECT unnest(range(epoch_us(min(published_at)) // 900000000,
                              epoch_us(max(published_at)) // 900000000 + 1)) AS s FROM articles)
    WHERE $tz <> 'Europe/Paris'
), a AS (
    -- the articles' local day, computed before the join so that only the day travels through it
    SELECT a.article_key,
           CASE WHEN $tz = 'Europe/Paris' THEN a.published_day
                ELSE z.days[epoch_us(a.published_at) // 900000000 - z.s0 + 1] END AS day
    FROM articles a, z
    WHERE a.published_at IS NOT NULL  -- the undated are in no period
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), labelled AS (
    -- joined on the integer article_key (the store keeps it on both tables): cheaper than article_id
    SELECT CAST(date_trunc($period, a.day) AS DATE) AS period_start, an.label
    FROM annotations an
    JOIN a USING (article_key)
    WHERE an.task = 'stance' AND an.scope = 'article' AND an.target = $target
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
