-- purpose: On-topic articles per day (or week) and outlet according to the distilled student, which
--   scores every stored article: counts, expected counts (sum of probabilities) and shares of the
--   outlet's volume in that period, with and without syndicated copies; the teacher's count beside.
-- params:
--   period VARCHAR = 'day'  -- day, week (Monday) or month
--   start_date DATE = DATE '2025-01-01'  -- first day included
--   end_date DATE = DATE '2026-12-31'  -- last day included
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
--   threshold DOUBLE = 0.5  -- on-topic probability from which an article counts as on topic
--   model_version VARCHAR = NULL  -- student version (NULL = the one that scored most recently)
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into days
-- columns: period_start, outlet_id, articles (the outlet's French articles in the period),
--   scored (of which the student scored), on_topic (probability >= threshold),
--   on_topic_expected (sum of probabilities), on_topic_share (on_topic / articles),
--   articles_without_copies, on_topic_without_copies, on_topic_share_without_copies,
--   teacher_on_topic (articles.is_relevant), model_version
WITH v AS (
    SELECT coalesce($model_version,
                    (SELECT model_version FROM predictions ORDER BY predicted_at DESC, model_version LIMIT 1)) AS model_version
), a AS (
    SELECT a.article_id, a.outlet_id, a.is_relevant, coalesce(a.is_syndicated_copy, false) AS is_copy,
           CAST(timezone($tz, a.published_at) AS DATE) AS day
    FROM articles a
    WHERE a.published_at IS NOT NULL AND a.language = 'fr'
      AND ($outlet IS NULL OR a.outlet_id = $outlet)
), w AS (
    SELECT CAST(date_trunc($period, a.day) AS DATE) AS period_start, a.*, p.on_topic_prob,
           p.on_topic_prob >= $threshold AS student_on
    FROM a
    LEFT JOIN predictions p ON p.article_id = a.article_id AND p.model_version = (SELECT model_version FROM v)
    WHERE a.day BETWEEN $start_date AND $end_date
)
SELECT period_start, outlet_id,
       count(*)                                                     AS articles,
       count(on_topic_prob)                                         AS scored,
       count(*) FILTER (WHERE student_on)                           AS on_topic,
       round(coalesce(sum(on_topic_prob), 0), 3)                    AS on_topic_expected,
       round(count(*) FILTER (WHERE student_on) / count(*), 4)      AS on_topic_share,
       count(*) FILTER (WHERE NOT is_copy)                          AS articles_without_copies,
       count(*) FILTER (WHERE student_on AND NOT is_copy)           AS on_topic_without_copies,
       round(count(*) FILTER (WHERE student_on AND NOT is_copy)
             / nullif(count(*) FILTER (WHERE NOT is_copy), 0), 4)   AS on_topic_share_without_copies,
       count(*) FILTER (WHERE is_relevant)                          AS teacher_on_topic,
       (SELECT model_version FROM v)                                AS model_version
FROM w
GROUP BY period_start, outlet_id
ORDER BY period_start, outlet_id;
