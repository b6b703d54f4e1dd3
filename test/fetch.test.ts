import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchFeed, parseMaxAge, parseRetryAfter } from '../src/ingest/fetch.js';
import { AppError } from '../src/shared/errors.js';

interface FeedServer {
  url: string;
  requests: IncomingHttpHeaders[];
  server: http.Server;
}

const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startFeedServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<FeedServer> {
  const requests: IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.headers);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`, requests, server };
}

const RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>';
const ETAG = '"v1-abc"';
const LAST_MODIFIED = 'Mon, 06 Jan 2025 10:00:00 GMT';
const base = { allowPrivateNetwork: true };

describe('fetchFeed', () => {
  it('returns the body with its content type and validators, asking for feed types first', async () => {
    const feed = await startFeedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: ETAG, 'last-modified': LAST_MODIFIED });
      res.end(RSS);
    });
    const result = await fetchFeed(feed.url, base);
    expect(result).toMatchObject({ kind: 'ok', status: 200, url: feed.url, contentType: 'application/rss+xml; charset=utf-8', etag: ETAG, lastModified: LAST_MODIFIED });
    expect(result.kind === 'ok' && result.body.toString()).toBe(RSS);
    expect(result.cache).toEqual({ retryAfterSeconds: null, maxAgeSeconds: null });
    expect(feed.requests[0]?.accept).toMatch(/^application\/atom\+xml, application\/rss\+xml, application\/feed\+json, /);
    expect(feed.requests[0]?.['user-agent']).toMatch(/^Shiftwire\//);
    expect(feed.requests[0]?.['if-none-match']).toBeUndefined();
    expect(feed.requests[0]?.['if-modified-since']).toBeUndefined();
  });

  it('returns null validators when the server sends none', async () => {
    const feed = await startFeedServer((_req, res) => res.end(RSS));
    const result = await fetchFeed(feed.url, { ...base, etag: null, lastModified: null });
    expect(result).toMatchObject({ kind: 'ok', contentType: null, etag: null, lastModified: null });
  });

  it('sends If-None-Match and If-Modified-Since and reports 304 as not-modified', async () => {
    const feed = await startFeedServer((req, res) => {
      const fresh = req.headers['if-none-match'] === ETAG && req.headers['if-modified-since'] === LAST_MODIFIED;
      res.writeHead(fresh ? 304 : 200, { 'cache-control': 'max-age=900' }).end(fresh ? undefined : RSS);
    });
    const result = await fetchFeed(feed.url, { ...base, etag: ETAG, lastModified: LAST_MODIFIED });
    expect(result).toEqual({ kind: 'not-modified', status: 304, url: feed.url, cache: { retryAfterSeconds: null, maxAgeSeconds: 900 } });
    expect(feed.requests[0]?.['if-none-match']).toBe(ETAG);
    expect(feed.requests[0]?.['if-modified-since']).toBe(LAST_MODIFIED);
  });

  it('accepts a 304 that states the length of the full feed', async () => {
    const feed = await startFeedServer((_req, res) => res.writeHead(304, { 'content-length': String(50 * 1024 * 1024), etag: ETAG }).end());
    const result = await fetchFeed(feed.url, { ...base, etag: ETAG, maxBodyBytes: 1024 });
    expect(result.kind).toBe('not-modified');
  });

  it.each([
    [404, 'the server answered 404 Not Found'],
    [410, 'the server answered 410 Gone'],
    [500, 'the server answered 500 Internal Server Error'],
    [599, 'the server answered 599'],
  ])('reports %i as an http-error', async (status, message) => {
    const feed = await startFeedServer((_req, res) => res.writeHead(status).end('nope'));
    const result = await fetchFeed(feed.url, base);
    expect(result).toEqual({ kind: 'http-error', status, url: feed.url, message, cache: { retryAfterSeconds: null, maxAgeSeconds: null } });
  });

  it('reads Retry-After in seconds on a 429', async () => {
    const feed = await startFeedServer((_req, res) => res.writeHead(429, { 'retry-after': '120' }).end());
    const result = await fetchFeed(feed.url, base);
    expect(result).toMatchObject({ kind: 'http-error', status: 429, message: 'the server answered 429 Too Many Requests' });
    expect(result.cache.retryAfterSeconds).toBe(120);
  });

  it('reads Retry-After as an HTTP-date relative to now on a 503', async () => {
    const feed = await startFeedServer((_req, res) => res.writeHead(503, { 'retry-after': 'Wed, 01 Jan 2025 00:05:00 GMT' }).end());
    const result = await fetchFeed(feed.url, { ...base, now: new Date('2025-01-01T00:00:00Z') });
    expect(result).toMatchObject({ kind: 'http-error', status: 503 });
    expect(result.cache.retryAfterSeconds).toBe(300);
  });

  it('reads Cache-Control max-age on a 200 and ignores s-maxage', async () => {
    const feed = await startFeedServer((_req, res) => res.writeHead(200, { 'cache-control': 'public, s-maxage=60, max-age=1800' }).end(RSS));
    const result = await fetchFeed(feed.url, base);
    expect(result.cache.maxAgeSeconds).toBe(1800);
  });

  it('reports the final URL after a redirect', async () => {
    const feed = await startFeedServer((req, res) => (req.url === '/feed.xml' ? res.writeHead(301, { location: '/moved.xml' }).end() : res.end(RSS)));
    const result = await fetchFeed(feed.url, base);
    expect(result).toMatchObject({ kind: 'ok', url: feed.url.replace('/feed.xml', '/moved.xml') });
  });

  it('throws the transport error from boundedRequest', async () => {
    const feed = await startFeedServer((_req, res) => res.end(RSS));
    await new Promise((resolve) => feed.server.close(resolve));
    const err = await fetchFeed(feed.url, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'FEED_FETCH_FAILED', message: expect.stringMatching(/^connection refused/) });
  });

  it('keeps the address rule of boundedRequest', async () => {
    const feed = await startFeedServer((_req, res) => res.end(RSS));
    const err = await fetchFeed(feed.url, { allowPrivateNetwork: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FEED_BLOCKED' });
    expect(feed.requests).toHaveLength(0);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  it.each([
    ['0', 0],
    [' 90 ', 90],
    ['Wed, 01 Jan 2025 00:01:00 GMT', 60],
    ['Wednesday, 01-Jan-25 00:02:00 GMT', 120],
    ['Wed Jan  1 00:03:00 2025', 180],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['Wed, 01 Jan 2025 00:00:00.500 GMT', null],
    ['5.5', null],
    ['-1', null],
    ['soon', null],
    ['', null],
    [undefined, null],
  ])('reads %j as %j', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('parseMaxAge', () => {
  it.each([
    ['max-age=600', 600],
    ['public, max-age=0', 0],
    ['no-cache, max-age=300', 300],
    ['no-store, MAX-AGE="120"', 120],
    ['s-maxage=60', null],
    ['max-age=abc', null],
    ['private', null],
    [undefined, null],
  ])('reads %j as %j', (value, expected) => {
    expect(parseMaxAge(value)).toBe(expected);
  });
});
