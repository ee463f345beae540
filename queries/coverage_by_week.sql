-- purpose: Articles per week (Monday to Sunday) and outlet, absolute and normalised by the
--   outlet's volume: the weekly view of coverage_by_day, for trends across outlets of different size.
-- params:
--   start_date DATE = DATE '2025-01-01'  -- first day included
--   end_date DATE = DATE '2026-12-31'  -- last day included
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into days
-- columns: week (its Monday), outlet_id, articles, on_topic, on_topic_without_copies,
--   on_topic_share (on-topic / all the outlet's articles that week),
--   on_topic_per_1000 (on-topic that week per 1,000 articles of the outlet over the whole window),
--   share_of_week (the outlet's part of all outlets' on-topic articles that week)
WITH z AS (
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), a AS (
    SELECT a.outlet_id, a.is_relevant, coalesce(a.is_syndicated_copy, false) AS is_copy,
           local_day(a.published_at, a.published_day, $tz, z.s0, z.days) AS day
    FROM articles a, z
    WHERE a.published_at IS NOT NULL AND a.language = 'fr'
      AND ($outlet IS NULL OR a.outlet_id = $outlet)
), w AS (
    -- counted per day first, then rolled up to weeks
    SELECT day, outlet_id,
           count(*)                                            AS articles,
           count(*) FILTER (WHERE is_relevant)                 AS on_topic,
           count(*) FILTER (WHERE is_relevant AND NOT is_copy) AS on_topic_without_copies
    FROM a WHERE day BETWEEN $start_date AND $end_date
    GROUP BY day, outlet_id
), d AS (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, outlet_id,
           CAST(sum(articles) AS BIGINT)                AS articles,
           CAST(sum(on_topic) AS BIGINT)                AS on_topic,
           CAST(sum(on_topic_without_copies) AS BIGINT) AS on_topic_without_copies
    FROM w GROUP BY week, outlet_id
)
SELECT week, outlet_id, articles, on_topic, on_topic_without_copies,
       round(on_topic / articles, 4)                                             AS on_topic_share,
       round(1000.0 * on_topic / sum(articles) OVER (PARTITION BY outlet_id), 2) AS on_topic_per_1000,
       round(on_topic / nullif(sum(on_topic) OVER (PARTITION BY week), 0), 4)    AS share_of_week
FROM d
ORDER BY week, outlet_id;
