-- 0013: the articles that count in a period view, with their local publication day: one table macro
-- for the filter + day step that stance_share and tone_by_actor (and analysts' own period queries)
-- share, built on the macros of 0012. Undated articles are in no period.
--   SELECT d.day, an.label FROM annotations an JOIN article_local_days($tz, true, false) d USING (article_key)

CREATE OR REPLACE MACRO article_local_days(tz, on_topic_only, include_copies) AS TABLE
    SELECT a.article_key, local_day(a.published_at, a.published_day, tz, z.s0, z.days) AS day
    FROM articles a, local_day_slots(tz) z
    WHERE a.published_at IS NOT NULL
      AND (NOT on_topic_only OR a.is_relevant)
      AND (include_copies OR NOT coalesce(a.is_syndicated_copy, false));

COMMENT ON MACRO TABLE article_local_days IS 'Rows (article_key, day): dated articles, only relevant ones when on_topic_only, syndicated copies only when include_copies, with their publication day in time zone tz (local_day). Join on article_key.';
