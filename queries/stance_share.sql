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
WITH a AS (
    -- the counted articles and their local day (macro of migration 0013), computed before the join
    -- so that only the day travels through it
    SELECT * FROM article_local_days($tz, $on_topic_only, $include_copies)
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
