import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoryListSchema } from '../src/api/schemas/stories.js';
import { RELEVANCE_WINDOW } from '../src/api/story-filter.js';
import { buildListQuery, type StoryFilter } from '../src/db/story-query.js';
import { seedFeeds, seedStories, type SeedFeed, type SeedStory } from './helpers/seed.js';
import { startApi, type RunningApi } from './helpers/start-api.js';

interface StoryJson {
  id: string;
  url: string | null;
  title: string;
  summary: string;
  contentHtml?: string | null;
  imageUrl: string | null;
  publishedAt: string;
  fetchedAt: string;
  dateEstimated: boolean;
  source: { id: string; name: string; kind: string };
  sources: Array<{ id: string; name: string; kind: string; url: string | null }>;
  companies: string[];
  themes: string[];
  tags: Array<{ kind: string; id: string; score: number; evidence: unknown[] }>;
}
interface ListJson {
  stories: StoryJson[];
  nextCursor: string | null;
}

const FEEDS: SeedFeed[] = [
  { id: 'wire', name: 'The Wire', kind: 'news' },
  { id: 'lab-blog', name: 'Lab Blog', kind: 'company' },
  { id: 'papers', name: 'Papers', kind: 'research' },
  { id: 'column', name: 'The Column', kind: 'commentary' },
];

const BASE: Array<Omit<SeedStory, 'publishedAt'>> = [
  { feed: 'wire', title: 'DeepSeek releases R1 reasoning model', companies: ['deepseek'], themes: ['open-source', 'efficiency'] },
  { feed: 'wire', title: 'Nvidia shares fall after DeepSeek launch', companies: ['nvidia', 'deepseek'], themes: ['investment'] },
  { feed: 'lab-blog', title: 'OpenAI cuts API prices', companies: ['openai'], themes: ['efficiency'] },
  { feed: 'papers', title: 'Distillation at a fraction of the cost', themes: ['efficiency'], imageUrl: 'https://img.example/distil.png', dateEstimated: true },
  { feed: 'column', title: 'Why chip controls failed', companies: ['nvidia'], themes: ['geopolitics'] },
  { feed: 'wire', title: 'EU AI Act enforcement begins', themes: ['regulation'] },
  { feed: 'lab-blog', title: 'Anthropic ships Claude update', companies: ['anthropic'] },
  { feed: 'wire', title: 'Microsoft invests in OpenAI data centres', companies: ['microsoft', 'openai'], themes: ['investment'], alsoIn: ['column'] },
  { feed: 'papers', title: 'Open weights for Llama', companies: ['meta'], themes: ['open-source'] },
  { feed: 'wire', title: 'Weather in Lisbon', content: null, summary: 'Sunny, "warm" & <dry>\nall week \u2028 ok' },
  { feed: 'column', title: 'Google Gemini and DeepSeek compared', companies: ['google', 'deepseek'], themes: ['efficiency'] },
  { feed: 'wire', title: 'China bans Nvidia H20 sales', companies: ['nvidia'], themes: ['geopolitics', 'regulation'] },
  { feed: 'papers', title: 'Sparse mixture models', themes: ['efficiency'], alsoIn: ['wire'] },
];

/** 26 stories, published in an order unrelated to the order they are written, two in the same second. */
function dataset(): SeedStory[] {
  const list = [...BASE, ...BASE.map((s) => ({ ...s, title: `${s.title} (follow-up)`, alsoIn: [] }))];
  return list.map((s, i) => ({
    ...s,
    publishedAt: new Date(Date.UTC(2025, 4, 1) + ((i * 7) % list.length) * 3 * 3_600_000).toISOString(),
  }));
}

let api: RunningApi;
let seeded: Array<SeedStory & { id: string }>;

beforeAll(async () => {
  api = await startApi();
  seedFeeds(api.db, FEEDS);
  const stories = dataset();
  // Two stories in the same second: ids still differ and still sort by time.
  stories[3] = { ...stories[3]!, publishedAt: stories[4]!.publishedAt };
  const ids = seedStories(api.db, stories);
  seeded = stories.map((s, i) => ({ ...s, id: String(ids[i]) }));
});
afterAll(() => api.close());

async function getJson<T = ListJson>(path: string): Promise<T> {
  const res = await api.fetch(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The answer worked out without SQL: filter the seed list, newest first (ties: later written first). */
function oracle(pred: (s: SeedStory & { id: string }) => boolean): string[] {
  return seeded
    .filter(pred)
    .sort((a, b) => (a.publishedAt === b.publishedAt ? Number(b.id) - Number(a.id) : a.publishedAt < b.publishedAt ? 1 : -1))
    .map((s) => s.id);
}

const kindOf = (feed: string) => FEEDS.find((f) => f.id === feed)!.kind!;
const feedsOf = (s: SeedStory) => [s.feed, ...(s.alsoIn ?? [])];
const anyOf = (list: string[] | undefined, wanted: string) => wanted.split(',').some((w) => list?.includes(w));
const word = (w: string) => (s: SeedStory) => new RegExp(`\\b${w}\\b`, 'i').test(s.title);

async function walk(query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const body: ListJson = await getJson(`/api/v1/stories?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(body.stories.length).toBeLessThanOrEqual(limit);
    ids.push(...body.stories.map((s) => s.id));
    cursor = body.nextCursor;
    if (!cursor) return ids;
    expect(body.stories.length).toBe(limit);
  }
  throw new Error('the walk did not end');
}

describe('GET /api/v1/stories: every filter against known answers', () => {
  const t = (iso: string) => (s: SeedStory) => s.publishedAt >= iso;
  const u = (iso: string) => (s: SeedStory) => s.publishedAt <= iso;
  const cases: Array<[string, (s: SeedStory) => boolean]> = [
    ['', () => true],
    ...['deepseek', 'nvidia', 'openai', 'anthropic', 'microsoft', 'meta', 'google', 'apple'].map(
      (c): [string, (s: SeedStory) => boolean] => [`company=${c}`, (s) => anyOf(s.companies, c)],
    ),
    ...['open-source', 'efficiency', 'geopolitics', 'investment', 'regulation'].map(
      (th): [string, (s: SeedStory) => boolean] => [`theme=${th}`, (s) => anyOf(s.themes, th)],
    ),
    ['company=deepseek,openai', (s) => anyOf(s.companies, 'deepseek,openai')],
    ['company=deepseek&company=openai', (s) => anyOf(s.companies, 'deepseek,openai')],
    ['company=deepseek&theme=efficiency', (s) => anyOf(s.companies, 'deepseek') && anyOf(s.themes, 'efficiency')],
    ['company=nvidia&theme=geopolitics', (s) => anyOf(s.companies, 'nvidia') && anyOf(s.themes, 'geopolitics')],
    ['company=nvidia&theme=efficiency', (s) => anyOf(s.companies, 'nvidia') && anyOf(s.themes, 'efficiency')],
    ['company=deepseek,nvidia&theme=efficiency,investment', (s) => anyOf(s.companies, 'deepseek,nvidia') && anyOf(s.themes, 'efficiency,investment')],
    ['theme=regulation,open-source', (s) => anyOf(s.themes, 'regulation,open-source')],
    ['source=column', (s) => feedsOf(s).includes('column')],
    ['source=wire,papers', (s) => feedsOf(s).some((f) => f === 'wire' || f === 'papers')],
    ['source=wire&company=nvidia', (s) => feedsOf(s).includes('wire') && anyOf(s.companies, 'nvidia')],
    ['kind=research', (s) => feedsOf(s).some((f) => kindOf(f) === 'research')],
    ['kind=company,commentary', (s) => feedsOf(s).some((f) => ['company', 'commentary'].includes(kindOf(f)))],
    ['kind=news&theme=regulation', (s) => feedsOf(s).some((f) => kindOf(f) === 'news') && anyOf(s.themes, 'regulation')],
    ['kind=policy', () => false],
    ['since=2025-05-04T00:00:00Z', t('2025-05-04T00:00:00.000Z')],
    ['until=2025-05-03', u('2025-05-03T23:59:59.999Z')],
    ['since=2025-05-02&until=2025-05-03T12:00:00Z', (s) => t('2025-05-02T00:00:00.000Z')(s) && u('2025-05-03T12:00:00.000Z')(s)],
    ['since=2025-05-02T02:00:00+02:00&until=2025-05-02', (s) => t('2025-05-02T00:00:00.000Z')(s) && u('2025-05-02T23:59:59.999Z')(s)],
    ['since=2025-05-02T02:00:00%2B02:00&until=2025-05-02T20:59:59-03:00', (s) => t('2025-05-02T00:00:00.000Z')(s) && u('2025-05-02T23:59:59.999Z')(s)],
    ['company=nvidia&since=2025-05-03', (s) => anyOf(s.companies, 'nvidia') && t('2025-05-03T00:00:00.000Z')(s)],
    ['q=deepseek', word('deepseek')],
    ['q=DeepSeek%20nvidia', (s) => word('deepseek')(s) && word('nvidia')(s)],
    ['q=deepseek%20OR%20anthropic', (s) => word('deepseek')(s) || word('anthropic')(s)],
    ['q=deeps*', word('deepseek')],
    ['q=deepseek%20-nvidia', (s) => word('deepseek')(s) && !word('nvidia')(s)],
    ['q=%22fraction%20of%20the%20cost%22', (s) => /fraction of the cost/.test(s.title)],
    ['q=follow-up&company=openai', (s) => /follow-up/.test(s.title) && anyOf(s.companies, 'openai')],
    ['q=deepseek&theme=efficiency&since=2025-05-02', (s) => word('deepseek')(s) && anyOf(s.themes, 'efficiency') && t('2025-05-02T00:00:00.000Z')(s)],
  ];

  it('seeds a useful dataset (several answers per filter, one same-second pair)', () => {
    expect(seeded).toHaveLength(26);
    expect(new Set(seeded.map((s) => s.publishedAt)).size).toBe(25);
  });

  it.each(cases)('?%s', async (query, pred) => {
    const expected = oracle(pred);
    const body = await getJson(`/api/v1/stories?${query}&limit=200`);
    expect(body.stories.map((s) => s.id)).toEqual(expected);
    expect(body.nextCursor).toBeNull();
    // The same answer, a page of 4 at a time.
    expect(await walk(query, 4)).toEqual(expected);
  });

  it('defaults to 50 a page, newest first', async () => {
    const body = await getJson('/api/v1/stories');
    expect(body.stories).toHaveLength(26);
    const times = body.stories.map((s) => s.publishedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('gives a next link beside nextCursor', async () => {
    const res = await api.fetch('/api/v1/stories?company=deepseek&limit=2');
    const body = (await res.json()) as ListJson;
    expect(res.headers.get('link')).toBe(`</api/v1/stories?company=deepseek&limit=2&cursor=${body.nextCursor}>; rel="next"`);
  });
});

describe('story JSON', () => {
  it('has every documented field; content only when asked for', async () => {
    const target = seeded.find((s) => s.title === 'Microsoft invests in OpenAI data centres')!;
    const list = await getJson('/api/v1/stories?company=microsoft&limit=1');
    const story = list.stories[0]!;
    expect(story).toEqual({
      id: target.id,
      url: expect.stringMatching(/^https:\/\/news\.example\//),
      title: target.title,
      summary: `Summary of ${target.title}`,
      imageUrl: null,
      publishedAt: target.publishedAt,
      fetchedAt: '2025-06-01T00:00:00.000Z',
      dateEstimated: false,
      source: { id: 'wire', name: 'The Wire', kind: 'news' },
      sources: expect.arrayContaining([
        { id: 'wire', name: 'The Wire', kind: 'news', url: story.url },
        { id: 'column', name: 'The Column', kind: 'commentary', url: story.url },
      ]),
      companies: ['microsoft', 'openai'],
      themes: ['investment'],
      tags: [
        { kind: 'company', id: 'microsoft', score: 0.9, evidence: [{ term: 'microsoft', field: 'title', count: 1 }] },
        { kind: 'company', id: 'openai', score: 0.8, evidence: [{ term: 'openai', field: 'title', count: 1 }] },
        { kind: 'theme', id: 'investment', score: 0.9, evidence: [{ term: 'investment', field: 'title', count: 1 }] },
      ],
    });
    expect(story.sources).toHaveLength(2);
    expect('contentHtml' in story).toBe(false);

    const withContent = await getJson('/api/v1/stories?company=microsoft&limit=1&include=content');
    expect(withContent.stories[0]!.contentHtml).toBe(`<p>${target.title}</p>`);

    const single = await getJson<StoryJson>(`/api/v1/stories/${target.id}`);
    expect(single).toEqual({ ...story, contentHtml: `<p>${target.title}</p>` });
  });

  it('lists stories exactly as the single-story route presents them (the list JSON is made by SQLite)', async () => {
    const withContent = await getJson('/api/v1/stories?limit=200&include=content');
    const plain = await getJson('/api/v1/stories?limit=200');
    expect(withContent.stories).toHaveLength(seeded.length);
    expect(StoryListSchema.safeParse(withContent).success).toBe(true);
    expect(StoryListSchema.safeParse(plain).success).toBe(true);
    for (const [i, story] of withContent.stories.entries()) {
      const single = await getJson<StoryJson>(`/api/v1/stories/${story.id}`);
      expect(story).toStrictEqual(single);
      const { contentHtml: _content, ...rest } = single;
      expect(plain.stories[i]).toStrictEqual(rest);
    }
  });

  it('orders by relevance when asked: title matches first, ties newest first', async () => {
    const body = await getJson('/api/v1/stories?q=deepseek&sort=relevance&limit=200');
    expect(new Set(body.stories.map((s) => s.id))).toEqual(new Set(oracle(word('deepseek'))));
    const short = body.stories.findIndex((s) => s.title === 'DeepSeek releases R1 reasoning model');
    const long = body.stories.findIndex((s) => s.title === 'DeepSeek releases R1 reasoning model (follow-up)');
    expect(short).toBeLessThan(long); // the shorter title is the better match
    expect(await walkRelevance('q=deepseek', 2)).toEqual(body.stories.map((s) => s.id));
  });
});

async function walkRelevance(query: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const body: ListJson = await getJson(`/api/v1/stories?${query}&sort=relevance&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    ids.push(...body.stories.map((s) => s.id));
    cursor = body.nextCursor;
  } while (cursor);
  return ids;
}

describe('HTTP conventions', () => {
  it('sends an ETag and Cache-Control, and 304 on If-None-Match', async () => {
    for (const [path, cache] of [
      ['/api/v1/stories?company=deepseek', 'public, max-age=60'],
      [`/api/v1/stories/${seeded[0]!.id}`, 'public, max-age=300'],
    ] as const) {
      const res = await api.fetch(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe(cache);
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[^"]+"$/);
      const again = await api.fetch(path, { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
      const other = await api.fetch(path, { headers: { 'if-none-match': '"something-else"' } });
      expect(other.status).toBe(200);
    }
  });

  it('allows cross-origin GETs', async () => {
    const res = await api.fetch('/api/v1/stories?limit=1', { headers: { origin: 'https://reader.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/ETag/i);
    const preflight = await api.fetch('/api/v1/stories', {
      method: 'OPTIONS',
      headers: { origin: 'https://reader.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/GET/);
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = await getJson<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('/openapi.json');
    for (const path of ['/api/v1/stories', '/api/v1/stories/{id}', '/api/v1/stories.atom', '/api/v1/stories.rss', '/api/v1/stories.json', '/api/v1/companies', '/api/v1/themes', '/api/v1/trends']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Story', 'StoryList', 'Problem']));
  });
});

describe('query plans: every list query is an index walk', () => {
  it('walks the shorter timeline when a query combines filters', () => {
    const sizes = (table: Record<string, number>) => (key: string) => table[key];
    const both = { companies: ['openai'], themes: ['efficiency'] };
    expect(buildListQuery(both, 51, sizes({ 'company:openai': 1000, 'theme:efficiency': 10 })).sql).toMatch(/^SELECT d\.story_id AS id FROM story_tags d WHERE d\.kind = 'theme'/);
    expect(buildListQuery(both, 51, sizes({ 'company:openai': 10, 'theme:efficiency': 1000 })).sql).toMatch(/^SELECT d\.story_id AS id FROM story_tags d WHERE d\.kind = 'company'/);
    const withSource = { companies: ['openai', 'google'], sources: ['wire'] };
    expect(buildListQuery(withSource, 51, sizes({ 'company:openai': 10, 'company:google': 10, 'source:wire': 25 })).sql).toMatch(/^SELECT id FROM \(SELECT id FROM \(SELECT d\.story_id AS id FROM story_tags d/);
    expect(buildListQuery(withSource, 51, sizes({ 'company:openai': 10, 'company:google': 10, 'source:wire': 5 })).sql).toMatch(/^SELECT d\.story_id AS id FROM story_sources d/);
  });

  const shapes: Record<string, StoryFilter> = {
    everything: {},
    company: { companies: ['openai'] },
    theme: { themes: ['efficiency'] },
    'company + theme': { companies: ['openai'], themes: ['efficiency'] },
    'any of two companies': { companies: ['openai', 'deepseek'] },
    source: { sources: ['wire'] },
    kind: { kinds: ['news'] },
    fts: { match: '"deepseek"' },
    'fts + company + theme': { match: '"deepseek"', companies: ['deepseek'], themes: ['efficiency'] },
    'deep cursor page': { companies: ['openai'], maxIdExclusive: 2 ** 40, minId: 2 ** 30 },
    'everything at once': { companies: ['a', 'b'], themes: ['c'], sources: ['wire'], kinds: ['news'], minId: 1, maxIdExclusive: 2 ** 50 },
  };
  it.each(Object.entries(shapes))('%s', (_name, filter) => {
    const { sql, params } = buildListQuery(filter, 51);
    const plan = (api.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan.join('\n')).not.toMatch(/SCAN (stories|story_tags|story_sources|d)(\s|$)/m);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    expect(plan.some((d) => /^SEARCH d USING (COVERING INDEX|INTEGER PRIMARY KEY)|^SCAN stories_fts VIRTUAL TABLE/.test(d))).toBe(true);
    // Probes are correlated lookups by story id, never a pass over a table.
    expect(plan.filter((d) => /^SEARCH (pc|pt|ps|pk|fk)/.test(d)).every((d) => /story_id=\?|id=\?/.test(d))).toBe(true);
  });
});

describe('paging while stories arrive', () => {
  let live: RunningApi;
  let initial: string[];
  let clockSecond = 0;
  const seen = () => `2025-06-01T00:00:${String(++clockSecond).padStart(2, '0')}.000Z`;
  const hour = (h: number) => new Date(Date.UTC(2025, 4, 10) + h * 3_600_000).toISOString();
  // Same length titles and summaries: equal relevance scores whatever the corpus, so relevance order is id order.
  const story = (n: number, publishedAt: string): SeedStory => ({ feed: 'wire', title: `Walk story ${String(n).padStart(3, '0')}`, summary: 'the walk goes on', publishedAt, companies: ['openai'] });

  beforeAll(async () => {
    live = await startApi();
    seedFeeds(live.db, [{ id: 'wire' }]);
    initial = seedStories(live.db, Array.from({ length: 20 }, (_, i) => story(i, hour(10 + i * 2))), seen()).map(String);
  });
  afterAll(() => live.close());

  async function walkWhileInserting(query: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let n = 100;
    for (let page = 0; page < 50; page++) {
      const res = await live.fetch(`/api/v1/stories?${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as ListJson;
      ids.push(...body.stories.map((s) => s.id));
      cursor = body.nextCursor;
      if (!cursor) return ids;
      // Between pages: one story newer than everything, one older than everything, one in the middle.
      seedStories(live.db, [story(n++, hour(100 + page)), story(n++, hour(-50 - page)), story(n++, hour(21 + page / 10))], seen());
    }
    throw new Error('the walk did not end');
  }

  it.each([
    ['published sort', 'company=openai'],
    ['published sort, search', 'q=walk'],
    ['relevance sort', 'q=walk&sort=relevance'],
  ])('%s: no repeats, and every story there at the start is met', async (_name, query) => {
    const ids = await walkWhileInserting(query);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(initial));
  });

  it('relevance pages keep to the stories of the first page\'s moment', async () => {
    const first = (await (await live.fetch('/api/v1/stories?q=walk&sort=relevance&limit=2')).json()) as ListJson;
    const collect = async (query: string, from: string | null): Promise<string[]> => {
      const ids: string[] = [];
      let cursor = from;
      do {
        const body = (await (await live.fetch(`/api/v1/stories?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`)).json()) as ListJson;
        ids.push(...body.stories.map((s) => s.id));
        cursor = body.nextCursor;
      } while (cursor);
      return ids;
    };
    const before = await collect('q=walk', null);
    const [older, newer] = seedStories(live.db, [story(900, hour(-500)), story(901, hour(500))], seen()).map(String);
    const rest = await collect('q=walk&sort=relevance', first.nextCursor);
    expect([...first.stories.map((s) => s.id), ...rest].sort()).toEqual(before.sort());
    expect(rest).not.toContain(older);
    expect(rest).not.toContain(newer);
    // A new walk sees them.
    expect(await collect('q=walk&sort=relevance', null)).toEqual(expect.arrayContaining([older, newer]));
  });
});

describe('relevance over many matches', () => {
  let big: RunningApi;
  let strongOld: string[];
  beforeAll(async () => {
    big = await startApi();
    seedFeeds(big.db, [{ id: 'wire' }]);
    const at = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
    // The ten oldest match best ("window" three times) but lie outside the newest RELEVANCE_WINDOW matches.
    strongOld = seedStories(big.db, Array.from({ length: 10 }, (_, i) => ({ feed: 'wire', title: `window window window ${i}`, summary: 'window', publishedAt: at(i) }))).map(String);
    seedStories(big.db, Array.from({ length: RELEVANCE_WINDOW }, (_, i) => ({ feed: 'wire', title: `An open window, number ${i}`, summary: 'plain text', publishedAt: at(100 + i) })));
  });
  afterAll(() => big.close());

  it(`ranks the newest ${RELEVANCE_WINDOW} matches, and pages through exactly those`, async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await big.fetch(`/api/v1/stories?q=window&sort=relevance&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
      const body = (await res.json()) as ListJson;
      ids.push(...body.stories.map((s) => s.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(RELEVANCE_WINDOW);
    expect(new Set(ids).size).toBe(RELEVANCE_WINDOW);
    expect(ids.filter((id) => strongOld.includes(id))).toEqual([]);
    // Published order still reaches every match.
    const all = (await (await big.fetch('/api/v1/stories?q=window&limit=20&since=2025-01-01&until=2025-01-01T00:09:00Z')).json()) as ListJson;
    expect(all.stories.map((s) => s.id).sort()).toEqual([...strongOld].sort());
  });
});
