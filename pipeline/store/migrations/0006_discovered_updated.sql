-- 0006: remember when a feed or sitemap says an article was updated, to fetch it again.
ALTER TABLE discovered ADD COLUMN updated_hint TIMESTAMPTZ;
COMMENT ON COLUMN discovered.updated_hint IS 'Last-update time given by the feed (Atom updated, sitemap lastmod); a value newer than the stored page makes the next run fetch it again.';
