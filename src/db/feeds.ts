import type { FeedEntry, FeedKind } from '../config/index.js';
import type { Db } from './open.js';

export type FeedOrigin = 'config' | 'api' | 'opml';

export interface FeedRow {
  id: string;
  name: string;
  url: string;
  kind: FeedKind;
  enabled: boolean;
  origin: FeedOrigin;
  title: string | null;
  siteUrl: string | null;
  etag: string | null;
  lastModified: string | null;
  lastFetchedAt: string | null;
  lastSuccessAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastErrorCode: string | null;
  consecutiveFailures: number;
  nextFetchAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FeedWithCount extends FeedRow {
  storyCount: number;
}

/** What one fetch attempt leaves on the feed's row. */
export interface FeedFetchState {
  lastFetchedAt: string;
  lastStatus: number | null;
  nextFetchAt: string;
  /** Present on success (200 or 304): the error is cleared and failures reset. */
  success?: { etag: string | null; lastModified: string | null; title?: string | null; siteUrl?: string | null };
  /** Present on failure. */
  failure?: { message: string; code: string };
}

const COLUMNS = `
  id, name, url, kind, enabled, origin, title, site_url AS siteUrl, etag, last_modified AS lastModified,
  last_fetched_at AS lastFetchedAt, last_success_at AS lastSuccessAt, last_status AS lastStatus,
  last_error AS lastError, last_error_code AS lastErrorCode, consecutive_failures AS consecutiveFailures,
  next_fetch_at AS nextFetchAt, created_at AS createdAt, updated_at AS updatedAt`;

function toFeed(row: Record<string, unknown> | undefined): FeedRow | undefined {
  if (!row) return undefined;
  return { ...(row as unknown as FeedRow), enabled: row.enabled === 1 };
}

export function createFeedStore(db: Db) {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM feeds WHERE id = ?`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM feeds ORDER BY id`);
  const due = db.prepare(`SELECT ${COLUMNS} FROM feeds WHERE enabled = 1 AND (next_fetch_at IS NULL OR next_fetch_at <= ?) ORDER BY next_fetch_at, id`);
  const enabled = db.prepare(`SELECT ${COLUMNS} FROM feeds WHERE enabled = 1 ORDER BY id`);
  const count = db.prepare(`SELECT count(*) AS n FROM story_sources WHERE feed_id = ?`).pluck();
  const insert = db.prepare(`
    INSERT INTO feeds (id, name, url, kind, enabled, origin, created_at, updated_at)
    VALUES (@id, @name, @url, @kind, @enabled, @origin, @now, @now)`);
  const upsertConfig = db.prepare(`
    INSERT INTO feeds (id, name, url, kind, enabled, origin, created_at, updated_at)
    VALUES (@id, @name, @url, @kind, @enabled, 'config', @now, @now)
    ON CONFLICT (id) DO UPDATE SET
      name = excluded.name, kind = excluded.kind, enabled = excluded.enabled, origin = 'config',
      -- a new address starts afresh: its validators and failures belong to the old one
      etag = CASE WHEN url = excluded.url THEN etag END,
      last_modified = CASE WHEN url = excluded.url THEN last_modified END,
      consecutive_failures = CASE WHEN url = excluded.url THEN consecutive_failures ELSE 0 END,
      next_fetch_at = CASE WHEN url = excluded.url THEN next_fetch_at END,
      url = excluded.url,
      updated_at = CASE WHEN name = excluded.name AND url = excluded.url AND kind = excluded.kind
                         AND enabled = excluded.enabled AND origin = 'config' THEN updated_at ELSE excluded.updated_at END`);
  const disableMissingConfig = db.prepare(`
    UPDATE feeds SET enabled = 0, updated_at = @now
    WHERE origin = 'config' AND enabled = 1 AND id NOT IN (SELECT value FROM json_each(@ids))`);
  const update = db.prepare(`
    UPDATE feeds SET name = @name, url = @url, kind = @kind, enabled = @enabled, updated_at = @now,
      etag = CASE WHEN url = @url THEN etag END,
      last_modified = CASE WHEN url = @url THEN last_modified END,
      next_fetch_at = CASE WHEN url = @url AND enabled = @enabled THEN next_fetch_at END
    WHERE id = @id`);
  const makeDue = db.prepare(`UPDATE feeds SET next_fetch_at = NULL WHERE id = ?`);
  const recordSuccess = db.prepare(`
    UPDATE feeds SET last_fetched_at = @lastFetchedAt, last_success_at = @lastFetchedAt, last_status = @lastStatus,
      last_error = NULL, last_error_code = NULL, consecutive_failures = 0, next_fetch_at = @nextFetchAt,
      etag = @etag, last_modified = @lastModified,
      title = coalesce(@title, title), site_url = coalesce(@siteUrl, site_url)
    WHERE id = @id`);
  const recordFailure = db.prepare(`
    UPDATE feeds SET last_fetched_at = @lastFetchedAt, last_status = @lastStatus, last_error = @message,
      last_error_code = @code, consecutive_failures = consecutive_failures + 1, next_fetch_at = @nextFetchAt
    WHERE id = @id`);
  // Stories that only this feed carried go with it; stories other feeds also carried stay, re-homed.
  const deleteOwnStories = db.prepare(`
    DELETE FROM stories WHERE feed_id = @id
      AND NOT EXISTS (SELECT 1 FROM story_sources ss WHERE ss.story_id = stories.id AND ss.feed_id <> @id)`);
  const rehomeStories = db.prepare(`
    UPDATE stories SET feed_id = (SELECT min(ss.feed_id) FROM story_sources ss WHERE ss.story_id = stories.id AND ss.feed_id <> @id)
    WHERE feed_id = @id`);
  const deleteFeed = db.prepare(`DELETE FROM feeds WHERE id = @id`);

  return {
    getFeed: (id: string): FeedRow | undefined => toFeed(byId.get(id) as Record<string, unknown> | undefined),
    listFeeds: (): FeedRow[] => all.all().map((r) => toFeed(r as Record<string, unknown>)!),
    listFeedsWithCounts: (): FeedWithCount[] =>
      all.all().map((r) => {
        const feed = toFeed(r as Record<string, unknown>)!;
        return { ...feed, storyCount: count.get(feed.id) as number };
      }),
    countStories: (id: string): number => count.get(id) as number,
    listDueFeeds: (now: string): FeedRow[] => due.all(now).map((r) => toFeed(r as Record<string, unknown>)!),
    listEnabledFeeds: (): FeedRow[] => enabled.all().map((r) => toFeed(r as Record<string, unknown>)!),

    /** feeds.yaml is authoritative for the feeds it lists; feeds it no longer lists are disabled, not deleted. */
    syncConfigFeeds: db.transaction((entries: FeedEntry[], now: string) => {
      for (const e of entries) upsertConfig.run({ ...e, enabled: e.enabled ? 1 : 0, now });
      disableMissingConfig.run({ ids: JSON.stringify(entries.map((e) => e.id)), now });
    }),
    createFeed: (feed: { id: string; name: string; url: string; kind: FeedKind; enabled: boolean; origin: FeedOrigin }, now: string) =>
      insert.run({ ...feed, enabled: feed.enabled ? 1 : 0, now }),
    updateFeed: (feed: { id: string; name: string; url: string; kind: FeedKind; enabled: boolean }, now: string) =>
      update.run({ ...feed, enabled: feed.enabled ? 1 : 0, now }).changes > 0,
    deleteFeed: db.transaction((id: string) => {
      deleteOwnStories.run({ id });
      rehomeStories.run({ id });
      return deleteFeed.run({ id }).changes > 0;
    }),
    makeFeedDue: (id: string) => makeDue.run(id).changes > 0,
    /** Runs inside the caller's transaction (the one that also writes the feed's stories). */
    recordFetchState: (id: string, state: FeedFetchState) => {
      if (state.success) {
        recordSuccess.run({
          id,
          lastFetchedAt: state.lastFetchedAt,
          lastStatus: state.lastStatus,
          nextFetchAt: state.nextFetchAt,
          etag: state.success.etag,
          lastModified: state.success.lastModified,
          title: state.success.title ?? null,
          siteUrl: state.success.siteUrl ?? null,
        });
      } else {
        recordFailure.run({
          id,
          lastFetchedAt: state.lastFetchedAt,
          lastStatus: state.lastStatus,
          nextFetchAt: state.nextFetchAt,
          message: state.failure?.message ?? 'unknown error',
          code: state.failure?.code ?? 'FEED_FETCH_FAILED',
        });
      }
    },
  };
}

export type FeedStore = ReturnType<typeof createFeedStore>;
