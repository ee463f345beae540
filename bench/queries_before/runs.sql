-- purpose: History of pipeline runs: status, duration, stage reached, counts and failures
--   (the runs table), newest first.
-- params:
--   limit INTEGER = 20  -- runs returned
--   command VARCHAR = NULL  -- only runs of this command (nightly, reprocess, ...; NULL = all)
-- columns: run_id, command, status, stage, started_at, seconds, fetched, extracted, analysed,
--   failures (total), summary
SELECT run_id, command, status, stage, started_at,
       round(date_diff('millisecond', started_at, finished_at) / 1000.0, 1) AS seconds,
       coalesce(counts['fetched'], 0)   AS fetched,
       coalesce(counts['extracted'], 0) AS extracted,
       coalesce(counts['analysed'], 0)  AS analysed,
       coalesce(list_sum(map_values(failures)), 0) AS failures,
       summary
FROM runs
WHERE $command IS NULL OR command = $command
ORDER BY started_at DESC
LIMIT $limit;
