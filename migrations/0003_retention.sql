-- Retention (RETENTION_DAYS): tombstones for pruned stories.
--
-- Pruning a story deletes its story_keys rows with it (ON DELETE CASCADE), so without a trace a pruned
-- story still present in its feed would be stored again as new on the next fetch (and land in digests
-- a second time). Pruning copies each key of a pruned story here first; ingestion drops any incoming
-- item that has a tombstoned key. Tombstones are kept for twice the retention period after the prune
-- (src/db/retention.ts), long enough for a story to leave its feed, then dropped so the table stays small.

CREATE TABLE pruned_keys (
  key       TEXT PRIMARY KEY,                        -- same format as story_keys.key
  pruned_at TEXT NOT NULL                            -- UTC ISO-8601; tombstones expire by this time
) WITHOUT ROWID, STRICT;

-- Expiring old tombstones is a range on pruned_at.
CREATE INDEX pruned_keys_pruned_at ON pruned_keys (pruned_at);
