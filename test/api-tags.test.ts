import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFeeds, seedStories, type SeedStory } from './helpers/seed.js';
import { startApi, type RunningApi } from './helpers/start-api.js';

// "Now" is Tuesday 2025-06-10, 12:00 UTC.
const NOW = new Date('2025-06-10T12:00:00.000Z');

interface Summary {
  id: string;
  name: string;
  counts: { last24h: number; last7d: number; last30d: number };
  lastSeenAt: string | null;
}
interface Trend {
  kind: string;
  id: string;
  interval: string;
  buckets: Array<{ start: string; count: number }>;
}

const deepseek = [
  '2025-06-10T11:00:00.000Z', // 1 hour ago
  '2025-06-09T00:00:00.000Z', // Monday
  '2025-06-08T23:59:59.000Z', // Sunday, last second of the previous ISO week
  '2025-06-02T00:00:00.000Z', // Monday
  '2025-06-01T23:59:59.000Z', // Sunday
  '2025-05-26T00:00:00.000Z', // Monday
  '2025-05-20T10:00:00.000Z', // 21 days ago
  '2025-05-01T10:00:00.000Z', // 40 days ago
];

let api: RunningApi;

beforeAll(async () => {
  api = await startApi({ clock: () => NOW });
  seedFeeds(api.db, [{ id: 'wire' }]);
  const stories: SeedStory[] = [
    ...deepseek.map((publishedAt, i) => ({ feed: 'wire', title: `DeepSeek ${i}`, publishedAt, companies: ['deepseek'], themes: i % 2 === 0 ? ['efficiency'] : [] })),
    { feed: 'wire', title: 'OpenAI today', publishedAt: '2025-06-10T06:00:00.000Z', companies: ['openai', 'microsoft'], themes: ['investment'] },
    { feed: 'wire', title: 'OpenAI last year', publishedAt: '2024-06-10T06:00:00.000Z', companies: ['openai'] },
  ];
  seedStories(api.db, stories, NOW.toISOString());
});
afterAll(() => api.close());

async function getJson<T>(path: string): Promise<T> {
  const res = await api.fetch(path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

describe('GET /api/v1/companies and /api/v1/themes', () => {
  it('lists every company of the taxonomy with its counts and last sighting', async () => {
    const { companies } = await getJson<{ companies: Summary[] }>('/api/v1/companies');
    expect(companies.map((c) => c.id)).toEqual(api.harness.tagger.companies.map((c) => c.id));
    const by = Object.fromEntries(companies.map((c) => [c.id, c]));
    expect(by.deepseek).toEqual({ id: 'deepseek', name: 'DeepSeek', counts: { last24h: 1, last7d: 3, last30d: 7 }, lastSeenAt: '2025-06-10T11:00:00.000Z' });
    expect(by.openai).toMatchObject({ counts: { last24h: 1, last7d: 1, last30d: 1 }, lastSeenAt: '2025-06-10T06:00:00.000Z' });
    expect(by.microsoft).toMatchObject({ counts: { last24h: 1, last7d: 1, last30d: 1 } });
    expect(by.apple).toEqual({ id: 'apple', name: expect.any(String), counts: { last24h: 0, last7d: 0, last30d: 0 }, lastSeenAt: null });
  });

  it('lists every theme the same way', async () => {
    const { themes } = await getJson<{ themes: Summary[] }>('/api/v1/themes');
    expect(themes.map((t) => t.id)).toEqual(['open-source', 'efficiency', 'geopolitics', 'investment', 'regulation']);
    const by = Object.fromEntries(themes.map((t) => [t.id, t]));
    // efficiency: stories 0, 2, 4, 6 of the deepseek list
    expect(by.efficiency).toMatchObject({ counts: { last24h: 1, last7d: 2, last30d: 4 }, lastSeenAt: '2025-06-10T11:00:00.000Z' });
    expect(by.regulation).toMatchObject({ counts: { last24h: 0, last7d: 0, last30d: 0 }, lastSeenAt: null });
  });

  it('caches for a minute, with an ETag', async () => {
    const res = await api.fetch('/api/v1/themes');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const again = await api.fetch('/api/v1/themes', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });
});

describe('GET /api/v1/trends', () => {
  it('counts per UTC day, zero-filled, oldest first', async () => {
    const trend = await getJson<Trend>('/api/v1/trends?company=deepseek&interval=day&since=2025-05-31&until=2025-06-03');
    expect(trend).toEqual({
      kind: 'company',
      id: 'deepseek',
      interval: 'day',
      buckets: [
        { start: '2025-05-31T00:00:00.000Z', count: 0 },
        { start: '2025-06-01T00:00:00.000Z', count: 1 },
        { start: '2025-06-02T00:00:00.000Z', count: 1 },
        { start: '2025-06-03T00:00:00.000Z', count: 0 },
      ],
    });
  });

  it('counts per ISO week (Monday 00:00 UTC)', async () => {
    const trend = await getJson<Trend>('/api/v1/trends?company=deepseek&interval=week&since=2025-05-20&until=2025-06-10');
    expect(trend.buckets).toEqual([
      { start: '2025-05-19T00:00:00.000Z', count: 1 },
      { start: '2025-05-26T00:00:00.000Z', count: 2 },
      { start: '2025-06-02T00:00:00.000Z', count: 2 },
      { start: '2025-06-09T00:00:00.000Z', count: 2 },
    ]);
  });

  it('defaults to the last 30 days, or the last 26 weeks', async () => {
    const days = await getJson<Trend>('/api/v1/trends?company=deepseek');
    expect(days.interval).toBe('day');
    expect(days.buckets).toHaveLength(30);
    expect(days.buckets.at(-1)!.start).toBe('2025-06-10T00:00:00.000Z');
    expect(days.buckets[0]!.start).toBe('2025-05-12T00:00:00.000Z');
    expect(days.buckets.reduce((n, b) => n + b.count, 0)).toBe(7);
    const weeks = await getJson<Trend>('/api/v1/trends?company=openai&interval=week');
    expect(weeks.buckets).toHaveLength(26);
    expect(weeks.buckets.at(-1)).toEqual({ start: '2025-06-09T00:00:00.000Z', count: 1 });
    expect(weeks.buckets.every((b) => new Date(b.start).getUTCDay() === 1)).toBe(true);
  });

  it('works for themes, and takes date-times with offsets', async () => {
    const trend = await getJson<Trend>('/api/v1/trends?theme=efficiency&since=2025-06-10T01:00:00%2B02:00&until=2025-06-10T23:00:00Z');
    expect(trend).toEqual({ kind: 'theme', id: 'efficiency', interval: 'day', buckets: [{ start: '2025-06-09T00:00:00.000Z', count: 0 }, { start: '2025-06-10T00:00:00.000Z', count: 1 }] });
  });

  it('allows up to 400 buckets', async () => {
    const ok = await getJson<Trend>('/api/v1/trends?company=openai&interval=week&since=2018-01-01');
    expect(ok.buckets.length).toBeLessThanOrEqual(400);
    expect(ok.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
    const tooMany = await api.fetch('/api/v1/trends?company=openai&interval=day&since=2020-01-01');
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { detail: string }).detail).toMatch(/at most 400 buckets/);
  });

  it.each([
    ['', 'query.company', /exactly one of company or theme/],
    ['company=deepseek&theme=efficiency', 'query.company', /exactly one of company or theme/],
    ['company=opneai', 'query.company', /unknown company id "opneai"/],
    ['theme=cheapness', 'query.theme', /unknown theme id "cheapness"/],
    ['company=deepseek&interval=month', 'query.interval', /day or week/],
    ['company=deepseek&since=yesterday', 'query.since', /ISO 8601/],
    ['company=deepseek&since=2025-02-30', 'query.since', /not a valid ISO 8601 date/],
    ['company=deepseek&since=2025-06-05&until=2025-06-01', 'query.since', /after until/],
    ['company=deepseek&company=openai', 'query.company', /only once/],
    ['company=deepseek&limit=5', 'query.limit', /unknown parameter "limit"/],
  ] as Array<[string, string | RegExp, RegExp]>)('?%s → 400 naming %s', async (query, parameter, detail) => {
    const res = await api.fetch(`/api/v1/trends?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { detail: string; errors: Array<{ parameter: string }> };
    expect(body.detail).toMatch(detail);
    expect(body.errors[0]!.parameter).toMatch(parameter);
  });
});
