-- purpose: Articles per day and outlet (all extracted French articles, and those on the topic),
--   with and without syndicated copies, absolute and normalised by the outlet's volume.
-- params:
--   start_date DATE = DATE '2025-01-01'  -- first day included
--   end_date DATE = DATE '2026-12-31'  -- last day included
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into days
-- columns: day, outlet_id, articles, on_topic, on_topic_without_copies,
--   on_topic_share (on-topic / all the outlet's articles that day),
--   on_topic_per_1000 (on-topic that day per 1,000 articles of the outlet over the whole window),
--   outlet_articles (the outlet's articles over the whole window)
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
    SELECT * FROM a WHERE day BETWEEN $start_date AND $end_date
), d AS (
    SELECT day, outlet_id,
           count(*)                                          AS articles,
           count(*) FILTER (WHERE is_relevant)               AS on_topic,
           count(*) FILTER (WHERE is_relevant AND NOT is_copy) AS on_topic_without_copies
    FROM w GROUP BY day, outlet_id
)
SELECT day, outlet_id, articles, on_topic, on_topic_without_copies,
       round(on_topic / articles, 4)                                             AS on_topic_share,
       round(1000.0 * on_topic / sum(articles) OVER (PARTITION BY outlet_id), 2) AS on_topic_per_1000,
       sum(articles) OVER (PARTITION BY outlet_id)                               AS outlet_articles
FROM d
ORDER BY day, outlet_id;
