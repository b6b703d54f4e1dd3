/**
 * Issue 7, part 3 (the fast half; the slow half with `shiftwire serve`, the fixture corpus, peak RSS and
 * API latency is test/reliability/hostile-feeds.test.ts). Every generated attack is ingested at once by
 * the real pipeline (worker threads, bounded HTTP client; the two parse-cost attacks at 40% size here);
 * each feed must end with the expected, readable
 * error or be stored safely, and the good feed beside them must not notice. Redirects into the machine
 * or the cloud metadata service are refused, with private networks off, before any connection is made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedStore, type FeedRow } from '../src/db/feeds.js';
import type { IngestSummary } from '../src/ingest/index.js';
import { classifyAddress } from '../src/net/address.js';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { isReadableError, startHostileServers, type HostileServers } from './helpers/fault-hostile.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';
import { findExecutableHtml } from './helpers/html-safety.js';

const good = rss([
  { title: 'Anthropic ships Claude 4', link: 'https://news.example/claude-4', guid: 'g1' },
  { title: 'Nvidia earnings beat', link: 'https://news.example/nvidia', guid: 'g2' },
]);

describe('hostile feeds, all at once, through the real pipeline', () => {
  let hostile: HostileServers;
  let server: FeedServer;
  let h: IngestHarness;
  let summary: IngestSummary;
  let feeds: Map<string, FeedRow>;
  let elapsedMs: number;

  beforeAll(async () => {
    hostile = await startHostileServers(40, 0.4);
    server = await startFeedServer();
    server.route('/good.xml', { body: good });
    h = ingestHarness({ workers: 2, settings: { fetchTimeoutMs: 6_000, fetchConcurrency: 8 } });
    h.addFeeds([...hostile.attacks.map((a) => ({ id: a.id, url: a.url })), { id: 'good', url: server.url('/good.xml') }]);
    const started = performance.now();
    summary = await h.ingester.run();
    elapsedMs = performance.now() - started;
    feeds = new Map(createFeedStore(h.db).listFeeds().map((f) => [f.id, f]));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await hostile?.close();
    await server?.close();
  });

  it('finishes the run in bounded time with every feed accounted for', () => {
    expect(summary.feeds).toBe(hostile.attacks.length + 1);
    expect(summary.updated + summary.failed).toBe(summary.feeds);
    // The slowest attacks are held to the 6 s fetch timeout; parsing is held by the worker limits.
    expect(elapsedMs).toBeLessThan(40_000);
    expect(feeds.get('good')).toMatchObject({ lastError: null, lastStatus: 200 });
  });

  it.each(['atk-body-100mb', 'atk-length-100mb', 'atk-gzip-bomb', 'atk-endless-fast', 'atk-endless-slow', 'atk-deep-xml', 'atk-redirect-20', 'atk-reset-midbody', 'atk-fake-gzip', 'atk-slow-headers', 'atk-header-flood', 'atk-not-http'])(
    '%s ends with its expected, readable error',
    (id) => {
      const attack = hostile.attacks.find((a) => a.id === id)!;
      const feed = feeds.get(id)!;
      expect('code' in attack.expect).toBe(true);
      if (!('code' in attack.expect)) return;
      expect(feed.lastErrorCode, `${id}: ${feed.lastError}`).toBe(attack.expect.code);
      expect(feed.lastError).toMatch(attack.expect.message);
      expect(isReadableError(feed.lastError), feed.lastError ?? '').toBe(true);
      expect(feed.consecutiveFailures).toBe(1);
    },
  );

  it('stops reading the 100 MB bodies soon after the 10 MB limit', () => {
    for (const id of ['atk-body-100mb', 'atk-length-100mb', 'atk-endless-fast']) {
      expect(hostile.bytesSent.get(id) ?? 0, id).toBeLessThan(24 * 1024 * 1024);
    }
  });

  it('stores the survivable attacks safely: bounded title, bounded items, no executable HTML', () => {
    for (const id of ['atk-deep-json', 'atk-deep-html', 'atk-title-1mb', 'atk-items-50k']) {
      expect(feeds.get(id)!.lastError, id).toBeNull();
    }
    const rows = h.db.prepare('SELECT s.title, s.summary, s.content_html AS html, ss.feed_id AS feed FROM stories s JOIN story_sources ss ON ss.story_id = s.id').all() as Array<{ title: string; summary: string; html: string | null; feed: string }>;
    const titles = rows.filter((r) => r.feed === 'atk-title-1mb').map((r) => r.title.length);
    expect(titles).toHaveLength(1);
    expect(titles[0]).toBeLessThanOrEqual(501);
    expect(rows.filter((r) => r.feed === 'atk-items-50k')).toHaveLength(5000); // MAX_ITEMS of the 20,000
    for (const r of rows) {
      expect(r.title.length).toBeLessThanOrEqual(501);
      if (r.html) expect(findExecutableHtml(r.html)).toEqual([]);
      expect(Buffer.byteLength(r.html ?? '')).toBeLessThanOrEqual(500 * 1024);
    }
  });
});

describe('redirects into the machine or the cloud metadata service (ALLOW_PRIVATE_NETWORK=false)', () => {
  // 127.0.0.2 plays the public internet; everything else is judged by the real classifier, so 127.0.0.1
  // (localhost) is loopback again. A "private" server listens there and must never be reached.
  const PUBLIC = '127.0.0.2';
  let outside: FeedServer;
  let inside: FeedServer;
  let h: IngestHarness;

  beforeAll(async () => {
    outside = await startFeedServer(PUBLIC);
    inside = await startFeedServer('127.0.0.1');
    inside.route('/secret.xml', { body: good });
    const port = new URL(inside.origin).port;
    const targets: Record<string, string> = {
      'to-metadata': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'to-metadata-v6-mapped': 'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'to-alibaba-metadata': 'http://100.100.100.200/latest/meta-data/',
      'to-localhost': `http://localhost:${port}/secret.xml`,
      'to-loopback-ip': `http://127.0.0.1:${port}/secret.xml`,
      'to-loopback-short': `http://127.1:${port}/secret.xml`,
      'to-loopback-decimal': `http://2130706433:${port}/secret.xml`,
      'to-loopback-hex': `http://0x7f000001:${port}/secret.xml`,
      'to-ipv6-loopback': `http://[::1]:${port}/secret.xml`,
      'to-unspecified': `http://0.0.0.0:${port}/secret.xml`,
      'to-private-10': 'http://10.0.0.1/feed.xml',
      'to-file': 'file:///etc/passwd',
    };
    const feeds: Array<{ id: string; url: string }> = [];
    for (const [id, target] of Object.entries(targets)) {
      outside.route(`/${id}`, { status: 302, headers: { location: target } });
      // The same target two hops later, after an innocent redirect on the public host.
      outside.route(`/${id}/via`, { status: 301, headers: { location: `/${id}` } });
      feeds.push({ id, url: outside.url(`/${id}`) }, { id: `${id}-via`, url: outside.url(`/${id}/via`) });
    }
    h = ingestHarness({ settings: { allowPrivateNetwork: false, addressPolicy: (ip) => (ip === PUBLIC ? null : classifyAddress(ip)) } });
    h.addFeeds(feeds);
    await h.ingester.run();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await outside?.close();
    await inside?.close();
  });

  it('refuses every one with FEED_BLOCKED and a reason in plain words, and never connects', () => {
    const rows = createFeedStore(h.db).listFeeds();
    expect(rows).toHaveLength(24);
    for (const feed of rows) {
      expect(feed.lastErrorCode, `${feed.id}: ${feed.lastError}`).toBe('FEED_BLOCKED');
      expect(feed.lastError, feed.id).toMatch(/^refused: /);
      expect(feed.lastError, feed.id).toMatch(/loopback|metadata|private|unspecified|only http and https/);
      expect(isReadableError(feed.lastError), feed.lastError ?? '').toBe(true);
    }
    expect(inside.requests).toEqual([]);
    expect(h.db.prepare('SELECT count(*) FROM stories').pluck().get()).toBe(0);
  });
});
