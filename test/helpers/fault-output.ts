/**
 * The output-safety checks of issue 7, part 5, shared by the fast test (attack material) and the
 * reliability test (the whole shared fixture corpus as well): ingest feeds carrying script-injection
 * material through the real pipeline, then read every story back through every output the API has.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as cheerio from 'cheerio';
import fc from 'fast-check';
import { expect } from 'vitest';
import { startFeedServer, type FeedServer } from './feed-server.js';
import { atomWithPayloads, htmlAttack, jsonFeedWithPayloads, rssWithPayloads, XSS_VECTORS } from './fault-xss.js';
import { repoRoot } from './harness.js';
import { findExecutableHtml, isSafeLink } from './html-safety.js';
import { startApi, type RunningApi } from './start-api.js';

export const sharedFixturesDir = path.resolve(repoRoot, '../shared/fixtures/feeds');
const localDir = path.join(repoRoot, 'test/fixtures/feeds');
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
const typeOf = (file: string) => (file.endsWith('.json') ? 'application/feed+json' : 'application/xml');

export interface SafetyCorpus {
  feeds: Array<{ id: string; url: string }>;
  /** Feed ids carrying the injection material. */
  attackFeeds: string[];
  fuzzSamples: number;
  sharedDocuments: number;
}

/**
 * Routes on `server`: test/fixtures/feeds, optionally ../shared/fixtures/feeds, and the vectors plus
 * `fuzzSamples` generated attacks (fixed seed) split in batches of 100, each as RSS, Atom and JSON Feed.
 */
export function routeSafetyCorpus(server: FeedServer, options: { shared: boolean; fuzzSamples: number; seed: number }): SafetyCorpus {
  const feeds: SafetyCorpus['feeds'] = [];
  const attackFeeds: string[] = [];
  const add = (id: string, file: string, body: string | Buffer, type: string, gzip = false) => {
    server.route(`/${file}`, { body, headers: { 'content-type': type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) } });
    feeds.push({ id, url: server.url(`/${file}`) });
  };
  const rows: Array<{ file: string; traits: string[] }> =
    options.shared && existsSync(sharedFixturesDir) ? JSON.parse(readFileSync(path.join(sharedFixturesDir, 'MANIFEST.json'), 'utf8')) : [];
  for (const row of rows) add(`fx-${slug(row.file)}`, `shared/${row.file}`, readFileSync(path.join(sharedFixturesDir, row.file)), typeOf(row.file), row.traits.includes('gzip'));
  for (const file of readdirSync(localDir)) add(`local-${slug(file)}`, `local/${file}`, readFileSync(path.join(localDir, file)), typeOf(file));

  const fuzz = fc.sample(htmlAttack(), { seed: options.seed, numRuns: options.fuzzSamples });
  const sets: Array<[string, string[]]> = [['vectors', XSS_VECTORS]];
  for (let i = 0; i < fuzz.length; i += 100) sets.push([`fuzz-${i / 100}`, fuzz.slice(i, i + 100)]);
  for (const [name, payloads] of sets) {
    for (const [format, render, type] of [['rss', rssWithPayloads, 'application/rss+xml'], ['atom', atomWithPayloads, 'application/atom+xml'], ['json', jsonFeedWithPayloads, 'application/feed+json']] as const) {
      const id = `xss-${name}-${format}`;
      attackFeeds.push(id);
      add(id, `xss/${id}`, render(payloads, `${name}-${format}`), type);
    }
  }
  return { feeds, attackFeeds, fuzzSamples: fuzz.length, sharedDocuments: rows.length };
}

export interface SafetyWorld {
  api: RunningApi;
  server: FeedServer;
  corpus: SafetyCorpus;
  close(): Promise<void>;
}

/** The real API over a fresh database into which the real pipeline ingested the safety corpus. */
export async function startSafetyWorld(options: Parameters<typeof routeSafetyCorpus>[1]): Promise<SafetyWorld> {
  const api = await startApi();
  const server = await startFeedServer();
  const close = async () => {
    await api.close();
    await server.close();
  };
  try {
    const corpus = routeSafetyCorpus(server, options);
    api.harness.addFeeds(corpus.feeds);
    await api.harness.ingester.run();
    return { api, server, corpus, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** What was found unsafe, where; the tests expect this to stay empty. */
export function inspectHtml(where: string, html: string | null | undefined, found: string[]): void {
  if (!html) return;
  for (const f of findExecutableHtml(html)) found.push(`${where}: ${f}`);
}
export function inspectLink(where: string, url: string | null | undefined, found: string[]): void {
  if (url && !isSafeLink(url)) found.push(`${where}: unsafe link ${url.slice(0, 80)}`);
}

/** Every stored story's HTML and links, the feeds' links and the sources' links. */
export function inspectStored(api: RunningApi): { found: string[]; stories: number } {
  const found: string[] = [];
  const rows = api.db.prepare('SELECT id, content_html, url, canonical_url, image_url FROM stories').all() as Array<Record<string, string | null>>;
  for (const r of rows) {
    inspectHtml(`story ${r.id} content_html`, r.content_html, found);
    for (const field of ['url', 'canonical_url', 'image_url']) inspectLink(`story ${r.id} ${field}`, r[field], found);
  }
  for (const f of api.db.prepare('SELECT id, site_url FROM feeds').all() as Array<{ id: string; site_url: string | null }>) inspectLink(`feed ${f.id} site_url`, f.site_url, found);
  for (const url of api.db.prepare('SELECT url FROM story_sources WHERE url IS NOT NULL').pluck().all() as string[]) inspectLink('story_sources url', url, found);
  return { found, stories: rows.length };
}

/** Walks every page of the JSON list (with content) and the same pages as Atom, RSS and JSON Feed. */
export async function inspectServed(api: RunningApi): Promise<{ found: string[]; served: number; pages: number }> {
  const found: string[] = [];
  let cursor: string | null = null;
  let served = 0;
  let pages = 0;
  do {
    const query: string = `?limit=200&include=content${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api.fetch(`/api/v1/stories${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const page = (await res.json()) as { stories: Array<Record<string, any>>; nextCursor: string | null };
    for (const s of page.stories) {
      inspectHtml(`api story ${s.id} contentHtml`, s.contentHtml, found);
      inspectLink(`api story ${s.id} url`, s.url, found);
      inspectLink(`api story ${s.id} imageUrl`, s.imageUrl, found);
      for (const src of (s.sources ?? []) as Array<{ url?: string | null }>) inspectLink(`api story ${s.id} sources.url`, src.url, found);
    }
    served += page.stories.length;
    await inspectFeedOutputs(api, query, found);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null && pages < 200);
  return { found, served, pages };
}

/** Parses the three feed outputs of one query (with an independent parser) and checks the HTML inside. */
async function inspectFeedOutputs(api: RunningApi, query: string, found: string[]): Promise<void> {
  for (const format of ['atom', 'rss'] as const) {
    const res = await api.fetch(`/api/v1/stories.${format}${query}`);
    expect(res.status, format).toBe(200);
    const $ = cheerio.load(await res.text(), { xml: true });
    // No element or attribute of the feed document itself may be executable (e.g. an unescaped <script>).
    $('script, iframe, object, embed').each((_, el) => void found.push(`${format}: <${(el as { tagName: string }).tagName}> in the document`));
    $('*').each((_, el) => {
      for (const name of Object.keys((el as { attribs?: Record<string, string> }).attribs ?? {})) if (/^on/i.test(name)) found.push(`${format}: ${name}= in the document`);
    });
    const entries = format === 'atom' ? $('entry') : $('item');
    expect(entries.length, `${format}${query}`).toBeGreaterThan(0);
    entries.each((i, el) => {
      const entry = $(el);
      const where = `${format} entry ${i}${query.includes('cursor') ? ' (paged)' : ''}`;
      // Text nodes are entity-decoded by the parser: what a reader would render as HTML.
      for (const sel of format === 'atom' ? ['content', 'summary', 'title'] : ['description', 'content\\:encoded', 'title']) inspectHtml(`${where} <${sel}>`, entry.find(sel).first().text(), found);
      if (format === 'atom') entry.find('link').each((_, l) => inspectLink(`${where} link`, $(l).attr('href'), found));
      else inspectLink(`${where} link`, entry.find('link').first().text(), found);
      entry.find('enclosure').each((_, e) => inspectLink(`${where} enclosure`, $(e).attr('url'), found));
    });
  }
  const res = await api.fetch(`/api/v1/stories.json${query}`);
  expect(res.status).toBe(200);
  const feed = (await res.json()) as { items: Array<Record<string, string | undefined>> };
  for (const item of feed.items) {
    inspectHtml(`json feed ${item.id} content_html`, item.content_html, found);
    for (const field of ['url', 'external_url', 'image', 'banner_image']) inspectLink(`json feed ${item.id} ${field}`, item[field], found);
  }
}
