-- purpose: Syndicated and near-duplicate articles: clusters of articles sharing a cluster_id (the
--   earliest member's id), e.g. a wire dispatch republished by several outlets.
-- params:
--   min_members INTEGER = 2  -- smallest cluster shown
--   on_topic_only BOOLEAN = false  -- only clusters whose original is flagged relevant
--   limit INTEGER = 100  -- clusters returned
-- columns: cluster_id, members, outlets, original_outlet, original_title, first_published,
--   last_published, spread_hours (first to last publication), member_outlets (in publication order),
--   article_ids (in publication order)
WITH candidates AS (
    -- a cluster of two or more has a copy: find those first (a few %) instead of grouping every article
    SELECT DISTINCT cluster_id FROM articles
    WHERE cluster_id IS NOT NULL AND (is_syndicated_copy OR $min_members <= 1)
), m AS (
    SELECT cluster_id, article_id, outlet_id, title, published_at, is_relevant
    FROM articles JOIN candidates USING (cluster_id)
), ranked AS (
    -- cheap figures for every cluster, the lists below only for the clusters returned
    SELECT cluster_id, count(*) AS members, min(published_at) AS first_published,
           max(published_at) AS last_published
    FROM m
    GROUP BY cluster_id
    HAVING count(*) >= $min_members
       AND (NOT $on_topic_only OR coalesce(bool_or(is_relevant) FILTER (WHERE article_id = cluster_id), false))
    ORDER BY members DESC, first_published, cluster_id
    LIMIT $limit
)
SELECT r.cluster_id, r.members,
       count(DISTINCT m.outlet_id)                                      AS outlets,
       any_value(m.outlet_id) FILTER (WHERE m.article_id = r.cluster_id) AS original_outlet,
       any_value(m.title) FILTER (WHERE m.article_id = r.cluster_id)     AS original_title,
       r.first_published, r.last_published,
       round(date_diff('minute', r.first_published, r.last_published) / 60.0, 1) AS spread_hours,
       list(m.outlet_id ORDER BY m.published_at NULLS LAST, m.article_id)  AS member_outlets,
       list(m.article_id ORDER BY m.published_at NULLS LAST, m.article_id) AS article_ids
FROM ranked r
JOIN m USING (cluster_id)
GROUP BY r.cluster_id, r.members, r.first_published, r.last_published
ORDER BY r.members DESC, r.first_published, r.cluster_id;
