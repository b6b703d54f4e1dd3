import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { seedFeeds } from './helpers/seed.js';
import { startApi, type RunningApi } from './helpers/start-api.js';

const TOKEN = 'correct-horse-battery-staple';

interface WriteCall {
  name: string;
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  okStatus: number;
}

/** Every write endpoint, with a request that succeeds when authorized. Each gets a feed of its own. */
function writeCalls(feedUrl: string): WriteCall[] {
  return [
    { name: 'POST /api/v1/feeds', method: 'POST', path: '/api/v1/feeds', body: { id: 'created', name: 'Created', url: feedUrl }, okStatus: 201 },
    { name: 'PATCH /api/v1/feeds/:id', method: 'PATCH', path: '/api/v1/feeds/to-patch', body: { name: 'Patched' }, okStatus: 200 },
    { name: 'DELETE /api/v1/feeds/:id', method: 'DELETE', path: '/api/v1/feeds/to-delete', okStatus: 204 },
    { name: 'POST /api/v1/feeds/:id/refresh', method: 'POST', path: '/api/v1/feeds/to-refresh/refresh', okStatus: 200 },
  ];
}

function send(api: RunningApi, call: WriteCall, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (authorization !== undefined) headers.authorization = authorization;
  return api.fetch(call.path, { method: call.method, headers, ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}) });
}

let feeds: FeedServer;

beforeAll(async () => {
  feeds = await startFeedServer();
  feeds.route('/feed.xml', {
    body: rss([
      { title: 'DeepSeek cuts API prices by half', link: 'https://news.example/deepseek-prices', description: 'DeepSeek says its models now cost a fraction of rivals.', pubDate: 'Thu, 01 May 2025 08:00:00 GMT' },
      { title: 'Weather in Lisbon', link: 'https://news.example/weather', pubDate: 'Thu, 01 May 2025 09:00:00 GMT' },
    ]),
  });
  feeds.route('/crud.xml', {
    body: rss([
      { title: 'DeepSeek opens a Lisbon office', link: 'https://news.example/deepseek-lisbon', description: 'DeepSeek expands to Europe.', pubDate: 'Fri, 02 May 2025 08:00:00 GMT' },
      { title: 'Lisbon trams run late', link: 'https://news.example/trams', pubDate: 'Fri, 02 May 2025 09:00:00 GMT' },
    ]),
  });
});
afterAll(() => feeds.close());

describe('with ADMIN_TOKEN set', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ adminToken: TOKEN });
    seedFeeds(api.db, [{ id: 'to-patch' }, { id: 'to-delete' }, { id: 'to-refresh', url: feeds.url('/feed.xml') }]);
  });
  afterAll(() => api.close());

  const refuse = async (call: WriteCall, authorization: string | undefined) => {
    const res = await send(api, call, authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="shiftwire"/);
    expect(((await res.json()) as { code: string }).code).toBe('UNAUTHORIZED');
  };

  it.each(writeCalls('http://127.0.0.1:1/feed.xml'))('$name: 401 without a header, with a wrong token or another scheme', async (call) => {
    await refuse(call, undefined);
    await refuse(call, 'Bearer wrong-token');
    await refuse(call, `Bearer ${TOKEN}x`);
    await refuse(call, `Bearer ${TOKEN.slice(0, -1)}`);
    await refuse(call, `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`);
    await refuse(call, TOKEN);
    await refuse(call, 'Bearer');
    // Nothing changed.
    expect(exists(api, 'created')).toBe(false);
    expect(exists(api, 'to-delete')).toBe(true);
  });

  it.each(writeCalls('https://feeds.example/feed.xml'))('$name: works with the right token', async (call) => {
    const res = await send(api, call, `Bearer ${TOKEN}`);
    expect(res.status, await res.clone().text()).toBe(call.okStatus);
    if (call.path.endsWith('/refresh')) expect(await res.json()).toMatchObject({ result: { outcome: 'updated', newStories: 2 } });
  });

  it('runs the feeds CRUD end to end', async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const created = await api.fetch('/api/v1/feeds', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Loopback News', url: feeds.url('/crud.xml'), kind: 'news' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/feeds/loopback-news');
    expect(await created.json()).toMatchObject({ id: 'loopback-news', name: 'Loopback News', status: 'pending', storyCount: 0, enabled: true, origin: 'api' });

    const again = await api.fetch('/api/v1/feeds', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Loopback News', url: feeds.url('/crud.xml') }) });
    expect(again.status).toBe(409);

    const refreshed = await api.fetch('/api/v1/feeds/loopback-news/refresh', { method: 'POST', headers: { authorization: auth.authorization } });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toMatchObject({ feed: { id: 'loopback-news', status: 'ok', storyCount: 2 }, result: { outcome: 'updated', newStories: 2, httpStatus: 200 } });

    const stories = (await (await api.fetch('/api/v1/stories?source=loopback-news')).json()) as { stories: Array<{ title: string; companies: string[] }> };
    expect(stories.stories.map((s) => s.title)).toEqual(['Lisbon trams run late', 'DeepSeek opens a Lisbon office']);
    expect(stories.stories[1]!.companies).toContain('deepseek');

    const patched = await api.fetch('/api/v1/feeds/loopback-news', { method: 'PATCH', headers: auth, body: JSON.stringify({ name: 'Loopback', kind: 'commentary' }) });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ id: 'loopback-news', name: 'Loopback', kind: 'commentary' });
    const byKind = (await (await api.fetch('/api/v1/stories?kind=commentary')).json()) as { stories: unknown[] };
    expect(byKind.stories).toHaveLength(2);

    const listed = (await (await api.fetch('/api/v1/feeds')).json()) as { feeds: Array<{ id: string }> };
    expect(listed.feeds.map((f) => f.id)).toContain('loopback-news');

    const deleted = await api.fetch('/api/v1/feeds/loopback-news', { method: 'DELETE', headers: { authorization: auth.authorization } });
    expect(deleted.status).toBe(204);
    expect((await api.fetch('/api/v1/feeds/loopback-news')).status).toBe(404);
    expect((await api.fetch('/api/v1/stories?source=loopback-news')).status).toBe(400); // no such feed any more
    const all = (await (await api.fetch('/api/v1/stories?q=trams')).json()) as { stories: unknown[] };
    expect(all.stories).toEqual([]);
  });
});

describe('with ADMIN_TOKEN unset', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({});
    seedFeeds(api.db, [{ id: 'to-patch' }, { id: 'to-delete' }, { id: 'to-refresh' }]);
  });
  afterAll(() => api.close());

  it.each(writeCalls('https://feeds.example/feed.xml'))('$name: 403, whatever the header', async (call) => {
    for (const authorization of [undefined, `Bearer ${TOKEN}`, 'Bearer ', 'Bearer undefined']) {
      const res = await send(api, call, authorization);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    }
    expect(exists(api, 'to-delete')).toBe(true);
    expect(exists(api, 'created')).toBe(false);
  });

  it('still answers reads', async () => {
    expect((await api.fetch('/api/v1/feeds')).status).toBe(200);
    expect((await api.fetch('/api/v1/stories')).status).toBe(200);
  });
});

function exists(api: RunningApi, id: string): boolean {
  return api.db.prepare('SELECT 1 FROM feeds WHERE id = ?').get(id) !== undefined;
}
