-- purpose: The full analysis (teacher) and the distilled student side by side over time: per
--   period, head and label, how many articles each gives that label and its share, and how often
--   the two agree on the articles both labelled. Stance and tone count on-topic articles only
--   (the teacher's: those it analysed; the student's: probability >= threshold).
-- params:
--   period VARCHAR = 'week'  -- day, week (Monday) or month
--   threshold DOUBLE = 0.5  -- the student's on-topic probability threshold
--   include_copies BOOLEAN = false  -- count syndicated copies as separate articles
--   target VARCHAR = 'accusation'  -- the teacher's stance target id (the student's stance head)
--   model_version VARCHAR = NULL  -- student version (NULL = the one that scored most recently)
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into periods
-- columns: period_start, head (on_topic, stance, tone_openai, tone_deepseek), label,
--   teacher_articles, teacher_share, student_articles, student_share (shares of the articles each
--   labelled for that head in the period), both_labelled, agreement (same label, among both_labelled)
WITH v AS (
    -- the version that scored most recently: the latest time first, then the first version at that time
    SELECT coalesce($model_version,
                    (SELECT min(model_version) FROM predictions
                     WHERE predicted_at = (SELECT max(predicted_at) FROM predictions))) AS model_version
), z AS (
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), src AS (
    -- Each article once with the latest version's prediction and the teacher's article labels toward
    -- the accusation, openai and deepseek: student_facts, kept by the store (no joins) ...
    SELECT published_at, published_day, is_relevant, scored, on_topic_prob, stance, tone_openai, tone_deepseek,
           t_stance, t_tone_openai, t_tone_deepseek
    FROM student_facts
    WHERE $model_version IS NULL AND $target = 'accusation' AND is_fr AND ($include_copies OR NOT is_copy)
    UNION ALL
    -- ... and for a version or a stance target asked by name, the base tables (integer article_key)
    SELECT a.published_at, a.published_day, a.is_relevant, p.article_key IS NOT NULL, p.on_topic_prob,
           p.stance, p.tone_openai, p.tone_deepseek, ts.label, tt_o.label, td.label
    FROM articles a
    LEFT JOIN predictions p ON p.article_key = a.article_key AND p.model_version = (SELECT model_version FROM v)
    LEFT JOIN annotations ts ON ts.article_key = a.article_key
          AND ts.scope = 'article' AND ts.task = 'stance' AND ts.target = $target
    LEFT JOIN annotations tt_o ON tt_o.article_key = a.article_key
          AND tt_o.scope = 'article' AND tt_o.task = 'tone' AND tt_o.target = 'openai'
    LEFT JOIN annotations td ON td.article_key = a.article_key
          AND td.scope = 'article' AND td.task = 'tone' AND td.target = 'deepseek'
    WHERE NOT ($model_version IS NULL AND $target = 'accusation') AND a.language = 'fr'
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), ap AS MATERIALIZED (
    SELECT CAST(date_trunc($period, local_day(a.published_at, a.published_day, $tz, z.s0, z.days)) AS DATE) AS period_start,
           a.is_relevant, a.scored, coalesce(a.on_topic_prob >= $threshold, false) AS student_on,
           a.stance, a.tone_openai, a.tone_deepseek,
           a.t_stance IS NOT NULL AS t_has_stance, a.t_stance,
           a.t_tone_openai IS NOT NULL AS t_has_openai, a.t_tone_openai,
           a.t_tone_deepseek IS NOT NULL AS t_has_deepseek, a.t_tone_deepseek
    FROM src a, z
    WHERE a.published_at IS NOT NULL
), cells AS (
    -- Per period and head, articles counted by (teacher label or none, student label or none): a
    -- few thousand rows from which every figure follows. on_topic: the teacher labels every article
    -- (is_relevant), the student those it scored; stance and tone: the teacher if it analysed the
    -- article, the student if it puts it on topic.
    SELECT period_start, 'on_topic' AS head, true AS t_has, CASE WHEN is_relevant THEN 'true' ELSE 'false' END AS t_label,
           scored AS s_has, CASE WHEN student_on THEN 'true' ELSE 'false' END AS s_label, count(*) AS n
    FROM ap GROUP BY ALL
    UNION ALL
    SELECT period_start, 'stance', t_has_stance, t_stance, student_on, stance, count(*) FROM ap GROUP BY ALL
    UNION ALL
    SELECT period_start, 'tone_openai', t_has_openai, t_tone_openai, student_on, tone_openai, count(*) FROM ap GROUP BY ALL
    UNION ALL
    SELECT period_start, 'tone_deepseek', t_has_deepseek, t_tone_deepseek, student_on, tone_deepseek, count(*)
    FROM ap GROUP BY ALL
), keys AS (
    SELECT period_start, head, t_label AS label FROM cells WHERE t_has
    UNION SELECT period_start, head, s_label FROM cells WHERE s_has
), tc AS (SELECT period_start, head, t_label AS label, sum(n) AS n FROM cells WHERE t_has GROUP BY ALL),
   tt AS (SELECT period_start, head, sum(n) AS n FROM cells WHERE t_has GROUP BY ALL),
   sc AS (SELECT period_start, head, s_label AS label, sum(n) AS n FROM cells WHERE s_has GROUP BY ALL),
   st AS (SELECT period_start, head, sum(n) AS n FROM cells WHERE s_has GROUP BY ALL),
   ag AS (
    SELECT period_start, head, sum(n) AS both_labelled,
           coalesce(sum(n) FILTER (WHERE t_label = s_label), 0) / sum(n) AS agreement
    FROM cells WHERE t_has AND s_has
    GROUP BY ALL
)
SELECT k.period_start, k.head, k.label,
       CAST(coalesce(tc.n, 0) AS BIGINT)            AS teacher_articles,
       round(coalesce(tc.n, 0) / tt.n, 4)           AS teacher_share,
       CAST(coalesce(sc.n, 0) AS BIGINT)            AS student_articles,
       round(coalesce(sc.n, 0) / st.n, 4)           AS student_share,
       CAST(coalesce(ag.both_labelled, 0) AS BIGINT) AS both_labelled,
       round(ag.agreement, 4)                       AS agreement
FROM keys k
LEFT JOIN tc USING (period_start, head, label)
LEFT JOIN tt USING (period_start, head)
LEFT JOIN sc USING (period_start, head, label)
LEFT JOIN st USING (period_start, head)
LEFT JOIN ag USING (period_start, head)
ORDER BY k.period_start, k.head, k.label;
