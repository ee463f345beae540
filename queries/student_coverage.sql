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
    -- the version that scored most recently: the latest time first, then the first version at that time
    SELECT coalesce($model_version,
                    (SELECT min(model_version) FROM predictions
                     WHERE predicted_at = (SELECT max(predicted_at) FROM predictions))) AS model_version
), z AS (
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), src AS (
    -- The articles with the latest version's prediction: student_facts, one row per article kept by
    -- the store (no join of a million articles to a million predictions) ...
    SELECT article_key, outlet_id, published_at, published_day, is_relevant, is_copy, on_topic_prob
    FROM student_facts
    WHERE $model_version IS NULL AND is_fr
    UNION ALL
    -- ... and for a version asked by name, the base tables (joined on the integer article_key)
    SELECT a.article_key, a.outlet_id, a.published_at, a.published_day, a.is_relevant,
           coalesce(a.is_syndicated_copy, false), p.on_topic_prob
    FROM articles a
    LEFT JOIN predictions p ON p.article_key = a.article_key AND p.model_version = $model_version
    WHERE $model_version IS NOT NULL AND a.language = 'fr'
), a AS (
    SELECT a.outlet_id, a.is_relevant, a.is_copy, a.on_topic_prob, local_day(a.published_at, a.published_day, $tz, z.s0, z.days) AS day
    FROM src a, z
    WHERE a.published_at IS NOT NULL
      AND ($outlet IS NULL OR a.outlet_id = $outlet)
), w AS (
    SELECT CAST(date_trunc($period, a.day) AS DATE) AS period_start, a.*, a.on_topic_prob >= $threshold AS student_on
    FROM a
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
