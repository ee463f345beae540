-- purpose: What went wrong, by run, stage and reason (failures table), with the outlets concerned
--   and an example item, newest runs first.
-- params:
--   run_id VARCHAR = NULL  -- one run (NULL = the latest runs, see last_runs)
--   last_runs INTEGER = 10  -- how many of the latest runs when run_id is NULL
--   outlet VARCHAR = NULL  -- restrict to one outlet id (NULL = all)
-- columns: run_id, run_started, stage, reason, failures, outlets (ids), example_item, example_detail
WITH recent AS (
    SELECT run_id, started_at FROM runs
    WHERE $run_id IS NULL OR run_id = $run_id
    ORDER BY started_at DESC
    LIMIT CASE WHEN $run_id IS NULL THEN $last_runs ELSE 1 END
)
SELECT f.run_id, r.started_at AS run_started, f.stage, f.reason,
       count(*)                                        AS failures,
       list(DISTINCT f.outlet_id ORDER BY f.outlet_id) FILTER (WHERE f.outlet_id IS NOT NULL) AS outlets,
       min(f.item)                                     AS example_item,
       arg_min(f.detail, f.item)                       AS example_detail
FROM failures f
JOIN recent r USING (run_id)
WHERE $outlet IS NULL OR f.outlet_id = $outlet
GROUP BY f.run_id, r.started_at, f.stage, f.reason
ORDER BY r.started_at DESC, failures DESC, f.stage, f.reason;
