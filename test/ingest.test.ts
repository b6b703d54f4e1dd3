import { getEventListeners } from 'node:events';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFeedStore } from '../src/db/feeds.js';
import { prestartWorkers } from '../src/ingest/processor.js';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';

let server: FeedServer;
let h: IngestHarness;

beforeEach(async () => {
  server = await startFeedServer();
});

afterEach(async () => {
  await h?.close();
  await server.close();
});

const storyCount = (h: IngestHarness) => h.db.prepare('SELECT count(*) FROM stories').pluck().get() as number;
const feedRow = (h: IngestHarness, id: string) => createFeedStore(h.db).getFeed(id)!;

const twoItems = rss([
  { title: 'OpenAI cuts GPT-4o prices', link: 'https://news.example/a?utm_source=rss', guid: 'a', pubDate: 'Mon, 27 Jan 2025 10:00:00 GMT' },
  { title: 'Nvidia shares fall after DeepSeek R1', link: 'https://news.example/b', guid: 'b', pubDate: 'Mon, 27 Jan 2025 11:00:00 GMT' },
]);

describe('ingestion', () => {
  it('stores, tags and indexes the items of a feed, and records its state', async () => {
    h = ingestHarness();
    server.route('/feed.xml', { body: twoItems, headers: { 'content-type': 'application/rss+xml', etag: '"v1"' } });
    h.addFeeds([{ id: 'one', url: server.url('/feed.xml') }]);
    const summary = await h.ingester.run();
    expect(summary).toMatchObject({ feeds: 1, updated: 1, failed: 0, newStories: 2 });
    const rows = h.db.prepare('SELECT url, title, published_at AS publishedAt FROM stories ORDER BY id').all();
    expect(rows).toEqual([
      { url: 'https://news.example/a?utm_source=rss', title: 'OpenAI cuts GPT-4o prices', publishedAt: '2025-01-27T10:00:00.000Z' },
      { url: 'https://news.example/b', title: 'Nvidia shares fall after DeepSeek R1', publishedAt: '2025-01-27T11:00:00.000Z' },
    ]);
    const tags = h.db.prepare("SELECT tag_id FROM story_tags WHERE kind = 'company' ORDER BY tag_id").pluck().all();
    expect(tags).toEqual(expect.arrayContaining(['deepseek', 'nvidia', 'openai']));
    const fts = h.db.prepare("SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'nvidia'").pluck().get();
    expect(fts).toBe(1);
    const feed = feedRow(h, 'one');
    expect(feed).toMatchObject({ etag: '"v1"', lastStatus: 200, lastError: null, consecutiveFailures: 0, title: 'Test feed' });
  });

  it('sends the stored validators and does no parsing on 304', async () => {
    h = ingestHarness();
    let hits = 0;
    server.route('/feed.xml', (req, res) => {
      hits++;
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
      res.writeHead(200, { etag: '"v1"', 'last-modified': 'Mon, 27 Jan 2025 12:00:00 GMT' }).end(twoItems);
    });
    h.addFeeds([{ id: 'one', url: server.url('/feed.xml') }]);
    await h.ingester.run();
    const second = await h.ingester.run();
    expect(hits).toBe(2);
    expect(second).toMatchObject({ notModified: 1, updated: 0, newStories: 0 });
    expect(server.requests[1]!.headers['if-none-match']).toBe('"v1"');
    expect(server.requests[1]!.headers['if-modified-since']).toBe('Mon, 27 Jan 2025 12:00:00 GMT');
    expect(feedRow(h, 'one')).toMatchObject({ lastStatus: 304, etag: '"v1"', lastError: null });
  });

  it('never stores a story twice, across runs or across feeds, and records every feed that carried it', async () => {
    h = ingestHarness();
    server.route('/a.xml', { body: twoItems });
    // The same article from another feed, with other tracking parameters and another guid.
    server.route('/b.xml', { body: rss([{ title: 'OpenAI cuts GPT-4o prices', link: 'https://NEWS.example:443/a?fbclid=x#top', guid: 'other', pubDate: 'Mon, 27 Jan 2025 10:05:00 GMT' }]) });
    h.addFeeds([{ id: 'a', url: server.url('/a.xml') }, { id: 'b', url: server.url('/b.xml') }]);
    await h.ingester.run();
    await h.ingester.run();
    expect(storyCount(h)).toBe(2);
    const sources = h.db.prepare("SELECT ss.feed_id FROM story_sources ss JOIN stories s ON s.id = ss.story_id WHERE s.title LIKE 'OpenAI%' ORDER BY ss.feed_id").pluck().all();
    expect(sources).toEqual(['a', 'b']);
  });

  it('keeps items apart when a feed points every item at its home page', async () => {
    h = ingestHarness();
    server.route('/feed.xml', {
      body: rss([
        { title: 'First', link: 'https://news.example/', guid: '1' },
        { title: 'Second', link: 'https://news.example/', guid: '2' },
      ]),
    });
    h.addFeeds([{ id: 'one', url: server.url('/feed.xml') }]);
    await h.ingester.run();
    expect(storyCount(h)).toBe(2);
  });

  it.each([
    ['404', { status: 404, body: 'gone' }, /404/],
    ['500', { status: 500, body: 'oops' }, /500/],
    ['an HTML page', { status: 200, body: '<!doctype html><html><body>hi</body></html>', headers: { 'content-type': 'text/html' } }, /HTML/i],
    ['broken XML', { status: 200, body: '<rss><channel><title>x</title><item><title>a' }, /./],
  ])('marks a feed failing with a readable reason on %s, and the other feeds carry on', async (_name, response, reason) => {
    h = ingestHarness();
    server.route('/bad.xml', response);
    server.route('/good.xml', { body: twoItems });
    h.addFeeds([{ id: 'bad', url: server.url('/bad.xml') }, { id: 'good', url: server.url('/good.xml') }]);
    const summary = await h.ingester.run();
    expect(summary).toMatchObject({ failed: 1, updated: 1, newStories: 2 });
    const bad = feedRow(h, 'bad');
    expect(bad.lastError).toMatch(reason);
    expect(bad.consecutiveFailures).toBe(1);
    expect(Date.parse(bad.nextFetchAt!)).toBeGreaterThan(Date.now() + 4 * 60_000);
    // The stored validators of a failing feed are untouched, so a later success is fetched in full.
    expect(bad.etag).toBeNull();
  });

  it('backs off exponentially and honours Retry-After on 429', async () => {
    h = ingestHarness();
    server.route('/busy.xml', { status: 429, headers: { 'retry-after': '7200' }, body: '' });
    h.addFeeds([{ id: 'busy', url: server.url('/busy.xml') }]);
    const before = Date.now();
    await h.ingester.run();
    const busy = feedRow(h, 'busy');
    expect(busy.lastStatus).toBe(429);
    expect(Date.parse(busy.nextFetchAt!) - before).toBeGreaterThanOrEqual(7200_000 - 1000);
    // A due-only run leaves it alone until then.
    const due = await h.ingester.run({ dueOnly: true });
    expect(due.feeds).toBe(0);
  });

  it('cuts off a server that never finishes its body, and one whose body is too large', async () => {
    h = ingestHarness({ settings: { fetchTimeoutMs: 800, fetchMaxBytes: 64 * 1024 } });
    server.route('/slow.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
      // …and nothing more: the total timeout must end it.
    });
    server.route('/huge.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const chunk = Buffer.alloc(16 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 10 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    server.route('/bomb.xml', { body: gzipSync(Buffer.alloc(20 * 1024 * 1024, ' ')), headers: { 'content-encoding': 'gzip' } });
    server.route('/good.xml', { body: twoItems });
    h.addFeeds([
      { id: 'slow', url: server.url('/slow.xml') },
      { id: 'huge', url: server.url('/huge.xml') },
      { id: 'bomb', url: server.url('/bomb.xml') },
      { id: 'good', url: server.url('/good.xml') },
    ]);
    const started = Date.now();
    const summary = await h.ingester.run();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(summary).toMatchObject({ failed: 3, updated: 1 });
    expect(feedRow(h, 'slow').lastErrorCode).toBe('FEED_TIMEOUT');
    expect(feedRow(h, 'huge').lastErrorCode).toBe('FEED_TOO_LARGE');
    expect(feedRow(h, 'bomb').lastErrorCode).toBe('FEED_TOO_LARGE');
  });

  it('gives up on a redirect loop with a clear error', async () => {
    h = ingestHarness();
    server.route('/loop-a', { status: 302, headers: { location: '/loop-b' } });
    server.route('/loop-b', { status: 302, headers: { location: '/loop-a' } });
    h.addFeeds([{ id: 'loop', url: server.url('/loop-a') }]);
    await h.ingester.run();
    expect(feedRow(h, 'loop').lastError).toMatch(/redirect/i);
  });

  it('refuses private addresses unless ALLOW_PRIVATE_NETWORK, also after a redirect, without connecting', async () => {
    h = ingestHarness({ settings: { allowPrivateNetwork: false } });
    server.route('/feed.xml', { body: twoItems });
    h.addFeeds([{ id: 'local', url: server.url('/feed.xml') }]);
    await h.ingester.run();
    expect(server.requests).toHaveLength(0);
    expect(feedRow(h, 'local')).toMatchObject({ lastErrorCode: 'FEED_BLOCKED' });
    expect(feedRow(h, 'local').lastError).toMatch(/127\.0\.0\.1.*loopback/);
  });

  it('follows a redirect from an allowed address to a refused one no further', async () => {
    // 127.0.0.1 plays the public internet here; 127.0.0.2 plays the private network.
    const inside = await startFeedServer('127.0.0.2');
    try {
      inside.route('/secret.xml', { body: twoItems });
      h = ingestHarness({ settings: { allowPrivateNetwork: false, addressPolicy: (ip) => (ip === '127.0.0.1' ? null : 'a private network address') } });
      server.route('/feed.xml', { status: 302, headers: { location: inside.url('/secret.xml') } });
      h.addFeeds([{ id: 'sneaky', url: server.url('/feed.xml') }]);
      await h.ingester.run();
      expect(inside.requests).toHaveLength(0);
      expect(feedRow(h, 'sneaky').lastErrorCode).toBe('FEED_BLOCKED');
    } finally {
      await inside.close();
    }
  });

  it('decodes by the HTTP charset first, even when the document claims another', async () => {
    h = ingestHarness();
    const title = 'Привет, DeepSeek';
    const koi8 = encodeKoi8r(rss([{ title, link: 'https://news.example/ru', guid: 'ru' }]).replace('UTF-8', 'windows-1251'));
    server.route('/ru.xml', { body: koi8, headers: { 'content-type': 'application/rss+xml; charset=koi8-r' } });
    h.addFeeds([{ id: 'ru', url: server.url('/ru.xml') }]);
    await h.ingester.run();
    expect(h.db.prepare('SELECT title FROM stories').pluck().get()).toBe(title);
  });

  it('runs the parse on worker threads with the same result', async () => {
    h = ingestHarness({ workers: 1 });
    server.route('/feed.xml', { body: twoItems });
    h.addFeeds([{ id: 'one', url: server.url('/feed.xml') }]);
    const summary = await h.ingester.run();
    expect(feedRow(h, 'one').lastError).toBeNull();
    expect(summary.newStories).toBe(2);
  });

  it('adopts workers started before the taxonomy was read, and tags with the taxonomy sent to them later', async () => {
    // The CLI starts the workers first (they load while the configuration is read); the processor
    // takes as many as it needs, ends the rest, and sends each the taxonomy before any document.
    prestartWorkers(2);
    h = ingestHarness({ workers: 1 });
    server.route('/feed.xml', { body: twoItems });
    h.addFeeds([{ id: 'one', url: server.url('/feed.xml') }]);
    expect(await h.ingester.run()).toMatchObject({ updated: 1, failed: 0, newStories: 2 });
    const companies = h.db.prepare(`SELECT tag_id FROM story_tags WHERE kind = 'company' ORDER BY tag_id`).pluck().all();
    expect(companies).toEqual(['deepseek', 'nvidia', 'openai']);
  });

  it('fetches one host at a time and several hosts at once', async () => {
    h = ingestHarness({ settings: { fetchConcurrency: 4 } });
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 4; i++) {
      server.route(`/f${i}.xml`, async (_req, res) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 50));
        active--;
        res.writeHead(200).end(rss([{ title: `Item ${i}`, link: `https://news.example/${i}` }]));
      });
    }
    h.addFeeds([0, 1, 2, 3].map((i) => ({ id: `f${i}`, url: server.url(`/f${i}.xml`) })));
    await h.ingester.run();
    expect(maxActive).toBe(1); // all four share 127.0.0.1:port
    expect(storyCount(h)).toBe(4);
  });

  it('keeps 16 requests in flight on one shutdown signal without a listener warning, and leaves the signal clean', async () => {
    h = ingestHarness({ settings: { fetchConcurrency: 16 } });
    const servers = await Promise.all(Array.from({ length: 16 }, (_, i) => startFeedServer(`127.0.0.${30 + i}`)));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      servers.forEach((srv, i) =>
        srv.route('/slow.xml', async (_req, res) => {
          await new Promise((r) => setTimeout(r, 150)); // all 16 are in flight together
          res.writeHead(200).end(rss([{ title: `Item ${i}`, link: `https://news.example/host-${i}` }]));
        }),
      );
      h.addFeeds(servers.map((srv, i) => ({ id: `host-${i}`, url: srv.url('/slow.xml') })));
      const shutdown = new AbortController();
      const summary = await h.ingester.run({ signal: shutdown.signal });
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(summary).toMatchObject({ feeds: 16, updated: 16, failed: 0 });
      expect(warnings.filter((w) => /MaxListeners/.test(w))).toEqual([]);
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    } finally {
      process.off('warning', onWarning);
      await Promise.all(servers.map((srv) => srv.close()));
    }
  });

  it('abandons in-flight work on shutdown without writing anything half-way', async () => {
    h = ingestHarness();
    server.route('/hang.xml', () => {
      /* never answers */
    });
    server.route('/good.xml', { body: twoItems });
    h.addFeeds([{ id: 'hang', url: server.url('/hang.xml') }]);
    const controller = new AbortController();
    const run = h.ingester.run({ signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort(new Error('SIGTERM'));
    const summary = await run;
    expect(summary.aborted).toBe(true);
    expect(feedRow(h, 'hang')).toMatchObject({ lastFetchedAt: null, consecutiveFailures: 0 });
    expect(storyCount(h)).toBe(0);
  });
});

/** KOI8-R has no encoder in Node; build the bytes from its table for the few letters we use. */
function encodeKoi8r(text: string): Buffer {
  const table = new Map<string, number>();
  const decoder = new TextDecoder('koi8-r');
  for (let b = 0x80; b <= 0xff; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  return Buffer.from([...text].map((ch) => (ch.charCodeAt(0) < 0x80 ? ch.charCodeAt(0) : table.get(ch) ?? 0x3f)));
}
