-- Shiftwire schema, version 1.
--
-- Design rule: every list query the API answers is an index walk, never a scan followed by a sort.
--
-- The key to that is the story id. It is not an insertion counter: it is the story's publication time
-- in unix seconds, shifted left by 20 bits, plus a sequence number inside that second
-- (id = published_seconds * 1048576 + n). So:
--   * ORDER BY id DESC is "newest first" on every table that carries a story id;
--   * since/until become a range on the id, inside whatever index drives the query;
--   * the tag timeline index (kind, tag_id, story_id) answers "stories tagged X, newest 50" by walking
--     one index backwards and stopping after 50 rows;
--   * the FTS5 table uses the same id as its rowid, so "match, ORDER BY rowid DESC" is newest-first too;
--   * a cursor is just the last id seen, which makes paging stable while new stories arrive.
-- Ids stay below 2^53 (JavaScript's safe integers) until the year 2242.

CREATE TABLE feeds (
  id                   TEXT PRIMARY KEY,               -- stable slug from feeds.yaml or the API
  name                 TEXT NOT NULL,
  url                  TEXT NOT NULL,
  kind                 TEXT NOT NULL DEFAULT 'news'
                         CHECK (kind IN ('company', 'news', 'commentary', 'research', 'policy')),
  enabled              INTEGER NOT NULL DEFAULT 1,
  origin               TEXT NOT NULL DEFAULT 'config'  -- 'config' (feeds.yaml), 'api' or 'opml'
                         CHECK (origin IN ('config', 'api', 'opml')),
  title                TEXT,                           -- the feed's own title, as last read
  site_url             TEXT,                           -- the feed's own link, as last read
  etag                 TEXT,
  last_modified        TEXT,
  last_fetched_at      TEXT,                           -- last attempt, success or not
  last_success_at      TEXT,
  last_status          INTEGER,                        -- HTTP status of the last attempt (NULL: no answer)
  last_error           TEXT,                           -- plain words; NULL when the last attempt worked
  last_error_code      TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  next_fetch_at        TEXT,                           -- NULL: due now
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
) STRICT;

CREATE INDEX feeds_next_fetch ON feeds (enabled, next_fetch_at);

CREATE TABLE stories (
  id               INTEGER PRIMARY KEY,                -- published time << 20 | sequence (see above)
  url              TEXT,                               -- absolute http(s) permalink, or NULL
  canonical_url    TEXT,
  title            TEXT NOT NULL,
  summary          TEXT NOT NULL,
  content_html     TEXT,                               -- sanitized
  content_text     TEXT,                               -- plain text of the body (tagging, digests)
  image_url        TEXT,
  author           TEXT,
  published_at     TEXT NOT NULL,                      -- UTC ISO-8601
  date_estimated   INTEGER NOT NULL DEFAULT 0,         -- 1: the item had no usable date; first-seen time used
  first_seen_at    TEXT NOT NULL,                      -- when Shiftwire first stored it (digest windows use this)
  feed_id          TEXT NOT NULL REFERENCES feeds (id), -- the first feed that carried it
  title_key        TEXT NOT NULL,                      -- normalized title, for grouping near-duplicates
  tags_hash        TEXT                                -- taxonomy hash the current tags were computed with
) STRICT;

-- Digest windows select by first-seen time.
CREATE INDEX stories_first_seen ON stories (first_seen_at);
-- Re-tagging finds stale stories without scanning tag rows.
CREATE INDEX stories_tags_hash ON stories (tags_hash);

-- Every identity a story is known by: its canonical URL, and the guid scoped to the feed that sent it
-- ('url:<canonical>', 'guid:<feed>:<guid>', 'title:<feed>:<hash>'). A story met again under any of its
-- keys, in the same feed or another, is the same story.
CREATE TABLE story_keys (
  key      TEXT PRIMARY KEY,
  story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE
) WITHOUT ROWID, STRICT;

CREATE INDEX story_keys_story ON story_keys (story_id);

-- Every feed that carried a story. (feed_id, story_id) is the timeline for ?source=.
CREATE TABLE story_sources (
  story_id      INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
  feed_id       TEXT NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
  url           TEXT,
  first_seen_at TEXT NOT NULL,
  PRIMARY KEY (story_id, feed_id)
) WITHOUT ROWID, STRICT;

CREATE INDEX story_sources_timeline ON story_sources (feed_id, story_id);

-- Tags with their evidence. The primary key serves "the tags of this story"; the timeline index
-- (kind, tag_id, story_id) serves "stories tagged X, newest first" and the AND of two tags
-- (walk one timeline, probe the other through the primary key).
CREATE TABLE story_tags (
  story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
  kind     TEXT NOT NULL CHECK (kind IN ('company', 'theme')),
  tag_id   TEXT NOT NULL,
  score    REAL NOT NULL,
  evidence TEXT NOT NULL,                              -- JSON array of {term, field, count}
  PRIMARY KEY (story_id, kind, tag_id)
) WITHOUT ROWID, STRICT;

CREATE INDEX story_tags_timeline ON story_tags (kind, tag_id, story_id);

-- Full-text search over title and summary. External content: the text lives once, in stories; the
-- rowid is the story id, so ORDER BY rowid DESC is newest first. Porter stemming so that "efficient"
-- finds "efficiency". (0004 rebuilds it without the prefix indexes below.)
CREATE VIRTUAL TABLE stories_fts USING fts5 (
  title,
  summary,
  content = 'stories',
  content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2',
  prefix = '2 3'
);

CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
  INSERT INTO stories_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
  INSERT INTO stories_fts (stories_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
END;

CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary ON stories BEGIN
  INSERT INTO stories_fts (stories_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
  INSERT INTO stories_fts (rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

-- Small facts about the database itself (e.g. the taxonomy hash the stored tags were made with).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID, STRICT;
