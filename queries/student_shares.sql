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
    -- the version that scored most recently: the latest time first, then the first version at that time
    SELECT coalesce($model_version,
                    (SELECT min(model_version) FROM predictions
                     WHERE predicted_at = (SELECT max(predicted_at) FROM predictions))) AS model_version
), z AS (
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), src AS (
    -- The on-topic articles of the latest version: student_facts, one row per article kept by the
    -- store, with the probabilities as plain columns (no join, no MAP lookups) ...
    SELECT published_at, published_day, stance, tone_openai, tone_deepseek,
           p_soutient, p_conteste, p_stance_neutre, p_openai_negatif, p_openai_neutre, p_openai_positif,
           p_deepseek_negatif, p_deepseek_neutre, p_deepseek_positif
    FROM student_facts
    WHERE $model_version IS NULL AND on_topic_prob >= $threshold AND is_fr
      AND ($outlet IS NULL OR outlet_id = $outlet) AND ($include_copies OR NOT is_copy)
    UNION ALL
    -- ... and for a version asked by name, the base tables (joined on the integer article_key)
    SELECT a.published_at, a.published_day, p.stance, p.tone_openai, p.tone_deepseek,
           p.stance_probs['soutient'], p.stance_probs['conteste'], p.stance_probs['neutre'],
           p.tone_openai_probs['négatif'], p.tone_openai_probs['neutre'], p.tone_openai_probs['positif'],
           p.tone_deepseek_probs['négatif'], p.tone_deepseek_probs['neutre'], p.tone_deepseek_probs['positif']
    FROM predictions p
    JOIN articles a USING (article_key)
    WHERE $model_version IS NOT NULL AND p.model_version = $model_version AND p.on_topic_prob >= $threshold
      AND a.language = 'fr' AND ($outlet IS NULL OR a.outlet_id = $outlet)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), on_topic AS (
    SELECT CAST(date_trunc($period, local_day(a.published_at, a.published_day, $tz, z.s0, z.days)) AS DATE) AS period_start, a.*
    FROM src a, z
    WHERE a.published_at IS NOT NULL
), periods AS (
    -- every label of every head counted in one pass over the period's articles (each on-topic
    -- article has one label per head), then one row per head and label
    SELECT period_start, count(*) AS articles,
           count(*) FILTER (WHERE stance = 'soutient')       AS n1, round(avg(p_soutient), 4)         AS p1,
           count(*) FILTER (WHERE stance = 'conteste')       AS n2, round(avg(p_conteste), 4)         AS p2,
           count(*) FILTER (WHERE stance = 'neutre')         AS n3, round(avg(p_stance_neutre), 4)    AS p3,
           count(*) FILTER (WHERE tone_openai = 'négatif')   AS n4, round(avg(p_openai_negatif), 4)   AS p4,
           count(*) FILTER (WHERE tone_openai = 'neutre')    AS n5, round(avg(p_openai_neutre), 4)    AS p5,
           count(*) FILTER (WHERE tone_openai = 'positif')   AS n6, round(avg(p_openai_positif), 4)   AS p6,
           count(*) FILTER (WHERE tone_deepseek = 'négatif') AS n7, round(avg(p_deepseek_negatif), 4) AS p7,
           count(*) FILTER (WHERE tone_deepseek = 'neutre')  AS n8, round(avg(p_deepseek_neutre), 4)  AS p8,
           count(*) FILTER (WHERE tone_deepseek = 'positif') AS n9, round(avg(p_deepseek_positif), 4) AS p9
    FROM on_topic
    GROUP BY period_start
), long AS (
    SELECT period_start, articles, unnest([
        {'head': 'stance', 'label': 'soutient', 'n': n1, 'p': p1},
        {'head': 'stance', 'label': 'conteste', 'n': n2, 'p': p2},
        {'head': 'stance', 'label': 'neutre', 'n': n3, 'p': p3},
        {'head': 'tone_openai', 'label': 'négatif', 'n': n4, 'p': p4},
        {'head': 'tone_openai', 'label': 'neutre', 'n': n5, 'p': p5},
        {'head': 'tone_openai', 'label': 'positif', 'n': n6, 'p': p6},
        {'head': 'tone_deepseek', 'label': 'négatif', 'n': n7, 'p': p7},
        {'head': 'tone_deepseek', 'label': 'neutre', 'n': n8, 'p': p8},
        {'head': 'tone_deepseek', 'label': 'positif', 'n': n9, 'p': p9}]) AS x
    FROM periods
)
SELECT period_start, x.head AS head, x.label AS label, articles,
       x.n                          AS labelled,
       round(x.n / articles, 4)     AS share,
       x.p                          AS soft_share,
       (SELECT model_version FROM v) AS model_version
FROM long
ORDER BY period_start, head, label;
