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
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), a AS (
    -- the articles' local day, computed before the join so that only the day travels through it
    SELECT a.article_key,
           local_day(a.published_at, a.published_day, $tz, z.s0, z.days) AS day
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
