-- purpose: Articles per day and outlet (all extracted French articles, and those on the topic),
--   with and without syndicated copies.
-- params:
--   start_date DATE = DATE '2025-01-01'  -- first day included
--   end_date DATE = DATE '2026-12-31'  -- last day included
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
-- columns: day, outlet_id, articles, on_topic, on_topic_without_copies
SELECT
    CAST(a.published_at AS DATE)                              AS day,
    a.outlet_id,
    count(*)                                                  AS articles,
    count(*) FILTER (WHERE a.is_relevant)                     AS on_topic,
    count(*) FILTER (WHERE a.is_relevant AND NOT coalesce(a.is_syndicated_copy, false)) AS on_topic_without_copies
FROM articles a
WHERE a.published_at IS NOT NULL
  AND CAST(a.published_at AS DATE) BETWEEN $start_date AND $end_date
  AND ($outlet IS NULL OR a.outlet_id = $outlet)
  AND a.language = 'fr'
GROUP BY ALL
ORDER BY day, a.outlet_id;
