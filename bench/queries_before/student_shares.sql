-- purpose: Stance toward the accusation and tone toward OpenAI and DeepSeek over time, according to
--   the distilled student, among the articles it puts on topic: counts and shares per label, and
--   soft shares (mean probability of each label, which do not depend on the argmax).
-- params:
--   period VARCHAR = 'week'  -- day, week (Monday) or month
--   threshold DOUBLE = 0.5  -- on-topic probability from which an article counts as on topic
--   include_copies BOOLEAN = false  -- count syndicated copies as separate articles
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
--   model_version VARCHAR = NULL  -- student version (NULL = the one that scored most recently)
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into periods
-- columns: period_start, head (stance, tone_openai, tone_deepseek), label, articles (on-topic
--   articles of the period), labelled (with this label), share (labelled / articles),
--   soft_share (mean probability of the label), model_version
WITH v AS (
    SELECT coalesce($model_version,
                    (SELECT model_version FROM predictions ORDER BY predicted_at DESC, model_version LIMIT 1)) AS model_version
), on_topic AS (
    SELECT CAST(date_trunc($period, timezone($tz, a.published_at)) AS DATE) AS period_start, p.*
    FROM predictions p
    JOIN articles a USING (article_id)
    WHERE p.model_version = (SELECT model_version FROM v)
      AND p.on_topic_prob >= $threshold
      AND a.published_at IS NOT NULL AND a.language = 'fr'
      AND ($outlet IS NULL OR a.outlet_id = $outlet)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), long AS (
    SELECT period_start, 'stance' AS head, stance AS label, stance_probs AS probs FROM on_topic
    UNION ALL SELECT period_start, 'tone_openai', tone_openai, tone_openai_probs FROM on_topic
    UNION ALL SELECT period_start, 'tone_deepseek', tone_deepseek, tone_deepseek_probs FROM on_topic
), labels AS (
    SELECT * FROM (VALUES ('stance', 'soutient'), ('stance', 'conteste'), ('stance', 'neutre'),
                          ('tone_openai', 'négatif'), ('tone_openai', 'neutre'), ('tone_openai', 'positif'),
                          ('tone_deepseek', 'négatif'), ('tone_deepseek', 'neutre'), ('tone_deepseek', 'positif'))
             AS t(head, label)
), periods AS (
    SELECT period_start, count(*) AS articles FROM on_topic GROUP BY period_start
)
SELECT p.period_start, l.head, l.label, p.articles,
       count(x.label) FILTER (WHERE x.label = l.label)                    AS labelled,
       round(count(x.label) FILTER (WHERE x.label = l.label) / p.articles, 4) AS share,
       round(avg(x.probs[l.label]), 4)                                    AS soft_share,
       (SELECT model_version FROM v)                                      AS model_version
FROM periods p
CROSS JOIN labels l
LEFT JOIN long x ON x.period_start = p.period_start AND x.head = l.head
GROUP BY p.period_start, l.head, l.label, p.articles
ORDER BY p.period_start, l.head, l.label;
