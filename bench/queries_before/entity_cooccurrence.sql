-- purpose: Which entities are named together: pairs of entities mentioned in the same articles
--   (mentions table), with how often, in how many outlets, and how strongly (Jaccard).
-- params:
--   actors_only BOOLEAN = true  -- only entities linked to a topic actor (false: every entity, by label and text)
--   min_articles INTEGER = 2  -- hide pairs seen together in fewer articles
--   on_topic_only BOOLEAN = true  -- only articles flagged relevant
--   include_copies BOOLEAN = false  -- count syndicated copies again
--   limit INTEGER = 100  -- pairs returned
-- columns: entity_a, entity_b (actor ids, or LABEL:text for other entities; entity_a < entity_b),
--   articles (together), outlets, articles_a, articles_b (each alone or together),
--   jaccard (together / either), first_day, last_day
WITH ents AS (
    SELECT DISTINCT m.article_id, coalesce(m.actor_id, m.label || ':' || lower(m.text)) AS entity,
           a.outlet_id, a.published_at
    FROM mentions m
    JOIN articles a USING (article_id)
    WHERE (NOT $actors_only OR m.actor_id IS NOT NULL)
      AND (NOT $on_topic_only OR a.is_relevant)
      AND ($include_copies OR NOT coalesce(a.is_syndicated_copy, false))
), per_entity AS (
    SELECT entity, count(*) AS n FROM ents GROUP BY entity
), pairs AS (
    SELECT x.entity AS entity_a, y.entity AS entity_b,
           count(*) AS articles, count(DISTINCT x.outlet_id) AS outlets,
           CAST(min(x.published_at) AS DATE) AS first_day, CAST(max(x.published_at) AS DATE) AS last_day
    FROM ents x
    JOIN ents y ON x.article_id = y.article_id AND x.entity < y.entity
    GROUP BY x.entity, y.entity
    HAVING count(*) >= $min_articles
)
SELECT p.entity_a, p.entity_b, p.articles, p.outlets, ea.n AS articles_a, eb.n AS articles_b,
       round(p.articles / (ea.n + eb.n - p.articles), 4) AS jaccard, p.first_day, p.last_day
FROM pairs p
JOIN per_entity ea ON ea.entity = p.entity_a
JOIN per_entity eb ON eb.entity = p.entity_b
ORDER BY p.articles DESC, jaccard DESC, p.entity_a, p.entity_b
LIMIT $limit;
