import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, type Cursor } from '../src/api/cursor.js';
import { isAppError } from '../src/shared/errors.js';
import { seedFeeds, seedStories } from './helpers/seed.js';
import { startApi, type RunningApi } from './helpers/start-api.js';

interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: Array<{ parameter: string; detail: string }>;
}

let api: RunningApi;
let storyId: string;

beforeAll(async () => {
  api = await startApi();
  seedFeeds(api.db, [{ id: 'wire' }]);
  const ids = seedStories(
    api.db,
    Array.from({ length: 6 }, (_, i) => ({ feed: 'wire', title: `DeepSeek story ${i}`, publishedAt: `2025-05-0${i + 1}T00:00:00.000Z`, companies: ['deepseek'] })),
  );
  storyId = String(ids[0]);
});
afterAll(() => api.close());

async function problem(path: string, status = 400): Promise<ProblemJson> {
  const res = await api.fetch(path);
  const text = await res.text();
  expect(res.status, `${path} → ${res.status} ${text}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as ProblemJson;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String), code: expect.any(String) });
  return body;
}

async function cursorFor(query: string): Promise<string> {
  const body = (await (await api.fetch(`/api/v1/stories?${query}`)).json()) as { nextCursor: string };
  expect(body.nextCursor).toEqual(expect.any(String));
  return body.nextCursor;
}

describe('GET /api/v1/stories: every bad input is a 400 naming the parameter', () => {
  it.each([
    ['limit=0', 'query.limit', /1 to 200/],
    ['limit=201', 'query.limit', /1 to 200/],
    ['limit=abc', 'query.limit', /1 to 200/],
    ['limit=-1', 'query.limit', /1 to 200/],
    ['limit=1.5', 'query.limit', /1 to 200/],
    ['limit=', 'query.limit', /1 to 200/],
    ['limit=5&limit=6', 'query.limit', /only once/],
    ['company=opneai', 'query.company', /^company: unknown company id "opneai"$/],
    ['company=deepseek,opneai', 'query.company', /unknown company id "opneai"/],
    ['company=DeepSeek', 'query.company', /unknown company id "DeepSeek"/],
    ['theme=cheapness', 'query.theme', /^theme: unknown theme id "cheapness"$/],
    ['source=nowhere', 'query.source', /unknown feed id "nowhere"/],
    ['kind=bogus', /^query\.kind/, /unknown feed kind "bogus"/],
    ['include=everything', /^query\.include/, /only content/],
    ['since=yesterday', 'query.since', /ISO 8601/],
    ['since=2025-13-01', 'query.since', /ISO 8601/],
    ['since=2025-02-30', 'query.since', /not a valid ISO 8601/],
    ['since=2025-01-01T25:00:00Z', 'query.since', /not a valid ISO 8601/],
    ['since=2025-01-01T10:00:00%2B24:00', 'query.since', /not a valid ISO 8601/],
    ['until=31/12/2025', 'query.until', /ISO 8601/],
    ['since=2025-05-02&until=2025-05-01', 'query.since', /after until/],
    [`q=${'a'.repeat(501)}`, 'query.q', /at most 500/],
    ['q=***', 'query.q', /^q has no words to search for$/],
    ['q=%22%22%20()', 'query.q', /^q has no words to search for$/],
    ['q=NOT%20openai', 'query.q', /only excludes words/],
    ['q=a&q=b', 'query.q', /only once/],
    ['sort=relevance', 'query.sort', /needs q/],
    ['sort=newest', 'query.sort', /published or relevance/],
    ['cursor=garbage', 'query.cursor', /^cursor is not valid$/],
    ['cursor=', 'query.cursor', /^cursor is not valid$/],
    ['cursor=%E2%9C%93', 'query.cursor', /^cursor is not valid$/],
    ['foo=1', 'query.foo', /unknown parameter "foo"/],
    ['companies=deepseek', 'query.companies', /unknown parameter "companies"/],
  ] as Array<[string, string | RegExp, RegExp]>)('?%s', async (query, parameter, detail) => {
    const body = await problem(`/api/v1/stories?${query}`);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors?.[0]?.parameter).toMatch(parameter);
    expect(body.detail).toMatch(detail);
    expect(body.instance).toBe('/api/v1/stories');
  });

  it('refuses a tampered cursor, and a cursor made for the other sort', async () => {
    const published = await cursorFor('company=deepseek&limit=2');
    const relevance = await cursorFor('q=deepseek&sort=relevance&limit=2');
    const flipped = `${published.slice(0, 5)}${published[5] === 'A' ? 'B' : 'A'}${published.slice(6)}`;
    expect((await problem(`/api/v1/stories?company=deepseek&cursor=${flipped}`)).detail).toBe('cursor is not valid');
    expect((await problem(`/api/v1/stories?company=deepseek&cursor=${published.slice(0, -2)}`)).detail).toBe('cursor is not valid');
    expect((await problem(`/api/v1/stories?q=deepseek&sort=relevance&cursor=${published}`)).detail).toMatch(/made for sort=published/);
    expect((await problem(`/api/v1/stories?q=deepseek&cursor=${relevance}`)).detail).toMatch(/made for sort=relevance/);
  });

  it('takes repeated list parameters as a list', async () => {
    const res = await api.fetch('/api/v1/stories?company=deepseek&company=openai&kind=news&kind=company');
    expect(res.status).toBe(200);
  });
});

describe('GET /api/v1/stories/:id', () => {
  it('is a 400 for an id that is not a number, 404 for one that does not exist', async () => {
    expect((await problem('/api/v1/stories/abc')).errors?.[0]?.parameter).toBe('params.id');
    expect((await problem('/api/v1/stories/12345678901234567')).errors?.[0]?.parameter).toBe('params.id');
    expect((await problem('/api/v1/stories/-5')).errors?.[0]?.parameter).toBe('params.id');
    const missing = await problem('/api/v1/stories/9007199254740991', 404);
    expect(missing).toMatchObject({ code: 'STORY_NOT_FOUND', detail: 'story 9007199254740991 does not exist' });
    expect((await problem(`/api/v1/stories/${storyId}?include=content`)).detail).toMatch(/unknown parameter "include"/);
  });
});

describe('other routes', () => {
  it('answers an unknown path with a 404 problem', async () => {
    expect((await problem('/api/v1/nothing-here', 404)).code).toBe('NOT_FOUND');
  });

  it('refuses unknown parameters on the companies and themes lists', async () => {
    expect((await problem('/api/v1/companies?sort=name')).detail).toMatch(/unknown parameter "sort"/);
    expect((await problem('/api/v1/themes?x=1')).detail).toMatch(/unknown parameter "x"/);
  });

  it('says 429 as a problem document when the rate limit is hit', async () => {
    const limited = await startApi({ rateLimitMax: 2 });
    try {
      expect((await limited.fetch('/api/v1/themes')).status).toBe(200);
      expect((await limited.fetch('/api/v1/themes')).status).toBe(200);
      const res = await limited.fetch('/api/v1/themes');
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as ProblemJson).code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});

describe('user input never causes a 500', () => {
  const keys = ['company', 'theme', 'source', 'kind', 'q', 'since', 'until', 'limit', 'cursor', 'sort', 'include', 'interval', 'x', ''];
  const values = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('deepseek', 'efficiency', 'wire', 'news', 'relevance', 'content', '2025-05-01', '2025-05-01T00:00:00Z', '9999-12-31', '0000-01-01', '50', '0', '1e3', 'NaN', 'AND', '"', '(', ')', '*', '%', '%00', ',,,', 'week', 'day'),
  );
  const query = fc.array(fc.tuple(fc.constantFrom(...keys), values), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString());
  const paths = fc.constantFrom('/api/v1/stories', '/api/v1/stories.atom', '/api/v1/stories.rss', '/api/v1/stories.json', '/api/v1/trends', '/api/v1/companies');

  it('answers 200 or 400 (with a problem document) whatever the query', async () => {
    await fc.assert(
      fc.asyncProperty(paths, query, async (path, qs) => {
        const res = await api.fetch(`${path}?${qs}`);
        const text = await res.text();
        expect([200, 400], `${path}?${qs} → ${res.status} ${text}`).toContain(res.status);
        if (res.status === 400) expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: 400 },
    );
  });

  it('answers 200, 400 or 404 for any story id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String)), async (id) => {
        const res = await api.fetch(`/api/v1/stories/${encodeURIComponent(id)}`);
        expect([200, 400, 404]).toContain(res.status);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cursors', () => {
  const samples: Cursor[] = [
    { sort: 'published', lastId: 0 },
    { sort: 'published', lastId: 1831236481843200 },
    { sort: 'relevance', offset: 150, maxId: 1831236481843200, seenUntil: '2025-06-01T00:00:00.000Z' },
  ];

  it.each(samples)('round-trips %j', (cursor) => {
    const token = encodeCursor(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, cursor.sort)).toEqual(cursor);
  });

  it('refuses every one-character change', () => {
    for (const cursor of samples) {
      const token = encodeCursor(cursor);
      for (let i = 0; i < token.length; i++) {
        for (const c of ['A', 'z', '0', '_', '-']) {
          if (token[i] === c) continue;
          const changed = token.slice(0, i) + c + token.slice(i + 1);
          expect(() => decodeCursor(changed, cursor.sort), changed).toThrow('cursor is not valid');
        }
      }
    }
  });

  it('refuses any garbage with a 400, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 500 }), fc.base64String({ maxLength: 200 }), fc.json().map((j) => Buffer.from(j).toString('base64url'))), (token) => {
        try {
          decodeCursor(token, 'published');
        } catch (err) {
          expect(isAppError(err) && err.statusCode === 400).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
