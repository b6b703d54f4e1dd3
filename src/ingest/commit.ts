/**
 * Writing fetched feeds: each feed's stories (with their keys, sources, tags and search entries) and the
 * feed's new validators and state land together or not at all. Several feeds go in one write
 * transaction (a commit costs about as much as writing a few hundred stories), each feed in its own
 * savepoint inside it, so a feed whose write fails leaves no trace and takes no other feed down.
 *
 * The same code runs on the main thread (ingest/run.ts) and in the parse workers, which write what they
 * parsed through their own connection (ingest/worker.ts).
 */
import { withoutWaiting, type Db } from '../db/open.js';
import { createFeedStore } from '../db/feeds.js';
import { createRetentionGate } from '../db/retention.js';
import { createStoryWriter, type IdCache, type StoryWrite } from '../db/stories.js';
import type { Clock } from '../shared/clock.js';
import { describeError, isAppError, type ErrorCode } from '../shared/errors.js';
import { nextFetchAfterSuccess } from './policy.js';

/** A successful fetch to record: 200 with its parsed stories, or 304 (no `prepared`). */
export interface CommitRequest {
  feedId: string;
  /** ISO time of the fetch. */
  fetchedAt: string;
  status: number;
  validators: { etag: string | null; lastModified: string | null };
  /** The schedule interval and the server's Cache-Control max-age: the next fetch time follows from them. */
  intervalMs: number;
  maxAgeSeconds: number | null;
}

export interface PreparedStories {
  title: string | null;
  siteUrl: string | null;
  ttlMinutes: number | null;
  stories: StoryWrite[];
}

export interface WriteSummary {
  inserted: number;
  known: number;
  /** The tags given to the feed's new stories (metrics). */
  tagsAssigned: Array<{ kind: 'company' | 'theme'; id: string }>;
}

/** A feed that could not be written: what its state will say (`unexpected`: not an AppError, worth a log line). */
export interface CommitFailure {
  code: ErrorCode;
  message: string;
  unexpected: boolean;
}

export type CommitOutcome = { ok: true; written: WriteSummary } | { ok: false; error: CommitFailure };

export interface CommitEntry {
  request: CommitRequest;
  prepared?: PreparedStories | undefined;
}

export interface CommitterOptions {
  /** Read once per transaction, after the write lock is taken: the stories' first-seen time. */
  clock: Clock;
  tagsHash: string;
  retentionDays?: number | undefined;
}

export const NO_WRITES: WriteSummary = { inserted: 0, known: 0, tagsAssigned: [] };

/** The same words ingestion has always recorded for an error it did not expect. */
export function describeCommitError(err: unknown): CommitFailure {
  if (isAppError(err)) return { code: err.code, message: err.message, unexpected: false };
  return { code: 'FEED_FETCH_FAILED', message: `unexpected error: ${describeError(err)}`, unexpected: true };
}

export function isBusyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_BUSY';
}

export function createFeedCommitter(db: Db, options: CommitterOptions) {
  const feeds = createFeedStore(db);
  const writer = createStoryWriter(db);
  const gate = createRetentionGate(db, { retentionDays: options.retentionDays, clock: options.clock });

  /** One feed, inside the group's transaction: a nested transaction, so a savepoint. */
  const writeFeed = db.transaction((entry: CommitEntry, firstSeenAt: string, ids: IdCache): WriteSummary => {
    const { request, prepared } = entry;
    // Inside the transaction: a story pruned a moment ago (tombstoned) is never stored again.
    const result = prepared ? writer.writeStories(request.feedId, gate.admit(prepared.stories), firstSeenAt, options.tagsHash, ids) : NO_WRITES;
    const next = nextFetchAfterSuccess(new Date(request.fetchedAt), request.intervalMs, { ttlMinutes: prepared?.ttlMinutes, maxAgeSeconds: request.maxAgeSeconds });
    feeds.recordFetchState(request.feedId, {
      lastFetchedAt: request.fetchedAt,
      lastStatus: request.status,
      nextFetchAt: next.toISOString(),
      success: { ...request.validators, title: prepared?.title ?? null, siteUrl: prepared?.siteUrl ?? null },
    });
    return { inserted: result.inserted, known: result.known, tagsAssigned: result.tagsAssigned };
  });

  // The write lock is taken at BEGIN (immediate), and the first-seen time is read after it: anything that
  // later reads under the write lock (a digest being built) sees every story first seen before that
  // moment, and no story can later appear with an earlier time.
  const group = db.transaction((entries: CommitEntry[]): CommitOutcome[] => {
    const firstSeenAt = options.clock().toISOString();
    const ids: IdCache = new Map();
    return entries.map((entry): CommitOutcome => {
      try {
        return { ok: true, written: writeFeed(entry, firstSeenAt, ids) };
      } catch (err) {
        if (!db.inTransaction) throw err; // SQLite gave up the whole transaction: every feed fails
        ids.clear(); // the savepoint took this feed's ids back
        return { ok: false, error: describeCommitError(err) };
      }
    });
  });

  return {
    /** Writes the feeds in one transaction, waiting for the write lock (busy timeout) if another holds it. */
    commit(entries: CommitEntry[]): CommitOutcome[] {
      return group.immediate(entries);
    },
    /** The same, or null at once if another connection holds the write lock (nothing written). */
    tryCommit(entries: CommitEntry[]): CommitOutcome[] | null {
      try {
        return withoutWaiting(db, () => group.immediate(entries));
      } catch (err) {
        if (isBusyError(err)) return null;
        throw err;
      }
    },
  };
}

export type FeedCommitter = ReturnType<typeof createFeedCommitter>;

/**
 * Writes on the calling thread (ingesters that cannot let the workers write): the feeds that finish
 * during one turn of the event loop share a transaction.
 */
export function queueCommits(committer: FeedCommitter): (entry: CommitEntry) => Promise<CommitOutcome> {
  let waiting: Array<{ entry: CommitEntry; resolve: (o: CommitOutcome) => void; reject: (e: unknown) => void }> = [];
  function flush() {
    const group = waiting;
    waiting = [];
    let outcomes: CommitOutcome[];
    try {
      outcomes = committer.commit(group.map((g) => g.entry));
    } catch (err) {
      for (const g of group) g.reject(err);
      return;
    }
    group.forEach((g, i) => g.resolve(outcomes[i]!));
  }
  return (entry) =>
    new Promise((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ entry, resolve, reject });
    });
}
