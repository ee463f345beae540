-- 0012: local publication days in any time zone, for the queries in queries/ that cut time into
-- periods. articles.published_day is the day in Europe/Paris, kept by the store. For another zone,
-- local_day_slots(tz) converts the day of each 15-minute slot of the covered period once, and
-- local_day(...) looks an article's day up by position: zones change offset on quarter-hour
-- boundaries, so this is exact, and converting each of a million timestamps with ICU would cost
-- about a second. Use them together:
--   WITH z AS (SELECT * FROM local_day_slots($tz))
--   SELECT local_day(a.published_at, a.published_day, $tz, z.s0, z.days) AS day FROM articles a, z

CREATE OR REPLACE MACRO local_day_slots(tz) AS TABLE
    SELECT min(s) AS s0, list(CAST(timezone(tz, make_timestamptz(s * 900000000)) AS DATE) ORDER BY s) AS days
    FROM (SELECT unnest(range(epoch_us(min(published_at)) // 900000000,
                              epoch_us(max(published_at)) // 900000000 + 1)) AS s FROM articles)
    WHERE tz <> 'Europe/Paris';

CREATE OR REPLACE MACRO local_day(published_at, published_day, tz, s0, days) AS
    CASE WHEN tz = 'Europe/Paris' THEN published_day
         ELSE days[epoch_us(published_at) // 900000000 - s0 + 1] END;

COMMENT ON MACRO TABLE local_day_slots IS 'One row (s0, days): the local date in time zone tz of every 15-minute slot from the first to the last publication time (no slots for Europe/Paris, whose day articles.published_day already holds). Pair with local_day().';
COMMENT ON MACRO local_day IS 'Local publication day in time zone tz: articles.published_day for Europe/Paris, else looked up in local_day_slots(tz) (s0, days) by 15-minute slot.';
