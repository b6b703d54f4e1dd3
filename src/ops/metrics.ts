/**
 * Prometheus metrics (prom-client). One Registry per createMetrics() call, never the global default
 * one, so every app instance (and every test) has its own counters.
 *
 * Label values are always bounded sets: feed ids (the configured feeds), error codes (the AppError
 * catalogue), taxonomy tag ids, route patterns (never raw URLs), HTTP methods and status codes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createFeedStore } from '../db/feeds.js';
import type { Db } from '../db/open.js';
import { countStories } from '../db/retention.js';
import type { FeedResult } from '../ingest/index.js';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Route label for requests no route matched (404s): one value, whatever the URL was. */
export const UNMATCHED_ROUTE = '(unmatched)';

export interface MetricsOptions {
  /** Read at scrape time for the stories and failing-feeds gauges; without it they are not exported. */
  db?: Db;
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];

  const fetches = new Counter({ name: 'shiftwire_feed_fetches_total', help: 'Feed fetch attempts, by feed and outcome (updated, not-modified, failed)', labelNames: ['feed', 'outcome'] as const, registers });
  const fetchDuration = new Histogram({
    name: 'shiftwire_feed_fetch_duration_seconds',
    help: 'Time to fetch, parse and store one feed',
    labelNames: ['feed'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60],
    registers,
  });
  const fetchErrors = new Counter({ name: 'shiftwire_feed_errors_total', help: 'Failed feed fetches, by feed and error code', labelNames: ['feed', 'code'] as const, registers });
  const ingested = new Counter({ name: 'shiftwire_stories_ingested_total', help: 'New stories stored, by the feed that brought them', labelNames: ['feed'] as const, registers });
  const tags = new Counter({ name: 'shiftwire_tags_assigned_total', help: 'Tags given to new stories, by kind (company, theme) and tag id', labelNames: ['kind', 'tag'] as const, registers });
  const deliveries = new Counter({ name: 'shiftwire_digest_deliveries_total', help: 'Digest delivery attempts, by channel and resulting status', labelNames: ['channel', 'status'] as const, registers });
  const pruned = new Counter({ name: 'shiftwire_stories_pruned_total', help: 'Stories deleted by retention (RETENTION_DAYS)', registers });
  const http = new Histogram({
    name: 'shiftwire_http_request_duration_seconds',
    help: 'API response time, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  const db = options.db;
  if (db) {
    const feeds = createFeedStore(db);
    new Gauge({
      name: 'shiftwire_stories',
      help: 'Stories stored now',
      registers,
      collect() {
        if (db.open) this.set(countStories(db));
      },
    });
    new Gauge({
      name: 'shiftwire_feeds_failing',
      help: 'Enabled feeds whose last fetch failed',
      registers,
      collect() {
        if (db.open) this.set(feeds.listFeeds().filter((f) => f.enabled && f.lastError !== null).length);
      },
    });
    new Gauge({
      name: 'shiftwire_feeds_enabled',
      help: 'Feeds that are fetched on schedule',
      registers,
      collect() {
        if (db.open) this.set(feeds.listEnabledFeeds().length);
      },
    });
  }
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  /** New stories and their tags; feedFetch calls it, so call it only for stories stored some other way. */
  function storiesIngested(feedId: string, count: number, assigned: FeedResult['tagsAssigned'] = []): void {
    if (count > 0) ingested.inc({ feed: feedId }, count);
    for (const t of assigned) tags.inc({ kind: t.kind, tag: t.id });
  }

  return {
    registry,
    contentType: registry.contentType,
    /** Everything one feed's ingestion tells: wire it as the ingester's `onFeedResult`. */
    feedFetch(result: FeedResult): void {
      fetches.inc({ feed: result.feedId, outcome: result.outcome });
      fetchDuration.observe({ feed: result.feedId }, result.durationMs / 1000);
      if (result.outcome === 'failed') fetchErrors.inc({ feed: result.feedId, code: result.errorCode ?? 'UNKNOWN' });
      storiesIngested(result.feedId, result.newStories, result.tagsAssigned);
    },
    storiesIngested,
    /** One delivery attempt's result, e.g. ('webhook', 'delivered'), ('email', 'retrying'), ('webhook', 'failed'). */
    digestDelivery(channel: string, status: string): void {
      deliveries.inc({ channel, status });
    },
    storiesPruned(count: number): void {
      if (count > 0) pruned.inc(count);
    },
    /** `route` is the route pattern (`/api/v1/feeds/:id`), or null when no route matched. */
    httpRequest(method: string, route: string | null | undefined, status: number, seconds: number): void {
      const m = method.toUpperCase();
      http.observe({ method: HTTP_METHODS.has(m) ? m : 'OTHER', route: route ?? UNMATCHED_ROUTE, status: String(status) }, seconds);
    },
    /** The exposition text for GET /metrics. */
    scrape: (): Promise<string> => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
