/**
 * Feed text → ParsedFeed. JSON documents go to the JSON Feed reader; everything else is XML: a
 * linear pre-pass (`prepareXml`, xml-prepass.ts) makes it safe and well-formed enough, then rss-parser's
 * `parseString` (xml2js + sax, strict) builds the tree and `normalize.ts` turns items into
 * NormalizedItem. Pure: plain data in and out, so it can run in a worker thread.
 */
import Parser from 'rss-parser';
import { AppError, isAppError } from '../shared/errors.js';
import { normalizeJsonFeed, normalizeXmlFeed } from './normalize.js';
import type { RawXmlFeed } from './normalize.js';
import { prepareXml, type PreparedXml } from './xml-prepass.js';

export type FeedFormat = 'rss' | 'atom' | 'rdf' | 'jsonfeed';

export interface NormalizedItem {
  guid: string | null;
  url: string | null;
  canonicalUrl: string | null;
  title: string;
  summary: string;
  contentHtml: string | null;
  contentText: string | null;
  imageUrl: string | null;
  author: string | null;
  publishedAt: string;
  dateEstimated: boolean;
  categories: string[];
}

export interface ParsedFeed {
  format: FeedFormat;
  title: string | null;
  siteUrl: string | null;
  ttlMinutes: number | null;
  items: NormalizedItem[];
}

export interface ParseOptions {
  /** The URL the document was fetched from: the last resort for resolving relative links. */
  url: string;
  now: Date;
}

export const MAX_DOCUMENT_CHARS = 10 * 1024 * 1024;
export const MAX_ITEMS = 5000;

/** Feed-level and item-level elements copied raw (arrays of xml2js nodes) under `raw:<name>`. */
const FEED_ELEMENTS = [
  '$', 'title', 'link', 'sw:link', 'description', 'subtitle', 'tagline', 'ttl', 'sy:updatePeriod',
  'sy:updateFrequency', 'author',
];
const ITEM_ELEMENTS = [
  '$', 'title', 'link', 'sw:link', 'description', 'content:encoded', 'content', 'summary', 'body',
  'xhtml:body', 'guid', 'id', 'author', 'dc:creator', 'itunes:author', 'category', 'dc:subject',
  'pubDate', 'dc:date', 'sw:published', 'sw:updated', 'issued', 'created', 'modified',
  'dcterms:issued', 'dcterms:created', 'dcterms:modified', 'enclosure', 'media:content',
  'media:thumbnail', 'media:group', 'media:description', 'itunes:image', 'itunes:summary',
  'itunes:subtitle',
];

function rawFields(names: string[]): [string, string, { keepArray: boolean }][] {
  return names.map((name) => [name, `raw:${name}`, { keepArray: true }]);
}

function createParser(): Parser<RawXmlFeed, Record<string, unknown>> {
  return new Parser<RawXmlFeed, Record<string, unknown>>({
    defaultRSS: 2,
    customFields: {
      feed: rawFields(FEED_ELEMENTS) as never,
      item: rawFields(ITEM_ELEMENTS) as never,
    },
  });
}

/** sax's messages ("Unexpected close tag\nLine: 3\nColumn: 9\nChar: >") in one plain sentence. */
function plainParserReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const [first = 'unknown error', ...rest] = message.split('\n');
  const where = rest.find((line) => line.startsWith('Line:'));
  const line = where ? ` near line ${Number(where.replace('Line:', '').trim()) + 1}` : '';
  if (/Cannot read prop|undefined/.test(first)) return 'the document lacks the elements every feed of its kind has';
  return `${first.replace(/\.$/, '').toLowerCase()}${line}`;
}

async function parseXmlDocument(text: string, opts: ParseOptions): Promise<ParsedFeed> {
  const prepared = prepareXml(text);
  let raw: RawXmlFeed;
  try {
    raw = await createParser().parseString(prepared.xml);
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError('FEED_PARSE_FAILED', `the feed is not well-formed XML: ${plainParserReason(err)}`, { cause: err });
  }
  return normalizeXmlFeed({ ...raw, items: raw.items.slice(0, MAX_ITEMS) }, prepared, opts);
}

/** Decoded feed text → format, feed metadata and normalized items. Throws AppError on bad input. */
export async function parseFeedDocument(text: string, opts: ParseOptions): Promise<ParsedFeed> {
  if (text.length > MAX_DOCUMENT_CHARS) {
    throw new AppError('FEED_TOO_LARGE', 'the document is larger than 10 MB of text, more than any feed needs');
  }
  const trimmed = text.replace(/^[\uFEFF\s]+/, '');
  if (trimmed === '') throw new AppError('FEED_PARSE_FAILED', 'the document is empty');
  const head = trimmed.slice(0, 1024);
  if ((head.match(/[\u0000-\u0008\u000E-\u001F]/g)?.length ?? 0) > head.length * 0.05) {
    throw new AppError('FEED_PARSE_FAILED', 'the document is binary data, not a feed (it may be compressed or an image)');
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    // Loaded with the first JSON Feed: its validator (zod) would add ~0.1 s to every worker's start.
    const { parseJsonFeed } = await import('./jsonfeed.js');
    const doc = parseJsonFeed(trimmed);
    return normalizeJsonFeed({ ...doc, items: doc.items.slice(0, MAX_ITEMS) }, opts);
  }
  return parseXmlDocument(trimmed, opts);
}

export { MAX_XML_DEPTH, type PreparedXml } from './xml-prepass.js';
