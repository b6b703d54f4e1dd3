import { createRequire } from 'node:module';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFeeds, seedStories, type SeedStory } from './helpers/seed.js';
import { PUBLIC_URL, startApi, type RunningApi } from './helpers/start-api.js';

// sax is the strict XML parser under rss-parser (through xml2js); used here alone to check well-formedness.
interface SaxParser {
  onerror: (err: Error) => void;
  write(xml: string): SaxParser;
  close(): void;
}
const sax = createRequire(import.meta.url)('sax') as { parser(strict: boolean, options: { xmlns: boolean }): SaxParser };

/** Characters XML 1.0 forbids anywhere in a document. */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function wellFormedness(xml: string): string | null {
  if (NOT_XML.test(xml)) return 'a character XML 1.0 does not allow';
  const parser = sax.parser(true, { xmlns: true });
  let problem: string | null = null;
  parser.onerror = (err) => {
    problem ??= err.message;
    throw err;
  };
  try {
    parser.write(xml).close();
  } catch {
    // reported through onerror
  }
  return problem;
}

const decodeHtml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

type AtomCategory = { $: { term: string; label?: string; scheme?: string } };
type RssCategory = string | { _: string; $: { domain?: string } };
const parser = new Parser<Record<string, unknown>, { category?: AtomCategory[]; 'content:encoded'?: string; id?: string; author?: string }>({
  customFields: { item: [['category', 'category', { keepArray: true }]] },
});

const HOSTILE_TITLE = 'Q&A: <script>alert(1)</script> ]]> and ]]> again \u0001\u0008\u000B\uFFFE end';
const HOSTILE_CONTENT = '<p>A &amp; B ]]> c ]]></p><p>\u0002x</p>';

let api: RunningApi;
let ids: Record<string, string>;
let urls: Record<string, string | null>;
const stories: Record<string, SeedStory> = {
  r1: { feed: 'wire', title: 'DeepSeek R1 matches o1 at a fraction of the cost', url: 'https://news.example/r1?a=1&b=2', publishedAt: '2025-05-01T08:00:00.000Z', companies: ['deepseek'], themes: ['efficiency'], author: 'Ana Lopez', imageUrl: 'https://img.example/r1.png' },
  v3: { feed: 'wire', title: 'DeepSeek V3 training costs', publishedAt: '2025-05-02T09:30:00.000Z', companies: ['deepseek', 'nvidia'], themes: ['efficiency', 'investment'] },
  nourl: { feed: 'lab', title: 'DeepSeek efficiency notes without a link', url: null, publishedAt: '2025-05-03T10:00:00.000Z', companies: ['deepseek'], themes: ['efficiency'], content: null },
  other: { feed: 'lab', title: 'OpenAI news', publishedAt: '2025-05-04T00:00:00.000Z', companies: ['openai'] },
  hostile: { feed: 'wire', title: HOSTILE_TITLE, summary: 'x < y & "z" ]]> \u0003', content: HOSTILE_CONTENT, author: 'R&D <team>', publishedAt: '2025-05-05T00:00:00.000Z', companies: ['deepseek'], themes: ['efficiency'] },
};

beforeAll(async () => {
  api = await startApi();
  seedFeeds(api.db, [{ id: 'wire', name: 'The Wire' }, { id: 'lab', name: 'Lab & Co', kind: 'company' }]);
  const keys = Object.keys(stories);
  const written = seedStories(api.db, keys.map((k) => stories[k]!));
  ids = Object.fromEntries(keys.map((k, i) => [k, String(written[i])]));
  urls = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, ((await (await api.fetch(`/api/v1/stories/${ids[k]}`)).json()) as { url: string | null }).url])));
});
afterAll(() => api.close());

const QUERY = 'company=deepseek&theme=efficiency';
const expectedOrder = () => ['hostile', 'nourl', 'v3', 'r1'];
const entryId = (key: string) => `tag:shiftwire,2025:story/${ids[key]}`;
const linkOf = (key: string) => urls[key] ?? `${PUBLIC_URL}/api/v1/stories/${ids[key]}`;

async function get(path: string): Promise<{ res: Response; body: string }> {
  const res = await api.fetch(path);
  return { res, body: await res.text() };
}

describe('Atom 1.0', () => {
  it('parses back with an independent parser: title, ids, links, dates, authors and categories survive', async () => {
    expect(urls.nourl).toBeNull();
    expect(urls.r1).toBe('https://news.example/r1?a=1&b=2');
    const { res, body } = await get(`/api/v1/stories.atom?${QUERY}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(wellFormedness(body)).toBeNull();
    const feed = await parser.parseString(body);
    expect(feed.title).toBe('Shiftwire — deepseek + efficiency');
    expect(feed.items.map((i) => i.id)).toEqual(expectedOrder().map(entryId));
    expect(feed.items.map((i) => i.link)).toEqual(expectedOrder().map(linkOf));
    expect(feed.items.map((i) => i.isoDate)).toEqual(expectedOrder().map((k) => stories[k]!.publishedAt));
    const r1 = feed.items[3]!;
    expect(r1.title).toBe(stories.r1!.title);
    expect(r1.author).toBe('Ana Lopez');
    expect(feed.items[2]!.author).toBe('The Wire'); // no author: the feed that carried it
    expect(r1.category!.map((c) => c.$)).toEqual([
      { term: 'deepseek', label: 'DeepSeek', scheme: `${PUBLIC_URL}/api/v1/companies` },
      { term: 'efficiency', label: expect.any(String), scheme: `${PUBLIC_URL}/api/v1/themes` },
    ]);
    expect(feed.items[2]!.category!.map((c) => c.$.term)).toEqual(['deepseek', 'nvidia', 'efficiency', 'investment']);
    expect(r1.content).toBe(`<p>${stories.r1!.title}</p>`);
    expect(body).toContain(`<link rel="self" href="${PUBLIC_URL}/api/v1/stories.atom?company=deepseek&amp;theme=efficiency"/>`);
  });
});

describe('RSS 2.0', () => {
  it('parses back: guids, links, dates, creators and categories with their domain survive', async () => {
    const { res, body } = await get(`/api/v1/stories.rss?${QUERY}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(wellFormedness(body)).toBeNull();
    const feed = await parser.parseString(body);
    expect(feed.title).toBe('Shiftwire — deepseek + efficiency');
    expect(feed.items.map((i) => i.guid)).toEqual(expectedOrder().map(entryId));
    expect(feed.items.map((i) => i.link)).toEqual(expectedOrder().map(linkOf));
    expect(feed.items.map((i) => i.isoDate)).toEqual(expectedOrder().map((k) => stories[k]!.publishedAt));
    const v3 = feed.items[2]!;
    expect(v3.creator).toBe('The Wire');
    expect((v3.categories as unknown as RssCategory[]).map((c) => (typeof c === 'string' ? [c] : [c._, c.$.domain]))).toEqual([
      ['deepseek', `${PUBLIC_URL}/api/v1/companies`],
      ['nvidia', `${PUBLIC_URL}/api/v1/companies`],
      ['efficiency', `${PUBLIC_URL}/api/v1/themes`],
      ['investment', `${PUBLIC_URL}/api/v1/themes`],
    ]);
    expect(feed.items[3]!['content:encoded']).toBe(`<p>${stories.r1!.title}</p>`);
    expect(feed.items[3]!.enclosure).toMatchObject({ url: 'https://img.example/r1.png', type: 'image/png' });
  });
});

describe('JSON Feed 1.1', () => {
  it('follows the spec and keeps ids, links, dates and tags', async () => {
    const { res, body } = await get(`/api/v1/stories.json?${QUERY}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    const feed = JSON.parse(body) as Record<string, unknown> & { items: Array<Record<string, unknown>> };
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.title).toBe('Shiftwire — deepseek + efficiency');
    expect(feed.home_page_url).toBe(`${PUBLIC_URL}/api/v1/stories?company=deepseek&theme=efficiency`);
    expect(feed.feed_url).toBe(`${PUBLIC_URL}/api/v1/stories.json?company=deepseek&theme=efficiency`);
    expect(feed.authors).toEqual([{ name: 'Shiftwire' }]);
    expect(feed).not.toHaveProperty('author'); // deprecated in 1.1
    expect(feed.items.map((i) => i.id)).toEqual(expectedOrder().map(entryId));
    expect(feed.items.map((i) => i.url)).toEqual(expectedOrder().map(linkOf));
    expect(feed.items.map((i) => i.date_published)).toEqual(expectedOrder().map((k) => stories[k]!.publishedAt));
    for (const item of feed.items) {
      expect(typeof item.id).toBe('string');
      expect(typeof item.content_html === 'string' || typeof item.content_text === 'string').toBe(true);
      expect(Date.parse(item.date_published as string)).not.toBeNaN();
      expect(item.authors).toEqual([{ name: expect.any(String) }]);
      expect(item).not.toHaveProperty('author');
    }
    const r1 = feed.items[3]!;
    expect(r1).toMatchObject({ title: stories.r1!.title, summary: `Summary of ${stories.r1!.title}`, image: 'https://img.example/r1.png', tags: ['deepseek', 'efficiency'] });
    expect(r1._shiftwire).toEqual({ id: ids.r1, source: 'wire', companies: ['deepseek'], themes: ['efficiency'] });
    expect(feed.items[0]!.title).toBe(HOSTILE_TITLE); // JSON carries any text as it is
  });
});

describe('hostile story text', () => {
  it.each(['atom', 'rss'])('%s stays well-formed, and the text reads back the same', async (format) => {
    const { body } = await get(`/api/v1/stories.${format}?company=deepseek`);
    expect(wellFormedness(body)).toBeNull();
    const feed = await parser.parseString(body);
    const item = feed.items.find((i) => (i.id ?? i.guid) === entryId('hostile'))!;
    // Control characters and non-characters cannot be in XML; everything else survives, HTML-escaped.
    expect(decodeHtml(item.title!)).toBe('Q&A: <script>alert(1)</script> ]]> and ]]> again  end');
    const content = format === 'atom' ? item.content! : item['content:encoded']!;
    expect(content).toBe('<p>A &amp; B ]]&gt; c ]]&gt;</p><p>x</p>');
  });

  it('an empty answer is a valid, stable feed', async () => {
    for (const format of ['atom', 'rss', 'json']) {
      const a = await get(`/api/v1/stories.${format}?company=apple`);
      const b = await get(`/api/v1/stories.${format}?company=apple`);
      expect(a.res.status).toBe(200);
      expect(a.res.headers.get('etag')).toBe(b.res.headers.get('etag'));
      if (format === 'json') expect((JSON.parse(a.body) as { items: unknown[] }).items).toEqual([]);
      else expect(wellFormedness(a.body)).toBeNull();
    }
  });
});

describe('feeds out share the list API', () => {
  it('answers the same stories as the JSON list for the same filters, limit and cursor', async () => {
    const list = (await (await api.fetch('/api/v1/stories?company=deepseek&limit=2')).json()) as { stories: Array<{ id: string }>; nextCursor: string };
    const feed = await parser.parseString((await get('/api/v1/stories.atom?company=deepseek&limit=2')).body);
    expect(feed.items.map((i) => i.id)).toEqual(list.stories.map((s) => `tag:shiftwire,2025:story/${s.id}`));
    const next = await parser.parseString((await get(`/api/v1/stories.atom?company=deepseek&limit=2&cursor=${list.nextCursor}`)).body);
    expect(next.items).toHaveLength(2);
    expect(next.title).toBe('Shiftwire — deepseek');
  });

  it('caches for five minutes, with an ETag and 304', async () => {
    for (const format of ['atom', 'rss', 'json']) {
      const { res } = await get(`/api/v1/stories.${format}?${QUERY}`);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const again = await api.fetch(`/api/v1/stories.${format}?${QUERY}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
    }
  });

  it('refuses bad filters with a problem document', async () => {
    const { res, body } = await get('/api/v1/stories.rss?company=opneai');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(body)).toMatchObject({ status: 400, detail: 'company: unknown company id "opneai"' });
  });
});
