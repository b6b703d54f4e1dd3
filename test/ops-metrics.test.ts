import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { metricsPlugin } from '../src/api/routes/metrics.js';
import { createFeedStore } from '../src/db/feeds.js';
import { createIngester, type Ingester } from '../src/ingest/index.js';
import { createMetrics, type Metrics } from '../src/ops/metrics.js';
import { silentLogger } from '../src/shared/log.js';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parses the Prometheus text format (enough of it for these tests). */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`unparseable line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

let server: FeedServer;
let h: IngestHarness;
let apps: FastifyInstance[];

beforeEach(async () => {
  server = await startFeedServer();
  h = ingestHarness();
  apps = [];
  server.route('/good.xml', { body: rss([{ title: 'OpenAI cuts GPT-4o prices', link: 'https://news.example/a', guid: 'a', pubDate: 'Mon, 27 Jan 2025 10:00:00 GMT' }]) });
  server.route('/gone.xml', { status: 404, body: 'gone' });
  h.addFeeds([
    { id: 'good', url: server.url('/good.xml') },
    { id: 'gone', url: server.url('/gone.xml') },
  ]);
});

afterEach(async () => {
  for (const app of apps) await app.close();
  await h.close();
  await server.close();
});

/** The real app with the metrics plugin, and an ingester that reports to the same metrics. */
async function startApp(): Promise<{ base: string; metrics: Metrics; ingester: Ingester }> {
  const metrics = createMetrics({ db: h.db });
  const ingester = createIngester({
    db: h.db,
    processor: h.processor,
    log: silentLogger(),
    clock: () => new Date(),
    tagsHash: h.tagger.hash,
    settings: { fetchConcurrency: 2, fetchTimeoutMs: 5_000, fetchMaxBytes: 1 << 20, fetchMaxRedirects: 2, allowPrivateNetwork: true },
    onFeedResult: (r) => metrics.feedFetch(r),
  });
  const app = await buildApp({
    db: h.db,
    config: { adminToken: undefined, rateLimitMax: 0, publicUrl: 'http://127.0.0.1' },
    log: silentLogger(),
    clock: () => new Date(),
    ingester,
    tagger: h.tagger,
  });
  await app.register(metricsPlugin(metrics));
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, metrics, ingester };
}

/** Runs the ingester; the 'good' feed failing fails the test with its own error. */
async function ingestAll(ingester: Ingester): Promise<void> {
  const errors: string[] = [];
  await ingester.run({ onFeed: (r) => r.feedId === 'good' && r.error && errors.push(r.error) });
  expect(errors).toEqual([]);
}

async function scrape(base: string): Promise<{ samples: Sample[]; text: string; contentType: string | null }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { samples: parseExposition(text), text, contentType: res.headers.get('content-type') };
}

describe('GET /metrics', () => {
  it('shows fetches, durations, errors, stories and tags after a real ingestion, and the gauges', async () => {
    const { base, ingester } = await startApp();
    const before = await scrape(base);
    expect(value(before.samples, 'shiftwire_feed_fetches_total')).toBeUndefined();
    expect(value(before.samples, 'shiftwire_stories')).toBe(0);

    await ingestAll(ingester);
    const { samples, contentType } = await scrape(base);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(value(samples, 'shiftwire_feed_fetches_total', { feed: 'good', outcome: 'updated' })).toBe(1);
    expect(value(samples, 'shiftwire_feed_fetches_total', { feed: 'gone', outcome: 'failed' })).toBe(1);
    expect(value(samples, 'shiftwire_feed_errors_total', { feed: 'gone', code: 'FEED_FETCH_FAILED' })).toBe(1);
    expect(value(samples, 'shiftwire_feed_errors_total', { feed: 'good' })).toBeUndefined();
    expect(value(samples, 'shiftwire_feed_fetch_duration_seconds_count', { feed: 'good' })).toBe(1);
    expect(value(samples, 'shiftwire_feed_fetch_duration_seconds_bucket', { feed: 'good', le: '+Inf' })).toBe(1);
    expect(value(samples, 'shiftwire_stories_ingested_total', { feed: 'good' })).toBe(1);
    expect(value(samples, 'shiftwire_tags_assigned_total', { kind: 'company', tag: 'openai' })).toBe(1);
    expect(value(samples, 'shiftwire_stories')).toBe(1);
    expect(value(samples, 'shiftwire_feeds_failing')).toBe(1);
    expect(value(samples, 'shiftwire_feeds_enabled')).toBe(2);
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // A second pass: counters add up, the gauge follows the database.
    createFeedStore(h.db).updateFeed({ id: 'gone', name: 'gone', url: server.url('/good.xml'), kind: 'news', enabled: true }, new Date().toISOString());
    await ingestAll(ingester);
    const after = (await scrape(base)).samples;
    expect(value(after, 'shiftwire_feed_fetches_total', { feed: 'good' })).toBe(2);
    expect(value(after, 'shiftwire_feed_fetches_total', { feed: 'gone', outcome: 'updated' })).toBe(1);
    expect(value(after, 'shiftwire_feeds_failing')).toBe(0);
  });

  it('times HTTP requests by route pattern, never by raw URL', async () => {
    const { base } = await startApp();
    for (const path of ['/api/v1/feeds/good', '/api/v1/feeds/gone', '/api/v1/feeds/nope', '/no/such/thing?x=1', '/healthz']) await (await fetch(base + path)).text();
    const { samples, text } = await scrape(base);
    const count = (labels: Record<string, string>) => value(samples, 'shiftwire_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/api/v1/feeds/:id', status: '200' })).toBe(2);
    expect(count({ method: 'GET', route: '/api/v1/feeds/:id', status: '404' })).toBe(1);
    expect(count({ method: 'GET', route: '(unmatched)', status: '404' })).toBe(1);
    expect(count({ method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(value(samples, 'shiftwire_http_request_duration_seconds_sum', { route: '/api/v1/feeds/:id' })).toBeGreaterThan(0);
    expect(text).not.toMatch(/feeds\/good|feeds\/nope|no\/such/);
  });

  it('gives every app its own registry', async () => {
    const first = await startApp();
    const second = await startApp();
    await ingestAll(first.ingester);
    first.metrics.digestDelivery('webhook', 'delivered');
    const a = (await scrape(first.base)).samples;
    const b = (await scrape(second.base)).samples;
    expect(value(a, 'shiftwire_feed_fetches_total', { feed: 'good' })).toBe(1);
    expect(value(a, 'shiftwire_digest_deliveries_total', { channel: 'webhook', status: 'delivered' })).toBe(1);
    expect(value(b, 'shiftwire_feed_fetches_total')).toBeUndefined();
    expect(value(b, 'shiftwire_digest_deliveries_total')).toBeUndefined();
    expect(value(b, 'shiftwire_stories')).toBe(1); // the gauge reads the shared database at scrape time
  });
});
