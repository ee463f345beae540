-- purpose: Outlets whose collection looks broken (a scraper problem, not a drop in attention):
--   an outlet that stopped producing articles of any topic while the other outlets went on
--   publishing ("silent"), whose share of failed fetches/extractions jumped in its latest run
--   ("failing"), or whose feeds or sitemaps failed in the latest nightly run ("feed_errors").
--   Volume counts every article, on topic or not, so a topic going quiet is not flagged; the
--   expectation scales with what the other outlets published, so a quiet day for all is not either.
-- params:
--   as_of DATE = NULL  -- the day judged (NULL = the latest publication day in the database)
--   window_days INTEGER = 28  -- baseline: the outlet's share of all articles over this many days up to its last article
--   min_expected DOUBLE = 5.0  -- silent when at least this many articles were expected since its last one (P(none) = exp(-5) < 1 %)
--   failure_rate DOUBLE = 0.5  -- failing when at least this share of its items failed in its latest run ...
--   failure_jump DOUBLE = 0.3  -- ... and that share is this much above its earlier runs
--   tz VARCHAR = 'Europe/Paris'  -- timezone in which publication times are cut into days
-- columns: outlet_id, status (silent, failing, feed_errors, no_articles, ok), reason (in words),
--   last_article_day, days_silent, baseline_share (of all outlets' articles), others_since (articles by
--   other outlets after its last one), expected_since, p_silence (probability of no article at all if
--   nothing were broken), last_run_id, last_run_items, last_run_failed, last_run_failure_rate,
--   earlier_failure_rate, top_failure_reason, source_errors (feeds/sitemaps failing in the latest nightly run)
WITH z AS (
    -- local days in $tz (macros of migration 0012; Europe/Paris is articles.published_day)
    SELECT * FROM local_day_slots($tz)
), day_counts AS (
    SELECT a.outlet_id, local_day(a.published_at, a.published_day, $tz, z.s0, z.days) AS day,
           count(*) AS n
    FROM articles a, z
    WHERE a.published_at IS NOT NULL
    GROUP BY ALL
), p AS (
    SELECT coalesce($as_of, (SELECT max(day) FROM day_counts)) AS as_of
), dc AS (
    SELECT d.* FROM day_counts d, p WHERE d.day <= p.as_of
), last_seen AS (
    SELECT o.outlet_id, max(dc.day) AS last_day
    FROM outlets o LEFT JOIN dc USING (outlet_id)
    GROUP BY o.outlet_id
), volume AS (
    SELECT l.outlet_id, l.last_day, p.as_of,
           coalesce(sum(dc.n) FILTER (WHERE dc.outlet_id = l.outlet_id AND dc.day > l.last_day - $window_days
                                       AND dc.day <= l.last_day), 0) AS own_window,
           coalesce(sum(dc.n) FILTER (WHERE dc.day > l.last_day - $window_days AND dc.day <= l.last_day), 0) AS all_window,
           coalesce(sum(dc.n) FILTER (WHERE dc.outlet_id <> l.outlet_id AND dc.day > l.last_day), 0) AS others_since
    FROM last_seen l CROSS JOIN p LEFT JOIN dc ON true
    GROUP BY l.outlet_id, l.last_day, p.as_of
), silence AS (
    SELECT *, own_window / nullif(all_window, 0) AS share,
           CASE WHEN own_window < all_window
                THEN others_since * own_window / (all_window - own_window) ELSE 0 END AS expected
    FROM volume
), items AS (
    -- per run and outlet: items tried (pages fetched + pages that failed to fetch) and items failed
    -- (fetch failures, and extraction failures other than language/duplicates: a changed template)
    SELECT run_id, outlet_id, count(*) AS items, 0 AS failed FROM pages GROUP BY ALL
    UNION ALL
    SELECT run_id, outlet_id, count(*), count(*) FROM failures WHERE stage = 'collect' GROUP BY ALL
    UNION ALL
    SELECT run_id, outlet_id, 0, count(*) FROM failures
    WHERE stage = 'extract' AND reason NOT IN ('not_french', 'duplicate') GROUP BY ALL
), per_run AS (
    SELECT i.run_id, i.outlet_id, r.started_at, sum(i.items) AS items, sum(i.failed) AS failed
    FROM items i JOIN runs r USING (run_id)
    WHERE i.outlet_id IS NOT NULL
    GROUP BY ALL
    HAVING sum(i.items) > 0
), latest AS (
    SELECT outlet_id, arg_max(run_id, started_at) AS run_id, max(started_at) AS started_at
    FROM per_run GROUP BY outlet_id
), rates AS (
    SELECT l.outlet_id, l.run_id AS last_run_id,
           any_value(pr.items) FILTER (WHERE pr.run_id = l.run_id)  AS last_items,
           any_value(pr.failed) FILTER (WHERE pr.run_id = l.run_id) AS last_failed,
           sum(pr.failed) FILTER (WHERE pr.started_at < l.started_at)
             / nullif(sum(pr.items) FILTER (WHERE pr.started_at < l.started_at), 0) AS earlier_rate
    FROM latest l JOIN per_run pr USING (outlet_id)
    GROUP BY l.outlet_id, l.run_id
), top_reason AS (
    SELECT f.outlet_id, mode(f.reason) AS reason
    FROM failures f JOIN rates r ON r.outlet_id = f.outlet_id AND r.last_run_id = f.run_id
    WHERE f.reason NOT IN ('not_french', 'duplicate')
    GROUP BY f.outlet_id
), sources AS (
    SELECT outlet_id, count(*) AS source_errors
    FROM failures
    WHERE stage = 'discover'
      AND run_id = (SELECT run_id FROM runs WHERE command = 'nightly' ORDER BY started_at DESC LIMIT 1)
    GROUP BY outlet_id
), judged AS (
    SELECT s.outlet_id, s.last_day, s.as_of, s.share, s.others_since, s.expected,
           r.last_run_id, r.last_items, r.last_failed,
           r.last_failed / nullif(r.last_items, 0) AS last_rate, r.earlier_rate,
           t.reason AS top_reason, coalesce(src.source_errors, 0) AS source_errors
    FROM silence s
    LEFT JOIN rates r USING (outlet_id)
    LEFT JOIN top_reason t USING (outlet_id)
    LEFT JOIN sources src USING (outlet_id)
)
SELECT outlet_id,
       CASE WHEN last_day IS NULL THEN 'no_articles'
            WHEN expected >= $min_expected THEN 'silent'
            WHEN last_rate >= $failure_rate AND last_rate - coalesce(earlier_rate, 0) >= $failure_jump THEN 'failing'
            WHEN source_errors > 0 THEN 'feed_errors'
            ELSE 'ok' END AS status,
       CASE WHEN last_day IS NULL THEN 'no article collected yet'
            WHEN expected >= $min_expected
                 THEN format('no article for {} days while the other outlets published {} (about {} expected from it)',
                             as_of - last_day, others_since, round(expected, 1))
            WHEN last_rate >= $failure_rate AND last_rate - coalesce(earlier_rate, 0) >= $failure_jump
                 THEN format('{} of {} items failed in run {} (mostly {}), {}% before',
                             last_failed, last_items, last_run_id, top_reason, round(100 * coalesce(earlier_rate, 0)))
            WHEN source_errors > 0 THEN format('{} feed/sitemap error(s) in the latest nightly run', source_errors)
            ELSE '' END AS reason,
       last_day AS last_article_day,
       as_of - last_day AS days_silent,
       round(share, 4) AS baseline_share,
       others_since,
       round(expected, 2) AS expected_since,
       round(exp(-expected), 4) AS p_silence,
       last_run_id, last_items AS last_run_items, last_failed AS last_run_failed,
       round(last_rate, 4) AS last_run_failure_rate,
       round(earlier_rate, 4) AS earlier_failure_rate,
       top_reason AS top_failure_reason,
       source_errors
FROM judged
ORDER BY status = 'ok', expected DESC NULLS FIRST, outlet_id;
