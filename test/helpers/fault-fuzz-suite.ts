/**
 * The API abuse fuzz of issue 7, part 4, as one suite that test/fault-api-fuzz.test.ts (npm test, few runs)
 * and test/reliability/api-fuzz.test.ts (many runs, every injection at every parameter) both define.
 * The real app listens on 127.0.0.1:0 over a seeded database; routes come from its /openapi.json.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rss, startFeedServer, type FeedServer } from './feed-server.js';
import { answerProblem, dbFingerprint, discoverRoutes, fillPath, headerValue, hostileString, INJECTIONS, send, type Answer, type Route } from './fault-fuzz.js';
import { seedFeeds, seedStories } from './seed.js';
import { startApi, type RunningApi } from './start-api.js';

const ADMIN = 'fuzz-admin-token-7f3a9c2e4b1d';
const auth = { authorization: `Bearer ${ADMIN}` };

export interface FuzzOptions {
  seed: number;
  /** fast-check runs per property. */
  runs: number;
  /** Injection checks: every string at every parameter, or this many sampled combinations. */
  injections: 'all' | number;
}

interface World {
  api: RunningApi;
  feedServer: FeedServer;
  routes: Route[];
  valid: Record<string, string>;
  /** Requests sent and faults found, for the report. */
  tally: { requests: number; faults: string[] };
}

async function buildWorld(): Promise<World> {
  const api = await startApi({ adminToken: ADMIN });
  const feedServer = await startFeedServer();
  feedServer.route('/loop.xml', { body: rss([{ title: 'Nvidia unveils Blackwell chips', link: 'https://news.example/loop-1', guid: 'l1' }]) });
  seedFeeds(api.db, [{ id: 'reuters', name: 'Reuters' }, { id: 'lab', name: 'Lab blog', kind: 'company' }, { id: 'loop', url: feedServer.url('/loop.xml') }]);
  // A vocabulary without digits or SQL words, so an injected query can only match what its words match.
  const titles = ['Nvidia unveils Blackwell chips', 'Anthropic releases Claude Opus', 'DeepSeek trains a cheaper model', 'Microsoft invests in Mistral', 'Alibaba opens Qwen weights', 'Baidu shows Ernie upgrades'];
  const ids = seedStories(api.db, titles.flatMap((title, i) => [
    { feed: i % 2 ? 'reuters' : 'lab', title, publishedAt: `2025-01-0${i + 1}T10:00:00.000Z`, companies: [['nvidia', 'anthropic', 'deepseek', 'microsoft', 'alibaba', 'baidu'][i]!], themes: i % 2 ? ['investment'] : ['efficiency'] },
    { feed: 'reuters', title: `${title} again`, publishedAt: `2025-02-0${i + 1}T10:00:00.000Z`, companies: ['nvidia'], alsoIn: ['lab'] },
  ]));
  const created = await api.fetch('/api/v1/subscriptions', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Fuzz weekly', filter: { companies: ['nvidia'] }, schedule: { every: 'weekly', weekday: 'mon', time: '08:00', timezone: 'Europe/Berlin' }, maxStories: 10, webhook: { url: 'https://hooks.example/fuzz', secret: 'a-secret-of-enough-length' } }),
  });
  expect(created.status).toBe(201);
  const sub = (await created.json()) as { id: string; token: string };
  const routes = await discoverRoutes(api);
  const valid = { id: String(ids[0]), feedId: 'reuters', subscriptionId: sub.id, token: sub.token, digestId: '00000000-0000-4000-8000-000000000000' };
  return { api, feedServer, routes, valid, tally: { requests: 0, faults: [] } };
}

/** Path parameters that exist, per route. */
function validPathValues(route: Route, valid: Record<string, string>): Record<string, string> {
  const id = route.path.startsWith('/api/v1/feeds') ? valid.feedId! : route.path.startsWith('/api/v1/subscriptions') ? valid.subscriptionId! : valid.id!;
  return { id, token: valid.token!, digestId: valid.digestId! };
}

/** A body the route accepts, so that only the token decides. */
function validBody(route: Route): string | undefined {
  if (!route.hasBody) return undefined;
  const feeds = route.path.startsWith('/api/v1/feeds');
  if (route.method === 'PATCH') return JSON.stringify({ name: 'Renamed by an intruder' });
  return JSON.stringify(feeds ? { id: 'intruder', name: 'Intruder', url: 'https://intruder.example/feed.xml' } : { name: 'Intruder', filter: { companies: ['nvidia'] }, schedule: { every: 'daily', time: '08:00', timezone: 'UTC' }, maxStories: 5 });
}

/** Sends, counts, and records what is wrong with the answer (`fault`, also kept in the tally). */
async function checked(world: World, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer & { fault: string | null }> {
  const answer = await send(world.api, method, path, init);
  world.tally.requests++;
  const problem = answerProblem(answer, method);
  const fault = problem && `${method} ${path.slice(0, 200)}: ${problem}`;
  if (fault) world.tally.faults.push(fault);
  return { ...answer, fault };
}

const storyWords = (s: { title: string; summary: string }) => `${s.title} ${s.summary}`.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Stories a search for `q` may return: those with a word starting with one of q's words. */
function searchWidened(q: string, body: string): string | null {
  const words = (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !['and', 'or', 'not'].includes(w));
  const { stories } = JSON.parse(body) as { stories: Array<{ title: string; summary: string }> };
  for (const s of stories) if (!storyWords(s).some((t) => words.some((w) => t.startsWith(w)))) return `q=${JSON.stringify(q)} returned "${s.title}"`;
  return null;
}

export function defineApiFuzzSuite(options: FuzzOptions): void {
  let world: World;
  let before: string;
  const fcParams = (offset: number) => ({ seed: options.seed + offset, numRuns: options.runs, endOnFailure: true });

  beforeAll(async () => {
    world = await buildWorld();
    before = dbFingerprint(world.api.db);
  }, 60_000);

  afterAll(async () => {
    await world?.api.close();
    await world?.feedServer.close();
    if (world) console.info(`[api-fuzz] seed ${options.seed}, ${options.runs} runs per property: ${world.tally.requests} requests over ${world.routes.length} documented routes; faults: ${world.tally.faults.length}`);
  });

  describe('injection: SQL and FTS syntax in every parameter change nothing', () => {
    it('answers every injected read with a 400 or what a harmless value gets, and the database stays the same', async () => {
      const slots: Array<{ route: Route; param: string; where: 'query' | 'path' }> = [];
      for (const route of world.routes.filter((r) => r.method === 'GET')) {
        for (const param of route.query) slots.push({ route, param, where: 'query' });
        for (const param of route.pathParams) slots.push({ route, param, where: 'path' });
      }
      expect(slots.length).toBeGreaterThan(40);
      const combos = slots.flatMap((slot) => INJECTIONS.map((value) => ({ ...slot, value })));
      const chosen = options.injections === 'all' ? combos : fc.sample(fc.constantFrom(...combos), { seed: options.seed, numRuns: options.injections });
      const faultsBefore = world.tally.faults.length;
      const harmless = new Map<string, Answer>();
      const mismatches: string[] = [];
      for (const { route, param, where, value } of chosen) {
        const pathValues = validPathValues(route, world.valid);
        const url = (v: string) => {
          const path = fillPath(route.path, where === 'path' ? { ...pathValues, [param]: v } : pathValues);
          return where === 'query' ? `${path}?${new URLSearchParams({ [param]: v }).toString()}` : path;
        };
        const headers = route.admin ? auth : {};
        const key = `${route.path} ${param}`;
        if (!harmless.has(key)) harmless.set(key, await checked(world, 'GET', url(param === 'q' ? 'zzqqxxharmless' : 'zz-harmless'), { headers }));
        const base = harmless.get(key)!;
        const got = await checked(world, 'GET', url(value), { headers });
        if (got.status === 400) continue;
        if (param === 'q' && got.status === 200 && route.path === '/api/v1/stories') {
          const widened = searchWidened(value, got.body);
          if (widened) mismatches.push(`${key}: ${widened}`);
          continue;
        }
        const sameBody = got.status !== 200 || base.body === got.body || route.path.endsWith('.atom') || route.path.endsWith('.rss') || route.path.endsWith('.json');
        if (got.status !== base.status || !sameBody) mismatches.push(`${key}=${JSON.stringify(value)}: HTTP ${got.status}, a harmless value got HTTP ${base.status}`);
      }
      expect(world.tally.faults.slice(faultsBefore)).toEqual([]);
      expect(mismatches).toEqual([]);
      expect(dbFingerprint(world.api.db)).toBe(before);
    }, 240_000);
  });

  describe('authentication: every write route refuses a missing or wrong token', () => {
    it('answers 401 with a problem document and changes nothing, whatever the token', async () => {
      const writes = world.routes.filter((r) => r.admin);
      expect(writes.filter((r) => r.method !== 'GET').length).toBeGreaterThanOrEqual(7);
      const wrong = [undefined, '', 'Bearer', 'Bearer ', `Bearer ${ADMIN}x`, `Bearer ${ADMIN.slice(0, -1)}`, `Bearer ${ADMIN.toUpperCase()}`, `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`, `Token ${ADMIN}`, `${ADMIN}`, `Bearer  ${ADMIN} extra`, "Bearer ' OR '1'='1"];
      const tokens = [...wrong, ...fc.sample(headerValue(), { seed: options.seed + 1, numRuns: Math.max(10, Math.round(options.runs / 5)) }).map((v) => `Bearer ${v}`)];
      const refusals: string[] = [];
      const faultsBefore = world.tally.faults.length;
      for (const route of writes) {
        const path = fillPath(route.path, validPathValues(route, world.valid));
        const body = validBody(route);
        for (const token of tokens) {
          const headers: Record<string, string> = { ...(body ? { 'content-type': 'application/json' } : {}), ...(token === undefined ? {} : { authorization: token }) };
          const got = await checked(world, route.method, path, { headers, ...(body ? { body } : {}) });
          if (got.status !== 401) refusals.push(`${route.method} ${route.path} with ${JSON.stringify(token)}: HTTP ${got.status}`);
        }
      }
      expect(world.tally.faults.slice(faultsBefore)).toEqual([]);
      expect(refusals).toEqual([]);
      expect(dbFingerprint(world.api.db)).toBe(before);
    }, 120_000);

    it('answers 403 on every write route when no ADMIN_TOKEN is configured, even to a bearer', async () => {
      const open = await startApi();
      try {
        const writes = (await discoverRoutes(open)).filter((r) => r.admin);
        for (const route of writes) {
          for (const token of [undefined, 'Bearer anything-at-all-here', `Bearer ${ADMIN}`]) {
            const body = validBody(route);
            const got = await send(open, route.method, fillPath(route.path, { id: 'reuters', token: 'x', digestId: 'x' }), { headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: token } : {}) }, ...(body ? { body } : {}) });
            expect(got.status, `${route.method} ${route.path}`).toBe(403);
            expect(answerProblem(got, route.method)).toBeNull();
          }
        }
      } finally {
        await open.close();
      }
    });
  });

  describe('random and malicious requests at every route', () => {
    it('query strings: no 500, no hang, errors as problem+json, admin reads refused without the token', async () => {
      const gets = world.routes.filter((r) => r.method === 'GET');
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...gets),
          fc.array(fc.tuple(fc.oneof(fc.constantFrom('company', 'theme', 'source', 'kind', 'q', 'since', 'until', 'limit', 'cursor', 'sort', 'include', 'interval', 'before'), fc.string({ maxLength: 12 })), hostileString()), { maxLength: 5 }),
          fc.option(hostileString(), { nil: undefined }),
          fc.constantFrom('GET', 'HEAD'),
          fc.boolean(),
          async (route, pairs, pathValue, method, withToken) => {
            const values = validPathValues(route, world.valid);
            const path = fillPath(route.path, pathValue === undefined ? values : Object.fromEntries(Object.keys(values).map((k) => [k, pathValue])));
            const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
            const got = await checked(world, method, `${path}${query ? `?${query}` : ''}`, { headers: withToken ? auth : {} });
            expect(got.fault).toBeNull();
            if (route.admin && !withToken) expect(got.status).toBe(401);
          },
        ),
        fcParams(10),
      );
    }, 120_000);

    it('paths and methods: no 500, no hang, every error a problem document', async () => {
      const segment = fc.oneof(
        fc.constantFrom('api', 'v1', 'stories', 'feeds', 'subscriptions', 'digests', 'unsubscribe', 'companies', 'themes', 'trends', 'refresh', 'docs', 'json', 'static', 'openapi.json', 'healthz', 'readyz', 'stories.atom', 'stories.rss', 'stories.json', world.valid.id!, world.valid.token!, 'reuters'),
        fc.constantFrom('..', '.', '', '%2e%2e', '%2F', '%5C', '%00', '%ZZ', '%', '%%', ';', '..;', '%C0%AE', '*', 'a'.repeat(300), '%E2%80%AE', '💥', '?', '#'),
        hostileString().map(encodeURIComponent),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 7 }), fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.boolean(), async (segments, method, prefixed) => {
          const path = `${prefixed ? '/api/v1/' : '/'}${segments.join('/')}`;
          const got = await checked(world, method, path, { headers: { ...auth, origin: 'https://reader.example' } });
          expect(got.fault).toBeNull();
        }),
        fcParams(20),
      );
    }, 120_000);

    it('headers: no 500 and no hang, whatever the Accept, conditional, encoding or auth headers say', async () => {
      const gets = world.routes.filter((r) => r.method === 'GET');
      const names = ['accept', 'accept-encoding', 'accept-language', 'if-none-match', 'if-modified-since', 'if-match', 'range', 'authorization', 'content-type', 'origin', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'cookie', 'user-agent', 'access-control-request-method', 'transfer-encoding-x', 'x-http-method-override'];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...gets), fc.dictionary(fc.constantFrom(...names), headerValue(), { maxKeys: 6 }), fc.constantFrom('GET', 'HEAD', 'OPTIONS'), async (route, headers, method) => {
          const got = await checked(world, method, fillPath(route.path, validPathValues(route, world.valid)), { headers });
          expect(got.fault).toBeNull();
        }),
        fcParams(30),
      );
    }, 120_000);

    it('bodies: no 500 on write routes, whatever arrives, and nothing accepted without the token', async () => {
      const writes = world.routes.filter((r) => r.method !== 'GET');
      const field = fc.oneof(hostileString(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(hostileString(), { maxLength: 3 }), fc.object({ maxDepth: 2 }));
      const shaped = fc.record(
        { id: field, name: field, url: fc.oneof(field, fc.constantFrom('https://ok.example/feed.xml', 'javascript:alert(1)', 'http://169.254.169.254/', 'file:///etc/passwd')), kind: field, enabled: field, filter: fc.oneof(field, fc.record({ companies: field, themes: field, q: field }, { requiredKeys: [] })), schedule: fc.oneof(field, fc.record({ every: field, time: field, weekday: field, cron: field, timezone: field }, { requiredKeys: [] })), webhook: field, email: field, maxStories: field, constructor: field },
        { requiredKeys: [] },
      );
      const body = fc.oneof(
        shaped.map((o) => JSON.stringify(o)),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.constantFrom('', '{', '{"name":', 'null', '[]', '"string"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, `{"name":"${'x'.repeat(300_000)}"}`, '\u0000\u0001', 'name=x&url=y'),
        fc.string({ maxLength: 100 }),
      );
      const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', 'application/json; charset=latin1');
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...writes), body, contentType, fc.boolean(), fc.option(hostileString(), { nil: undefined }), async (route, payload, type, withToken, pathValue) => {
          const values = validPathValues(route, world.valid);
          // Refresh only the loopback feed: a fuzzed feed URL is never fetched.
          const refresh = route.path.endsWith('/refresh');
          const path = fillPath(route.path, pathValue === undefined || refresh ? { ...values, id: refresh ? 'loop' : values.id! } : Object.fromEntries(Object.keys(values).map((k) => [k, pathValue])));
          const got = await checked(world, route.method, path, { headers: { ...(type ? { 'content-type': type } : {}), ...(withToken ? auth : {}) }, body: payload });
          expect(got.fault).toBeNull();
          if (route.admin && !withToken) expect(got.status, `${route.method} ${route.path} accepted without a token`).toBeGreaterThanOrEqual(400);
        }),
        fcParams(40),
      );
    }, 180_000);

    it('rate limiting answers 429 as a problem document too', async () => {
      const limited = await startApi({ rateLimitMax: 5 });
      try {
        const answers = [];
        for (let i = 0; i < 12; i++) answers.push(await send(limited, i % 2 ? 'GET' : 'HEAD', i % 3 ? '/api/v1/companies' : '/api/v1/stories?limit=1'));
        expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
        for (const [i, a] of answers.slice(5).entries()) {
          expect(a.status).toBe(429);
          expect(answerProblem(a, i % 2 ? 'HEAD' : 'GET')).toBeNull();
        }
      } finally {
        await limited.close();
      }
    });

    it('leaves the database consistent and the API answering after all of it', async () => {
      expect(world.api.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((await world.api.fetch('/healthz')).status).toBe(200);
    });
  });
}

