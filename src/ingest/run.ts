import { setMaxListeners } from 'node:events';
import path from 'node:path';
import type { Db } from '../db/open.js';
import { createFeedStore, type FeedRow } from '../db/feeds.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { createFeedCommitter, describeCommitError, queueCommits, type CommitFailure, type CommitOutcome, type CommitRequest, type WriteSummary } from './commit.js';
import { fetchFeed } from './fetch.js';
import { nextFetchAfterFailure } from './policy.js';
import { hostOf, runKeyedPool } from './pool.js';
import type { PrepareOptions } from './prepare.js';
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
  /**
   * Write on this thread even when the workers could (the `ingest` command: its main thread has nothing
   * else to do, and one connection keeps its page cache warm). Default: the workers write, so a server's
   * main thread stays free for the API.
   */
  writesOnMainThread?: boolean | undefined;
}

export type FeedOutcome = 'updated' | 'not-modified' | 'failed';

/** A feed whose write failed (its savepoint rolled back): recorded on the feed like any failure. */
class CommitFailed extends Error {
  constructor(readonly failure: CommitFailure) {
    super(failure.message);
  }
}

function written(outcome: CommitOutcome): WriteSummary {
  if (!outcome.ok) throw new CommitFailed(outcome.error);
  return outcome.written;
}

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

/** Fetched feeds waiting for their parse and write, at most (bodies held in memory). */
const MAX_PROCESSING_FEEDS = 64;
const MAX_PROCESSING_BYTES = 64 * 1024 * 1024;

/**
 * The parse workers write what they parse themselves (ingest/worker.ts) unless told not to, and only
 * when they can reach the same database file and read the same clock: a file-backed database and the
 * system clock. An ingester given another clock (tests) or an in-memory database writes on the main thread.
 */
function workersMayWrite(deps: IngestDeps): boolean {
  return !deps.writesOnMainThread && deps.processor.writeInWorker !== undefined && deps.clock === systemClock && !deps.db.memory && !deps.db.readonly;
}

/**
 * One ingestion pass: fetch → parse/sanitize/tag (worker threads) → write. Each feed's stories, their
 * tags and search entries, and the feed's new validators and state are written together (ingest/commit.ts),
 * several feeds per transaction, by the parse workers themselves when they can (see workersMayWrite).
 * A feed's trouble is recorded on that feed and never stops the others.
 */
export function createIngester(deps: IngestDeps) {
  const feeds = createFeedStore(deps.db);
  const interval = deps.settings.fetchIntervalMs ?? 15 * 60_000;
  const commitOnMain = queueCommits(createFeedCommitter(deps.db, { clock: deps.clock, tagsHash: deps.tagsHash, retentionDays: deps.retentionDays }));
  const inWorkers = workersMayWrite(deps) ? deps.processor.writeInWorker : undefined;
  const database = { file: path.resolve(deps.db.name), tagsHash: deps.tagsHash, retentionDays: deps.retentionDays ?? null };
  let running: Promise<IngestSummary> | null = null;

  function writeSuccess(request: CommitRequest, parse?: { body: Buffer; contentType: string | null; opts: PrepareOptions; signal: AbortSignal | undefined }): Promise<CommitOutcome> {
    if (inWorkers) {
      const commit = { ...request, database };
      return parse ? inWorkers.processAndCommit(parse.body, parse.contentType, parse.opts, commit) : inWorkers.commitState(commit);
    }
    if (!parse) return commitOnMain({ request });
    return deps.processor.process(parse.body, parse.contentType, parse.opts).then((prepared) => {
      if (parse.signal?.aborted) throw parse.signal.reason;
      return commitOnMain({ request, prepared });
    });
  }

  function recordFailure(feed: FeedRow, fetchedAt: Date, status: number | null, code: string, message: string, retryAfterSeconds: number | null) {
    const next = nextFetchAfterFailure(fetchedAt, feed.consecutiveFailures + 1, retryAfterSeconds);
    feeds.recordFetchState(feed.id, {
      lastFetchedAt: fetchedAt.toISOString(),
      lastStatus: status,
      nextFetchAt: next.toISOString(),
      failure: { code, message },
    });
  }

  /**
   * Fetches one feed, then parses and writes it. `fetched` settles once the request is over (with the
   * size of the body to parse), so the host is free for its next feed while this one is parsed.
   */
  function ingestFeed(feed: FeedRow, signal: AbortSignal | undefined): { fetched: Promise<number>; result: Promise<FeedResult> } {
    const started = performance.now();
    const fetchedAt = deps.clock();
    const base = { feedId: feed.id, url: feed.url, newStories: 0, knownStories: 0, error: null, errorCode: null, tagsAssigned: [] };
    const done = (r: Omit<FeedResult, 'durationMs'>): FeedResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    let markFetched: (bytes: number) => void = () => {};
    const fetched = new Promise<number>((resolve) => (markFetched = resolve));
    let status: number | null = null;
    const result = (async (): Promise<FeedResult> => {
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
        markFetched(response.kind === 'ok' ? response.body.length : 0);
        if (signal?.aborted) throw signal.reason;
        if (response.kind === 'http-error') {
          recordFailure(feed, fetchedAt, response.status, 'FEED_FETCH_FAILED', response.message, response.cache.retryAfterSeconds);
          return done({ ...base, outcome: 'failed', httpStatus: response.status, error: response.message, errorCode: 'FEED_FETCH_FAILED' });
        }
        const request: CommitRequest = {
          feedId: feed.id,
          fetchedAt: fetchedAt.toISOString(),
          status: response.status,
          validators: response.kind === 'ok' ? { etag: response.etag, lastModified: response.lastModified } : { etag: feed.etag, lastModified: feed.lastModified },
          intervalMs: interval,
          maxAgeSeconds: response.cache.maxAgeSeconds,
        };
        if (response.kind === 'not-modified') {
          written(await writeSuccess(request));
          return done({ ...base, outcome: 'not-modified', httpStatus: 304 });
        }
        const opts = { feedId: feed.id, url: response.url, now: fetchedAt.toISOString() };
        const w = written(await writeSuccess(request, { body: response.body, contentType: response.contentType, opts, signal }));
        return done({ ...base, outcome: 'updated', httpStatus: response.status, newStories: w.inserted, knownStories: w.known, tagsAssigned: w.tagsAssigned });
      } catch (err) {
        markFetched(0);
        if (signal?.aborted) throw err; // shutting down: leave the feed as it was, nothing half-written
        const failure = err instanceof CommitFailed ? err.failure : describeCommitError(err);
        if (failure.unexpected) deps.log.error({ feedId: feed.id, err: err instanceof CommitFailed ? failure.message : err }, 'feed ingestion failed unexpectedly');
        recordFailure(feed, fetchedAt, status, failure.code, failure.message, null);
        return done({ ...base, outcome: 'failed', httpStatus: status, error: failure.message, errorCode: failure.code });
      }
    })();
    return { fetched, result };
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
    const report = (result: FeedResult) => {
      if (result.outcome === 'updated') summary.updated++;
      else if (result.outcome === 'not-modified') summary.notModified++;
      else summary.failed++;
      summary.newStories += result.newStories;
      const level = result.outcome === 'failed' ? 'warn' : 'debug';
      deps.log[level]({ feedId: result.feedId, outcome: result.outcome, status: result.httpStatus, newStories: result.newStories, error: result.error ?? undefined, durationMs: result.durationMs }, 'feed ingested');
      safely(() => options.onFeed?.(result));
      safely(() => deps.onFeedResult?.(result));
    };
    // Every request in flight listens to the run's signal: up to fetchConcurrency listeners at once, by
    // design. A signal of our own, linked to the caller's, says so (no MaxListenersExceededWarning) without
    // changing the caller's signal.
    const signal = options.signal && linkedSignal(options.signal, deps.settings.fetchConcurrency + 8);
    // The pool bounds requests (per host and in all); parsing and writing go on outside it, bounded here.
    const processing = new Set<Promise<void>>();
    let processingBytes = 0;
    try {
      await runKeyedPool(
        selected,
        { concurrency: deps.settings.fetchConcurrency, keyOf: (f) => hostOf(f.url), signal: signal?.signal },
        async (feed) => {
          const { fetched, result } = ingestFeed(feed, signal?.signal);
          const tracked = result.then(report, () => void (summary.aborted = true)).catch((err: unknown) => deps.log.error({ err }, 'feed report failed'));
          const bytes = await fetched;
          processing.add(tracked);
          processingBytes += bytes;
          void tracked.finally(() => {
            processing.delete(tracked);
            processingBytes -= bytes;
          });
          while (processing.size >= MAX_PROCESSING_FEEDS || processingBytes > MAX_PROCESSING_BYTES) await Promise.race(processing);
        },
      );
      await Promise.all(processing);
    } finally {
      signal?.unlink();
    }
    summary.aborted ||= options.signal?.aborted ?? false;
    summary.durationMs = Math.round(performance.now() - started);
    deps.log.info({ ...summary }, 'ingestion run finished');
    return summary;
  }

  function linkedSignal(outer: AbortSignal, maxListeners: number): { signal: AbortSignal; unlink: () => void } {
    const controller = new AbortController();
    setMaxListeners(maxListeners, controller.signal);
    const onAbort = () => controller.abort(outer.reason);
    if (outer.aborted) onAbort();
    else outer.addEventListener('abort', onAbort, { once: true });
    return { signal: controller.signal, unlink: () => outer.removeEventListener('abort', onAbort) };
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
