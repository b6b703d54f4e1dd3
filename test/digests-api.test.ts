import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import Parser from 'rss-parser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from '../src/api/app.js';
import type { Config } from '../src/config/index.js';
import { createDigestService, nextOccurrence } from '../src/digests/index.js';
import { silentLogger } from '../src/shared/log.js';
import { ingestHarness, type IngestHarness } from './helpers/harness.js';
import { seedFeeds, seedStories } from './helpers/seed.js';

const ADMIN = 'admin-token-for-digest-tests';
const PUBLIC_URL = 'https://shiftwire.example';
const NOW = new Date('2025-01-29T10:00:00Z'); // a Wednesday

/** The body from the issue, with a secret long enough to be accepted. */
const ISSUE_BODY = {
  name: 'DeepSeek weekly',
  filter: { companies: ['deepseek'], themes: ['efficiency'] },
  schedule: { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' },
  maxStories: 20,
  webhook: { url: 'https://example.org/hook', secret: 'a-webhook-secret-of-some-length' },
  email: 'me@example.org',
};

let h: IngestHarness;
const apps: FastifyInstance[] = [];

async function start(config: Partial<Config> = {}): Promise<(path: string, init?: RequestInit & { json?: unknown; token?: string | null }) => Promise<Response>> {
  const full: AppDeps['config'] & Partial<Config> = { adminToken: ADMIN, rateLimitMax: 0, publicUrl: PUBLIC_URL, smtpUrl: 'smtp://127.0.0.1:2525', allowPrivateNetwork: false, ...config };
  const app = await buildApp({ db: h.db, config: full, log: silentLogger(), clock: () => NOW, ingester: h.ingester, tagger: h.tagger });
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return (path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ADMIN}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${base}${path}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  };
}

function setUp() {
  h = ingestHarness();
  seedFeeds(h.db, [{ id: 'reuters', name: 'Reuters' }]);
}

async function tearDown() {
  for (const app of apps.splice(0)) await app.close();
  await h.close();
}

type Json = Record<string, any>;

describe('subscriptions API', () => {
  beforeEach(setUp);
  afterEach(tearDown);

  it('creates a subscription from the body of the issue and answers with its id, token, feed URLs and next digest', async () => {
    const api = await start();
    const res = await api('/api/v1/subscriptions', { method: 'POST', json: ISSUE_BODY });
    expect(res.status).toBe(201);
    const sub = (await res.json()) as Json;
    expect(res.headers.get('location')).toBe(`/api/v1/subscriptions/${sub.id}`);
    expect(sub).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'DeepSeek weekly',
      enabled: true,
      token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      filter: { companies: ['deepseek'], themes: ['efficiency'], sources: [], kinds: [], q: null },
      schedule: { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' },
      scheduleText: 'every Monday at 08:00 (Europe/Berlin)',
      maxStories: 20,
      sendEmpty: false,
      webhook: { url: 'https://example.org/hook', hasSecret: true },
      email: 'me@example.org',
      windowStart: '2025-01-27T07:00:00.000Z',
      nextDigestAt: '2025-02-03T07:00:00.000Z',
      lastDigestAt: null,
    });
    expect(sub.feedUrl).toBe(`${PUBLIC_URL}/api/v1/digests/${sub.token}.atom`);
    expect(sub.jsonFeedUrl).toBe(`${PUBLIC_URL}/api/v1/digests/${sub.token}.json`);
    expect(JSON.stringify(sub)).not.toContain(ISSUE_BODY.webhook.secret);
    expect(JSON.stringify(await (await api(`/api/v1/subscriptions/${sub.id}`)).json())).not.toContain(ISSUE_BODY.webhook.secret);
    const list = (await (await api('/api/v1/subscriptions')).json()) as Json;
    expect(list.subscriptions.map((s: Json) => s.id)).toEqual([sub.id]);
  });

  it('generates a webhook secret when none is given and shows it once', async () => {
    const api = await start();
    const created = (await (await api('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, webhook: { url: 'https://example.org/hook' } } })).json()) as Json;
    expect(created.webhook).toEqual({ url: 'https://example.org/hook', hasSecret: true, secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    expect(((await (await api(`/api/v1/subscriptions/${created.id}`)).json()) as Json).webhook).toEqual({ url: 'https://example.org/hook', hasSecret: true });
  });

  it('changes, reschedules, rotates and deletes', async () => {
    const api = await start();
    const sub = (await (await api('/api/v1/subscriptions', { method: 'POST', json: ISSUE_BODY })).json()) as Json;
    const patched = await api(`/api/v1/subscriptions/${sub.id}`, {
      method: 'PATCH',
      json: { name: 'DeepSeek daily', schedule: { every: 'daily', time: '07:30', timezone: 'America/New_York' }, webhook: null, sendEmpty: true },
    });
    expect(patched.status).toBe(200);
    // A new schedule moves the next digest, not the window: nothing falls between the two schedules.
    expect(await patched.json()).toMatchObject({ name: 'DeepSeek daily', nextDigestAt: '2025-01-29T12:30:00.000Z', windowStart: '2025-01-27T07:00:00.000Z', webhook: null, sendEmpty: true, token: sub.token });
    const off = (await (await api(`/api/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { enabled: false } })).json()) as Json;
    expect(off).toMatchObject({ enabled: false, nextDigestAt: null });
    const rotated = (await (await api(`/api/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { rotateToken: true, enabled: true } })).json()) as Json;
    expect(rotated.token).not.toBe(sub.token);
    expect(rotated.nextDigestAt).toBe(nextOccurrence({ every: 'daily', time: '07:30', timezone: 'America/New_York' }, NOW)!.toISOString());
    expect((await api(`/api/v1/digests/${sub.token}.atom`, { token: null })).status).toBe(404);
    expect((await api(`/api/v1/digests/${rotated.token}.atom`, { token: null })).status).toBe(200);
    expect((await api(`/api/v1/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/v1/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await api(`/api/v1/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('needs the admin token', async () => {
    const api = await start();
    for (const [method, path] of [['GET', '/api/v1/subscriptions'], ['POST', '/api/v1/subscriptions'], ['GET', '/api/v1/subscriptions/00000000-0000-4000-8000-000000000000/digests']] as const) {
      const json = method === 'POST' ? ISSUE_BODY : undefined;
      expect((await api(path, { method, json, token: null })).status).toBe(401);
      expect((await api(path, { method, json, token: 'wrong-token-wrong-token' })).status).toBe(401);
    }
    const closed = await start({ adminToken: undefined });
    expect((await closed('/api/v1/subscriptions', { method: 'POST', json: ISSUE_BODY })).status).toBe(403);
  });

  it('refuses an email address when the server has no SMTP_URL', async () => {
    const api = await start({ smtpUrl: undefined });
    const res = await api('/api/v1/subscriptions', { method: 'POST', json: ISSUE_BODY });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).errors).toContainEqual({ parameter: 'body.email', detail: 'cannot send email: SMTP_URL is not set on this server' });
    expect((await api('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, email: undefined } })).status).toBe(201);
  });
});

describe('subscription validation', () => {
  let api: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    setUp();
    api = await start();
  });
  afterAll(tearDown);

  it.each([
    ['a bad time zone', { schedule: { ...ISSUE_BODY.schedule, timezone: 'Mars/Olympus' } }, 'body.schedule.timezone', /not an IANA time zone/],
    ['a bad cron expression', { schedule: { cron: '0 25 * * *', timezone: 'UTC' } }, 'body.schedule.cron', /hour/],
    ['a cron expression with a time', { schedule: { cron: '0 8 * * 1-5', time: '08:00', timezone: 'UTC' } }, 'body.schedule.time', /cron schedule takes no time/],
    ['a weekday on a daily schedule', { schedule: { every: 'daily', weekday: 'mon', time: '08:00', timezone: 'UTC' } }, 'body.schedule.weekday', /daily schedule takes no weekday/],
    ['a weekly schedule without a weekday', { schedule: { every: 'weekly', time: '08:00', timezone: 'UTC' } }, 'body.schedule.weekday', /needs a weekday/],
    ['a bad time', { schedule: { every: 'daily', time: '8am', timezone: 'UTC' } }, 'body.schedule.time', /HH:MM/],
    ['an unknown company id', { filter: { companies: ['deepseek', 'opneai'] } }, 'body.filter.companies[1]', /unknown company id "opneai"/],
    ['an unknown theme id', { filter: { themes: ['efficency'] } }, 'body.filter.themes[0]', /unknown theme id "efficency"/],
    ['an unknown source', { filter: { sources: ['nowhere'] } }, 'body.filter.sources[0]', /unknown feed id "nowhere"/],
    ['a q with no words', { filter: { q: '"" ()' } }, 'body.filter.q', /no words/],
    ['a webhook URL that is not http(s)', { webhook: { url: 'ftp://example.org/hook' } }, 'body.webhook.url', /http\(s\) URL/],
    ['a webhook URL on a private address', { webhook: { url: 'http://10.1.2.3/hook' } }, 'body.webhook.url', /refused: 10\.1\.2\.3 is a private network address/],
    ['a short webhook secret', { webhook: { url: 'https://example.org/hook', secret: 'short' } }, 'body.webhook.secret', /at least 16/],
    ['a bad email address', { email: 'not-an-address' }, 'body.email', /email address/],
    ['a maxStories out of range', { maxStories: 0 }, 'body.maxStories', /./],
  ])('refuses %s with a 400 naming the field', async (_what, change, parameter, message) => {
    const res = await api('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, ...change } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as Json;
    expect(problem.code).toBe('VALIDATION_FAILED');
    const named = problem.errors.find((e: Json) => e.parameter === parameter);
    expect(named, JSON.stringify(problem.errors)).toBeDefined();
    expect(named.detail).toMatch(message);
  });


  it('refuses a webhook on the cloud metadata address even when private networks are allowed', async () => {
    const open = await start({ allowPrivateNetwork: true });
    const lan = await open('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, webhook: { url: 'http://10.1.2.3/hook' } } });
    expect(lan.status).toBe(201);
    const res = await open('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, webhook: { url: 'http://169.254.169.254/latest/meta-data/' } } });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Json;
    const named = problem.errors.find((e: Json) => e.parameter === 'body.webhook.url');
    expect(named.detail).toMatch(/refused: 169\.254\.169\.254 is the cloud metadata address \(never/);
  });
});

describe('digest feeds', () => {
  beforeEach(setUp);
  afterEach(tearDown);

  it('serves the digests as Atom and JSON Feed at the token URLs, and lists them with their deliveries', async () => {
    const api = await start();
    const sub = (await (await api('/api/v1/subscriptions', { method: 'POST', json: { ...ISSUE_BODY, name: 'DeepSeek & Qwen <weekly>' } })).json()) as Json;
    seedStories(h.db, [
      { feed: 'reuters', title: 'DeepSeek trains V3 for $5.6 million', url: 'https://news.example/v3', publishedAt: '2025-01-30T09:00:00.000Z', companies: ['deepseek'], themes: ['efficiency'], firstSeenAt: '2025-01-30T09:05:00Z' },
      { feed: 'reuters', title: 'Hostile \u0001 title ]]> & <b>bold</b>', url: 'https://news.example/hostile', publishedAt: '2025-01-30T08:00:00.000Z', companies: ['deepseek'], themes: ['efficiency'], firstSeenAt: '2025-01-30T09:05:00Z' },
    ]);
    const service = createDigestService({ db: h.db, log: silentLogger(), publicUrl: PUBLIC_URL, allowPrivateNetwork: false, mailFrom: 'x@example.org', sendEmptyDefault: false });
    const [built] = await service.runDue(new Date('2025-02-03T07:00:05Z'));
    service.close();

    const atom = await api(new URL(sub.feedUrl).pathname, { token: null });
    expect(atom.status).toBe(200);
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(atom.headers.get('cache-control')).toBe('private, max-age=300');
    const feed = await new Parser().parseString(await atom.text());
    expect(feed.title).toBe('Shiftwire — DeepSeek & Qwen <weekly>');
    expect(feed.items).toHaveLength(1);
    const page = `${PUBLIC_URL}/api/v1/digests/${sub.token}/${built!.digestId}`;
    expect(feed.items[0]).toMatchObject({ id: `urn:shiftwire:digest:${built!.digestId}`, link: page, isoDate: '2025-02-03T07:00:05.000Z' });
    expect(feed.items[0]!.title).toContain('2 stories (27 Jan – 3 Feb)');
    expect(feed.items[0]!.content).toContain('<a href="https://news.example/v3">DeepSeek trains V3 for $5.6 million</a>');
    expect(feed.items[0]!.content).toContain('<a href="https://news.example/hostile">Hostile  title ]]&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</a>');

    const json = await api(new URL(sub.jsonFeedUrl).pathname, { token: null });
    expect(json.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    const doc = JSON.parse(await json.text()) as Json;
    expect(doc).toMatchObject({ version: 'https://jsonfeed.org/version/1.1', title: 'Shiftwire — DeepSeek & Qwen <weekly>', feed_url: sub.jsonFeedUrl });
    expect(doc.items).toEqual([
      expect.objectContaining({ id: `urn:shiftwire:digest:${built!.digestId}`, url: page, title: 'DeepSeek & Qwen <weekly> — 2 stories (27 Jan – 3 Feb)', date_published: '2025-02-03T07:00:05.000Z' }),
    ]);
    expect(doc.items[0].content_html).toContain('DeepSeek trains V3 for $5.6 million');

    const html = await api(new URL(page).pathname, { token: null });
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('DeepSeek &amp; Qwen &lt;weekly&gt; — 2 stories');
    for (const wrong of [`/api/v1/digests/${'x'.repeat(32)}.atom`, `/api/v1/digests/${'x'.repeat(32)}.json`, `/api/v1/digests/${'x'.repeat(32)}/${built!.digestId}`]) {
      expect((await api(wrong, { token: null })).status).toBe(404);
    }

    const listed = (await (await api(`/api/v1/subscriptions/${sub.id}/digests`)).json()) as Json;
    expect(listed.next).toBeNull();
    expect(listed.digests).toEqual([
      expect.objectContaining({ id: built!.digestId, windowStart: '2025-01-27T07:00:00.000Z', windowEnd: '2025-02-03T07:00:00.000Z', storyCount: 2, groupCount: 2, url: page }),
    ]);
    expect(listed.digests[0].groups[0].stories[0]).toMatchObject({ title: 'DeepSeek trains V3 for $5.6 million', companies: ['deepseek'], themes: ['efficiency'] });
    expect(listed.digests[0].deliveries.map((d: Json) => [d.channel, d.status, d.attempts, d.target])).toEqual([
      ['email', 'pending', 0, 'me@example.org'],
      ['webhook', 'pending', 0, 'https://example.org/hook'],
    ]);
  });
});
