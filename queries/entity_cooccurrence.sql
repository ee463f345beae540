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
WITH pairs AS (
    -- entity_pairs / entity_articles: pairs per outlet and filter combination, kept by the store from
    -- the mentions (each entity once per article); outlets add up without DISTINCT per outlet row
    SELECT entity_a, entity_b, sum(articles) AS articles, count(DISTINCT outlet_id) AS outlets,
           CAST(min(first_at) AS DATE) AS first_day, CAST(max(last_at) AS DATE) AS last_day
    FROM entity_pairs
    WHERE (NOT $actors_only OR actors)
      AND (NOT $on_topic_only OR is_relevant) AND ($include_copies OR NOT is_copy)
    GROUP BY entity_a, entity_b
    HAVING sum(articles) >= $min_articles
), per_entity AS (
    SELECT entity, sum(articles) AS n
    FROM entity_articles
    WHERE (NOT $actors_only OR is_actor)
      AND (NOT $on_topic_only OR is_relevant) AND ($include_copies OR NOT is_copy)
    GROUP BY entity
)
SELECT p.entity_a, p.entity_b, CAST(p.articles AS BIGINT) AS articles, p.outlets,
       CAST(ea.n AS BIGINT) AS articles_a, CAST(eb.n AS BIGINT) AS articles_b,
       round(p.articles / (ea.n + eb.n - p.articles), 4) AS jaccard, p.first_day, p.last_day
FROM pairs p
JOIN per_entity ea ON ea.entity = p.entity_a
JOIN per_entity eb ON eb.entity = p.entity_b
ORDER BY p.articles DESC, jaccard DESC, p.entity_a, p.entity_b
LIMIT $limit;
