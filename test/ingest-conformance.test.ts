/**
 * Runs the shared feed corpus (/work/shared/fixtures/feeds, 165 documents with what feedparser made of
 * them) through processFeedBody and compares. Differences from feedparser are deliberate and listed
 * below with their reasons; anything else that differs fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/shared/errors.js';
import { htmlToText } from '../src/ingest/sanitize.js';
import type { ParsedFeed } from '../src/ingest/parse.js';
import { processFeedBody } from '../src/ingest/process.js';

const dir = path.resolve(import.meta.dirname, '../../shared/fixtures/feeds');
const NOW = '2026-03-01T00:00:00.000Z';

interface ManifestRow {
  file: string;
  kind: 'rss2' | 'atom' | 'rdf' | 'jsonfeed' | 'invalid' | 'hostile';
  traits: string[];
  expect: { entries: number; title: string | null; first_entry_title: string | null; first_entry_link: string | null };
}

const rows: ManifestRow[] = existsSync(dir) ? (JSON.parse(readFileSync(path.join(dir, 'MANIFEST.json'), 'utf8')) as ManifestRow[]) : [];
const FEED_KINDS = new Set(['rss2', 'atom', 'rdf', 'jsonfeed']);

/** Item counts that differ from feedparser on purpose. */
const COUNT_DIFFERENCES: Record<string, { ours: number; reason: string }> = {
  'node-feedparser/illegally-nested.xml': { ours: 10, reason: 'every <item> contains an empty nested <item/>; feedparser counts those 10 as entries, we drop items with no title, link, guid or body' },
  'rss-parser/incomplete-fields.atom': { ours: 0, reason: 'its only entry holds nothing but an empty <author>, so it is dropped by the same rule' },
};

/** First-item titles that differ on purpose: feedparser leaves them empty, we never store an empty title. */
const TITLE_DIFFERENCES: Record<string, { ours: string; reason: string }> = {
  'feedparser/encoding-demoronize-1.xml': { ours: 'don’t', reason: 'untitled item: title taken from its description' },
  'node-feedparser/relative-channel-image-url.xml': { ours: 'The VirtualBox version is actually the 4.2 beta but it couldn\'t be selected.', reason: 'empty <title>: title taken from the description' },
  'rsparser/manton.rss': { ours: 'This week’s Core Intuition is out with a discussion about new and old iPhones, the latest rumors…', reason: 'untitled micro-post: first ~100 characters of the summary' },
  'rsparser/scriptingNews.rss': { ours: 'Good morning students and teachers! 🍏', reason: 'untitled item: title taken from the description' },
  'rsparser/authors.json': { ours: 'Untitled', reason: 'item has only an id and an empty body' },
  'rsparser/jsonfeed-extension.json': { ours: 'Second item.', reason: 'untitled item: title taken from content_html' },
  'rss-parser/missing-fields.atom': { ours: 'Untitled', reason: 'entry has only an id' },
};

/** First-item links that differ on purpose. */
const LINK_DIFFERENCES: Record<string, { ours: string | null; reason: string }> = {
  'node-feedparser/atom-with-tag-uri-links.xml': { ours: null, reason: 'the only link is a tag: URI; we keep absolute http(s) links only' },
  'node-feedparser/complexNamespaceFeed.xml': { ours: null, reason: 'feedparser falls back to the urn:uuid id; the entry has only a rel="self" link, which is not a permalink' },
  'rss-parser/missing-fields.atom': { ours: null, reason: 'feedparser reports the tag: id as the link; we keep absolute http(s) links only' },
};

/** What we do with each `invalid` document: a clean error, or a safe result (and why). */
const INVALID_OUTCOMES: Record<string, { error: RegExp } | { items: number; reason: string }> = {
  'feedjira/DuplicateContentAtomFeed.xml': { error: /HTML page, not a feed/ },
  'feedjira/InvalidDateFormat.xml': { error: /looks truncated/ },
  'feedparser/encoding-bozo_invalid-bytes-with-bom.xml': { error: /looks truncated/ },
  'feedparser/encoding-bozo_linenoise.xml': { items: 1, reason: 'declared UTF-8, mostly valid: the undecodable bytes become U+FFFD' },
  'feedparser/entities-nbsp.xml': { items: 0, reason: '&nbsp; in XML is read as the HTML entity, as feedparser does' },
  'feedparser/illformed-aaa_illformed.xml': { error: /looks truncated/ },
  'feedparser/illformed-chardet-big5.xml': { items: 0, reason: 'undeclared Big5 falls back to windows-1252 (the same mojibake title feedparser gives without chardet)' },
  'feedparser/illformed-rss_empty_document.xml': { error: /no XML elements/ },
  'feedparser/illformed-rss_incomplete_cdata.xml': { error: /ends inside a CDATA section/ },
  'feedparser/illformed-rss_item_link_corrupted_ampersands.xml': { error: /looks truncated/ },
  'feedparser/illformed-undeclared_namespace.xml': { items: 0, reason: 'namespaces are not processed, so an unbound prefix is harmless' },
  'feedvalidator/rss-must-invalid_xml.xml': { items: 0, reason: 'the unclosed <channel> is closed by </rss>; nothing else is wrong' },
  'feedvalidator/rss-should-xml_bad_encoding_declaration.xml': { items: 1, reason: 'ISO-8859-1 is decoded as windows-1252, so the smart quotes come out right' },
  'gofeed/empty_feed.xml': { error: /the document is empty/ },
  'gofeed/unknown_feed.xml': { error: /not a feed \(its root element is <note>\)/ },
  'miniflux/invalid-prolog.xml': { items: 1, reason: 'a nonsense encoding name falls back to UTF-8, which the bytes are' },
  'miniflux/iso88591_utf8_mismatch.xml': { error: /not a feed \(its root element is <note>\)/ },
  'miniflux/no_encoding_ISO-8859-1.xml': { items: 9, reason: 'Latin-1 bytes without declaration fall back to windows-1252; the tenth item is completely empty and dropped' },
  'miniflux/utf8-incorrect-prolog.xml': { items: 1, reason: 'declared ISO-8859-1 but valid multi-byte UTF-8: read as UTF-8 (correct Korean, as feedparser repairs it)' },
  'node-feedparser/compressed.xml': { items: 10, reason: 'gunzipped first, as a Content-Encoding: gzip response would be; feedparser saw the raw gzip bytes' },
  'node-feedparser/saxerror.xml': { items: 3, reason: 'the bare & in a link is read as &amp;, as feedparser does' },
  'rsparser/DaringFireball.html': { error: /HTML page, not a feed/ },
  'rsparser/ScriptingNews.json': { error: /not a JSON Feed/ },
  'rsparser/allthis-partial.json': { error: /not valid JSON/ },
  'rss-parser/unrecognized.rss': { error: /HTML page, not a feed/ },
  'rss-parser/uolNoticias.rss': { items: 15, reason: 'undeclared Latin-1 read as windows-1252; Portuguese dates parsed (feedparser left them undated)' },
  'simplepie/feed-utf16le.xml': { items: 1, reason: 'UTF-16LE without BOM is recognised by its NUL bytes (feedparser returned nothing)' },
  'simplepie/feed-with-whitespace-before-xml-declaration.xml': { items: 0, reason: 'whitespace before <?xml is stripped' },
};

/** Whitespace/entity/markup-insensitive comparison, as the manifest README suggests. */
function normalizeText(value: string | null | undefined): string {
  return value == null ? '' : htmlToText(value, 100_000);
}

/** feedparser had no document URL, so relative links stay relative there; ours are absolute. */
function sameLink(ours: string | null, expected: string | null): boolean {
  if (ours === expected) return true;
  if (ours === null || expected === null) return false;
  if (/^https?:/i.test(expected)) return decodeURI(new URL(expected).href) === decodeURI(ours);
  const url = new URL(ours);
  return `${url.pathname}${url.search}${url.hash}` === expected;
}

async function run(row: ManifestRow): Promise<{ feed: ParsedFeed | null; error: unknown; cpuMs: number }> {
  let body = readFileSync(path.join(dir, row.file));
  if (row.file === 'node-feedparser/compressed.xml') body = gunzipSync(body); // as if Content-Encoding: gzip
  const before = process.cpuUsage();
  let feed: ParsedFeed | null = null;
  let error: unknown = null;
  try {
    feed = await processFeedBody(body, null, { url: `https://fixtures.example/${row.file}`, now: NOW });
  } catch (err) {
    error = err;
  }
  const used = process.cpuUsage(before);
  return { feed, error, cpuMs: (used.user + used.system) / 1000 };
}

function storedStrings(feed: ParsedFeed): string[] {
  return [feed.title, feed.siteUrl, ...feed.items.flatMap((i) => [
    i.guid, i.url, i.canonicalUrl, i.title, i.summary, i.contentHtml, i.contentText, i.imageUrl, i.author, i.publishedAt, ...i.categories,
  ])].filter((s): s is string => typeof s === 'string');
}

/**
 * Hostile and invalid rows: the brief's patterns must not appear in any stored field. Other rows: the
 * same checks on the HTML we store, scoped to markup (their prose may say "JavaScript:" or "<meta>").
 */
function expectSafe(feed: ParsedFeed, everyField: boolean): void {
  for (const item of feed.items) {
    for (const url of [item.url, item.canonicalUrl, item.imageUrl]) if (url !== null) expect(url).toMatch(/^https?:\/\//);
  }
  if (feed.siteUrl !== null) expect(feed.siteUrl).toMatch(/^https?:\/\//);
  const checks = everyField
    ? [/<script/i, /\son\w+\s*=/i, /<iframe/i, /<meta/i, /javascript:/i]
    : [/<script/i, /<[^>]*\son\w+\s*=/i, /<iframe/i, /<meta/i, /=\s*["']?\s*javascript:/i];
  const fields = everyField ? storedStrings(feed) : feed.items.map((i) => i.contentHtml ?? '');
  for (const field of fields) {
    for (const check of checks) expect(field).not.toMatch(check);
  }
}

describe.runIf(existsSync(dir))('feed corpus conformance (/work/shared/fixtures/feeds)', () => {
  const feedRows = rows.filter((r) => FEED_KINDS.has(r.kind));
  const invalidRows = rows.filter((r) => r.kind === 'invalid');
  const hostileRows = rows.filter((r) => r.kind === 'hostile');

  it('has the documented corpus', () => {
    expect(rows).toHaveLength(165);
    expect(Object.keys(INVALID_OUTCOMES).sort()).toEqual(invalidRows.map((r) => r.file).sort());
  });

  it.each(feedRows.map((r) => [r.file, r] as const))('%s: items, first title and link match feedparser', async (_file, row) => {
    const { feed, error, cpuMs } = await run(row);
    expect(error).toBeNull();
    if (!feed) return;
    expect(cpuMs).toBeLessThan(2000);
    expectSafe(feed, false);
    expect(feed.items.length).toBe(COUNT_DIFFERENCES[row.file]?.ours ?? row.expect.entries);
    const first = feed.items[0];
    if (row.expect.entries === 0 || !first) return;
    const title = TITLE_DIFFERENCES[row.file];
    if (title) expect(first.title).toBe(title.ours);
    else expect(normalizeText(first.title)).toBe(normalizeText(row.expect.first_entry_title));
    const link = LINK_DIFFERENCES[row.file];
    if (link) expect(first.url).toBe(link.ours);
    else expect(sameLink(first.url, row.expect.first_entry_link), `${first.url} vs ${row.expect.first_entry_link}`).toBe(true);
  });

  it.each(invalidRows.map((r) => [r.file, r] as const))('%s: clean error or safe result', async (_file, row) => {
    const outcome = INVALID_OUTCOMES[row.file];
    const { feed, error, cpuMs } = await run(row);
    expect(cpuMs).toBeLessThan(2000);
    if (outcome && 'error' in outcome) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toMatch(/^FEED_(PARSE_FAILED|UNSAFE)$/);
      expect((error as AppError).message).toMatch(outcome.error);
    } else {
      expect(error).toBeNull();
      expect(feed?.items.length).toBe(outcome?.items);
      if (feed) expectSafe(feed, true);
    }
  });

  it.each(hostileRows.map((r) => [r.file, r] as const))('%s: defused', async (_file, row) => {
    const { feed, error, cpuMs } = await run(row);
    expect(cpuMs).toBeLessThan(2000);
    if (row.traits.includes('entity_declaration')) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('FEED_UNSAFE');
      expect(cpuMs).toBeLessThan(200);
      return;
    }
    expect(error).toBeNull();
    if (feed) expectSafe(feed, true);
  });

  it('feedparser and we agree on the feed title for well-formed documents', async () => {
    const mismatches: string[] = [];
    for (const row of feedRows) {
      const { feed } = await run(row);
      if (normalizeText(feed?.title) !== normalizeText(row.expect.title)) mismatches.push(`${row.file}: ${feed?.title} vs ${row.expect.title}`);
    }
    expect(mismatches).toEqual([]);
  });
});
