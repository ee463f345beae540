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
    SELECT coalesce($model_version,
                    (SELECT model_version FROM predictions ORDER BY predicted_at DESC, model_version LIMIT 1)) AS model_version
), a AS (
    SELECT article_id, is_relevant, CAST(date_trunc($period, timezone($tz, published_at)) AS DATE) AS period_start
    FROM articles
    WHERE published_at IS NOT NULL AND language = 'fr'
      AND ($include_copies OR NOT coalesce(is_syndicated_copy, false))
), p AS (
    SELECT * FROM predictions WHERE model_version = (SELECT model_version FROM v)
), t AS (
    SELECT article_id, period_start, 'on_topic' AS head, CASE WHEN is_relevant THEN 'true' ELSE 'false' END AS label
    FROM a
    UNION ALL
    SELECT a.article_id, a.period_start, CASE WHEN n.task = 'stance' THEN 'stance' ELSE 'tone_' || n.target END, n.label
    FROM a JOIN annotations n USING (article_id)
    WHERE n.scope = 'article'
      AND ((n.task = 'stance' AND n.target = $target) OR (n.task = 'tone' AND n.target IN ('openai', 'deepseek')))
), s AS (
    SELECT a.article_id, a.period_start, 'on_topic' AS head,
           CASE WHEN p.on_topic_prob >= $threshold THEN 'true' ELSE 'false' END AS label
    FROM a JOIN p USING (article_id)
    UNION ALL SELECT a.article_id, a.period_start, 'stance', p.stance FROM a JOIN p USING (article_id)
        WHERE p.on_topic_prob >= $threshold
    UNION ALL SELECT a.article_id, a.period_start, 'tone_openai', p.tone_openai FROM a JOIN p USING (article_id)
        WHERE p.on_topic_prob >= $threshold
    UNION ALL SELECT a.article_id, a.period_start, 'tone_deepseek', p.tone_deepseek FROM a JOIN p USING (article_id)
        WHERE p.on_topic_prob >= $threshold
), keys AS (
    SELECT period_start, head, label FROM t UNION SELECT period_start, head, label FROM s
), tc AS (SELECT period_start, head, label, count(*) AS n FROM t GROUP BY ALL),
   tt AS (SELECT period_start, head, count(*) AS n FROM t GROUP BY ALL),
   sc AS (SELECT period_start, head, label, count(*) AS n FROM s GROUP BY ALL),
   st AS (SELECT period_start, head, count(*) AS n FROM s GROUP BY ALL),
   ag AS (
    SELECT t.period_start, t.head, count(*) AS both_labelled, avg(CASE WHEN t.label = s.label THEN 1.0 ELSE 0.0 END) AS agreement
    FROM t JOIN s USING (article_id, head)
    GROUP BY ALL
)
SELECT k.period_start, k.head, k.label,
       coalesce(tc.n, 0)           AS teacher_articles,
       round(coalesce(tc.n, 0) / tt.n, 4) AS teacher_share,
       coalesce(sc.n, 0)           AS student_articles,
       round(coalesce(sc.n, 0) / st.n, 4) AS student_share,
       coalesce(ag.both_labelled, 0) AS both_labelled,
       round(ag.agreement, 4)      AS agreement
FROM keys k
LEFT JOIN tc USING (period_start, head, label)
LEFT JOIN tt USING (period_start, head)
LEFT JOIN sc USING (period_start, head, label)
LEFT JOIN st USING (period_start, head)
LEFT JOIN ag USING (period_start, head)
ORDER BY k.period_start, k.head, k.label;
