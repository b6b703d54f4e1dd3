import type { Db } from '../db/open.js';
import { createFeedStore, type FeedRow } from '../db/feeds.js';
import { createRetentionGate } from '../db/retention.js';
import { createStoryWriter } from '../db/stories.js';
import type { Clock } from '../shared/clock.js';
import { describeError, isAppError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { fetchFeed } from './fetch.js';
import { nextFetchAfterFailure, nextFetchAfterSuccess } from './policy.js';
import { hostOf, runKeyedPool } from './pool.js';
import type { FeedProcessor } from './processor.js';

export interface IngestSettings {
  fetchConcurrency: number;
  fetchTimeoutMs: number;
  fetchMaxBytes: number;
  fetchMaxRedirects: number;
  allowPrivateNetwork: boolean;
  /** The gap between scheduled runs: a fetched feed rests this long (see policy.ts). Default 15 min. */
  fetchIntervalMs?: number;
  /** Tests use this to treat one loopback address as "private" and another as public. */
  addressPolicy?: (ip: string) => string | null;
}

export interface IngestDeps {
  db: Db;
  processor: FeedProcessor;
  settings: IngestSettings;
  log: Logger;
  clock: Clock;
  /** Hash of the taxonomy the processor tags with; stored beside each story's tags. */
  tagsHash: string;
  /** RETENTION_DAYS: items already older than this are not stored. Pruned stories never come back either way. */
  retentionDays?: number | undefined;
  /** Observers (metrics); never allowed to break a run. */
  onFeedResult?: (result: FeedResult) => void;
}

export type FeedOutcome = 'updated' | 'not-modified' | 'failed';

export interface FeedResult {
  feedId: string;
  url: string;
  outcome: FeedOutcome;
  httpStatus: number | null;
  newStories: number;
  knownStories: number;
  error: string | null;
  errorCode: string | null;
  durationMs: number;
  /** The tags given to this run's new stories of this feed. */
  tagsAssigned: Array<{ kind: 'company' | 'theme'; id: string }>;
}

export interface IngestSummary {
  feeds: number;
  updated: number;
  notModified: number;
  failed: number;
  newStories: number;
  durationMs: number;
  /** True when a shutdown cut the run short; the feeds not reached keep their state. */
  aborted: boolean;
}

export interface RunOptions {
  /** Only feeds whose next fetch time has come (the scheduler); otherwise every enabled feed. */
  dueOnly?: boolean;
  /** Only these feeds (enabled or not): `POST /feeds/:id/refresh`. */
  feedIds?: string[];
  signal?: AbortSignal;
  onStart?: (feedCount: number) => void;
  onFeed?: (result: FeedResult) => void;
}

/**
 * One ingestion pass: fetch → parse/sanitize/tag (worker threads) → one transaction per feed that writes
 * its stories, their tags and search entries, and the feed's new validators and state together.
 * A feed's trouble is recorded on that feed and never stops the others.
 */
export function createIngester(deps: IngestDeps) {
  const feeds = createFeedStore(deps.db);
  const interval = deps.settings.fetchIntervalMs ?? 15 * 60_000;
  const writer = createStoryWriter(deps.db);
  const gate = createRetentionGate(deps.db, { retentionDays: deps.retentionDays, clock: deps.clock });
  let running: Promise<IngestSummary> | null = null;

  // One transaction per feed, taking the write lock at BEGIN (immediate). The first-seen time is read
  // inside it, after the lock: anything that later reads under the write lock (a digest being built) sees
  // every story first seen before that moment, and no story can later appear with an earlier time.
  const commitTx = deps.db.transaction(
    (feed: FeedRow, fetchedAt: string, status: number, nextFetchAt: string, validators: { etag: string | null; lastModified: string | null }, prepared?: { title: string | null; siteUrl: string | null; stories: Parameters<typeof writer.writeStories>[1] }) => {
      const firstSeenAt = deps.clock().toISOString();
      // Inside the transaction: a story pruned a moment ago (tombstoned) is never stored again.
      const result = prepared ? writer.writeStories(feed.id, gate.admit(prepared.stories), firstSeenAt, deps.tagsHash) : { inserted: 0, known: 0, tagsAssigned: [] };
      feeds.recordFetchState(feed.id, {
        lastFetchedAt: fetchedAt,
        lastStatus: status,
        nextFetchAt,
        success: { ...validators, title: prepared?.title ?? null, siteUrl: prepared?.siteUrl ?? null },
      });
      return result;
    },
  );
  const commitSuccess = (...args: Parameters<typeof commitTx>) => commitTx.immediate(...args);

  function recordFailure(feed: FeedRow, fetchedAt: Date, status: number | null, code: string, message: string, retryAfterSeconds: number | null) {
    const next = nextFetchAfterFailure(fetchedAt, feed.consecutiveFailures + 1, retryAfterSeconds);
    feeds.recordFetchState(feed.id, {
      lastFetchedAt: fetchedAt.toISOString(),
      lastStatus: status,
      nextFetchAt: next.toISOString(),
      failure: { code, message },
    });
  }

  async function ingestFeed(feed: FeedRow, signal: AbortSignal | undefined): Promise<FeedResult> {
    const started = performance.now();
    const fetchedAt = deps.clock();
    const base = { feedId: feed.id, url: feed.url, newStories: 0, knownStories: 0, error: null, errorCode: null, tagsAssigned: [] };
    const done = (r: Omit<FeedResult, 'durationMs'>): FeedResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    let status: number | null = null;
    try {
      const response = await fetchFeed(feed.url, {
        etag: feed.etag,
        lastModified: feed.lastModified,
        allowPrivateNetwork: deps.settings.allowPrivateNetwork,
        ...(deps.settings.addressPolicy ? { addressPolicy: deps.settings.addressPolicy } : {}),
        timeoutMs: deps.settings.fetchTimeoutMs,
        connectTimeoutMs: Math.min(10_000, deps.settings.fetchTimeoutMs),
        maxBodyBytes: deps.settings.fetchMaxBytes,
        maxRedirects: deps.settings.fetchMaxRedirects,
        now: fetchedAt,
        ...(signal ? { signal } : {}),
      });
      status = response.status;
      if (signal?.aborted) throw signal.reason;
      if (response.kind === 'http-error') {
        recordFailure(feed, fetchedAt, response.status, 'FEED_FETCH_FAILED', response.message, response.cache.retryAfterSeconds);
        return done({ ...base, outcome: 'failed', httpStatus: response.status, error: response.message, errorCode: 'FEED_FETCH_FAILED' });
      }
      if (response.kind === 'not-modified') {
        const next = nextFetchAfterSuccess(fetchedAt, interval, { maxAgeSeconds: response.cache.maxAgeSeconds });
        commitSuccess(feed, fetchedAt.toISOString(), 304, next.toISOString(), { etag: feed.etag, lastModified: feed.lastModified });
        return done({ ...base, outcome: 'not-modified', httpStatus: 304 });
      }
      const prepared = await deps.processor.process(response.body, response.contentType, {
        feedId: feed.id,
        url: response.url,
        now: fetchedAt.toISOString(),
      });
      if (signal?.aborted) throw signal.reason;
      const next = nextFetchAfterSuccess(fetchedAt, interval, { ttlMinutes: prepared.ttlMinutes, maxAgeSeconds: response.cache.maxAgeSeconds });
      const written = commitSuccess(feed, fetchedAt.toISOString(), response.status, next.toISOString(), { etag: response.etag, lastModified: response.lastModified }, prepared);
      return done({ ...base, outcome: 'updated', httpStatus: response.status, newStories: written.inserted, knownStories: written.known, tagsAssigned: written.tagsAssigned });
    } catch (err) {
      if (signal?.aborted) throw err; // shutting down: leave the feed as it was, nothing half-written
      const code = isAppError(err) ? err.code : 'FEED_FETCH_FAILED';
      const message = isAppError(err) ? err.message : `unexpected error: ${describeError(err)}`;
      if (!isAppError(err)) deps.log.error({ feedId: feed.id, err }, 'feed ingestion failed unexpectedly');
      recordFailure(feed, fetchedAt, status, code, message, null);
      return done({ ...base, outcome: 'failed', httpStatus: status, error: message, errorCode: code });
    }
  }

  async function runOnce(options: RunOptions): Promise<IngestSummary> {
    const started = performance.now();
    const now = deps.clock().toISOString();
    const selected = options.feedIds
      ? options.feedIds.map((id) => feeds.getFeed(id)).filter((f): f is FeedRow => f !== undefined)
      : options.dueOnly
        ? feeds.listDueFeeds(now)
        : feeds.listEnabledFeeds();
    options.onStart?.(selected.length);
    const summary: IngestSummary = { feeds: selected.length, updated: 0, notModified: 0, failed: 0, newStories: 0, durationMs: 0, aborted: false };
    await runKeyedPool(
      selected,
      { concurrency: deps.settings.fetchConcurrency, keyOf: (f) => hostOf(f.url), signal: options.signal },
      async (feed) => {
        let result: FeedResult;
        try {
          result = await ingestFeed(feed, options.signal);
        } catch {
          summary.aborted = true;
          return;
        }
        if (result.outcome === 'updated') summary.updated++;
        else if (result.outcome === 'not-modified') summary.notModified++;
        else summary.failed++;
        summary.newStories += result.newStories;
        const level = result.outcome === 'failed' ? 'warn' : 'debug';
        deps.log[level]({ feedId: result.feedId, outcome: result.outcome, status: result.httpStatus, newStories: result.newStories, error: result.error ?? undefined, durationMs: result.durationMs }, 'feed ingested');
        safely(() => options.onFeed?.(result));
        safely(() => deps.onFeedResult?.(result));
      },
    );
    summary.aborted ||= options.signal?.aborted ?? false;
    summary.durationMs = Math.round(performance.now() - started);
    deps.log.info({ ...summary }, 'ingestion run finished');
    return summary;
  }

  function safely(fn: () => void) {
    try {
      fn();
    } catch (err) {
      deps.log.error({ err }, 'ingestion observer failed');
    }
  }

  return {
    /** Never two runs at once: a second call while one runs gets the running one's result. */
    run(options: RunOptions = {}): Promise<IngestSummary> {
      if (running) return running;
      running = runOnce(options).finally(() => {
        running = null;
      });
      return running;
    },
    /** Waits for a run in progress, then runs (an operator's refresh is never dropped). */
    async runAfterCurrent(options: RunOptions): Promise<IngestSummary> {
      while (running) await running.catch(() => undefined);
      return this.run(options);
    },
    get isRunning() {
      return running !== null;
    },
  };
}

export type Ingester = ReturnType<typeof createIngester>;
