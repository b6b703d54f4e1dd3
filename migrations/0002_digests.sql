-- Shiftwire schema, version 2: company digests.
--
-- A subscription says which stories someone wants (a filter), when (a schedule in a time zone) and where
-- (its private feed, always; a webhook; an email address). Each time it is due, the builder selects the
-- stories first seen since its previous digest, groups and ranks them, and writes in ONE immediate
-- transaction: the digest (with a snapshot of what it says), its story ids, one pending delivery per
-- channel, and the subscription's new window end. Delivery happens afterwards, from the deliveries
-- table alone, so a crash between the two loses nothing and sends nothing twice on its own account.
--
-- Times are UTC ISO-8601 strings like everywhere else; they compare correctly as text.

CREATE TABLE subscriptions (
  id             TEXT PRIMARY KEY,                  -- random UUID
  name           TEXT NOT NULL,
  token          TEXT NOT NULL UNIQUE,              -- capability for the digest feed and the unsubscribe link
  filter         TEXT NOT NULL,                     -- JSON {companies, themes, sources, kinds, q}
  filter_match   TEXT,                              -- filter.q compiled to a safe FTS5 expression (NULL: no q)
  schedule       TEXT NOT NULL,                     -- JSON {every, weekday?, time, timezone} or {cron, timezone}
  max_stories    INTEGER NOT NULL CHECK (max_stories > 0),
  send_empty     INTEGER,                           -- 1/0; NULL: follow DIGEST_SEND_EMPTY
  webhook_url    TEXT,
  webhook_secret TEXT,                              -- never returned by the API after creation
  email          TEXT,
  enabled        INTEGER NOT NULL DEFAULT 1,
  window_end     TEXT NOT NULL,                     -- the next digest covers stories first seen after this
  next_digest_at TEXT,                              -- when it is next due; NULL while disabled
  last_digest_at TEXT,                              -- generated_at of the newest digest
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;

-- "Which subscriptions are due" (next_digest_at <= now) is a range at the start of this index;
-- disabled subscriptions have NULL there and are never in the range. The UNIQUE constraint on token
-- already gives the feed and unsubscribe URLs their lookup index.
CREATE INDEX subscriptions_due ON subscriptions (next_digest_at);

CREATE TABLE digests (
  id              TEXT PRIMARY KEY,                 -- random UUID
  subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  window_start    TEXT NOT NULL,                    -- stories first seen in (window_start, window_end]
  window_end      TEXT NOT NULL,
  generated_at    TEXT NOT NULL,
  story_count     INTEGER NOT NULL,
  group_count     INTEGER NOT NULL,
  groups          TEXT NOT NULL,                    -- JSON snapshot of the ranked groups and their stories
  -- One digest per window end: a second builder racing for the same window fails instead of sending
  -- the digest twice. The same index lists a subscription's digests newest first (walked backwards)
  -- and serves the cascade from subscriptions.
  UNIQUE (subscription_id, window_end)
) STRICT;

-- Every story a subscription's digests carried. The primary key makes "no story twice across a
-- subscription's digests" a constraint of the database, not only a property of the windows; no foreign
-- key to stories, so pruning stories costs nothing here (the digest keeps its snapshot).
CREATE TABLE digest_stories (
  subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  story_id        INTEGER NOT NULL,
  digest_id       TEXT NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
  group_index     INTEGER NOT NULL,                 -- 0 = the top-ranked group
  PRIMARY KEY (subscription_id, story_id)
) WITHOUT ROWID, STRICT;

-- The stories of one digest, and the cascade when a digest goes.
CREATE INDEX digest_stories_digest ON digest_stories (digest_id);

CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,                 -- random UUID: the idempotency key receivers see
                                                    -- (X-Shiftwire-Delivery, the email's Message-ID); it
                                                    -- stays the same on every attempt
  digest_id       TEXT NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
  channel         TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
  target          TEXT NOT NULL,                    -- the webhook URL or email address, for display
  status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,       -- counted when an attempt starts, so a crash counts too
  max_attempts    INTEGER NOT NULL,
  next_attempt_at TEXT,                             -- pending: when the next attempt may start. While an
                                                    -- attempt is in flight it holds the attempt's lease:
                                                    -- if the process dies, the delivery is due again then
  last_attempt_at TEXT,
  last_status     INTEGER,                          -- HTTP status or SMTP reply code of the last attempt
  last_error      TEXT,                             -- plain words; NULL once delivered
  delivered_at    TEXT,
  created_at      TEXT NOT NULL,
  UNIQUE (digest_id, channel)                       -- one per channel; lists a digest's deliveries
) STRICT;

-- "Which deliveries are due": a range walk over pending rows only; delivered and failed rows, the vast
-- majority over time, are not in this index at all.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
