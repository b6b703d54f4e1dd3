/**
 * Raw parsed items (rss-parser output with the raw element copies parse.ts asks for, or JSON Feed
 * items) → NormalizedItem: plain-text title and summary, sanitized body, absolute http(s) links
 * resolved against xml:base → the feed's link → the feed URL, UTC dates, author, categories.
 */
import type { JsonFeedDocument, JsonFeedItem } from './jsonfeed.js'; // types only: zod loads with the first JSON Feed
import type { NormalizedItem, ParsedFeed, ParseOptions, PreparedXml } from './parse.js';
import { parseFeedDate } from './dates.js';
import { collapseWhitespace, firstImageInSanitized, htmlToText, sanitizeHtml, textOfSanitized, truncateText } from './sanitize.js';
import { MAX_CONTENT_TEXT_CHARS } from './text.js';
import { canonicalUrl, resolveHttpUrl } from './url.js';

export { MAX_CONTENT_TEXT_CHARS };

/** What rss-parser returns with parse.ts's custom fields: `raw:<element>` holds xml2js nodes. */
export type RawXmlFeed = Record<string, unknown> & { items: Record<string, unknown>[] };

type XmlNode = string | { [key: string]: unknown };
interface TextValue { kind: 'text' | 'html'; value: string; base: string | null }

interface ItemFields {
  title: TextValue | null;
  url: string | null;
  guid: string | null;
  content: TextValue | null;
  summary: TextValue | null;
  mediaImage: string | null;
  author: string | null;
  categories: string[];
  dates: (string | undefined)[];
}

interface FeedContext { format: ParsedFeed['format']; base: string | null; feedAuthors: string[] }

export const MAX_TITLE_CHARS = 500;
export const MAX_SUMMARY_CHARS = 1000;
export const MAX_CONTENT_HTML_BYTES = 500 * 1024;
const MAX_CATEGORIES = 20;

/* ---- xml2js node access ------------------------------------------------------------------- */

function asNodes(value: unknown): XmlNode[] {
  if (!Array.isArray(value)) return [];
  return value.filter((n): n is XmlNode => typeof n === 'string' || (typeof n === 'object' && n !== null));
}

function nodesOf(source: Record<string, unknown>, name: string): XmlNode[] {
  return asNodes(source[`raw:${name}`]);
}

function childNodes(node: XmlNode | undefined, name: string): XmlNode[] {
  return !node || typeof node === 'string' ? [] : asNodes(node[name]);
}

function textOf(node: XmlNode | undefined): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node;
  return typeof node._ === 'string' ? node._ : '';
}

function attrOf(node: XmlNode | undefined, name: string): string | undefined {
  if (!node || typeof node === 'string') return undefined;
  const attrs = node.$;
  if (typeof attrs !== 'object' || attrs === null) return undefined;
  const value = (attrs as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function attrsOf(source: Record<string, unknown>): Record<string, string> {
  const value = source['raw:$'];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, string>) : {};
}

/** The first of `names` that has non-blank text. */
function firstFilled(source: Record<string, unknown>, names: string[]): XmlNode | undefined {
  for (const name of names) {
    const node = nodesOf(source, name).find((n) => textOf(n).trim() !== '');
    if (node !== undefined) return node;
  }
  return undefined;
}

/* ---- text values ---------------------------------------------------------------------------- */

function resolveBase(xmlBase: string | undefined, parent: string | null): string | null {
  if (!xmlBase) return parent;
  return resolveHttpUrl(xmlBase, parent) ?? parent; // an unsafe base (javascript:) is ignored
}

const LOOKS_LIKE_HTML = /<[A-Za-z/!]|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;

/** An RSS title: plain text by the spec, but often escaped HTML in practice. */
function looseText(node: XmlNode | undefined, base: string | null): TextValue | null {
  const value = textOf(node);
  if (value.trim() === '') return null;
  return { kind: LOOKS_LIKE_HTML.test(value) ? 'html' : 'text', value, base };
}

function htmlText(node: XmlNode | undefined, base: string | null): TextValue | null {
  const value = textOf(node);
  return value.trim() === '' ? null : { kind: 'html', value, base };
}

/** Atom (1.0 and 0.3) text constructs: type text/html/xhtml, 0.3 modes escaped/xml/base64. */
function atomText(node: XmlNode | undefined, parentBase: string | null): TextValue | null {
  if (node === undefined) return null;
  const base = resolveBase(attrOf(node, 'xml:base'), parentBase);
  let value = textOf(node);
  const type = (attrOf(node, 'type') ?? '').toLowerCase();
  const mode = (attrOf(node, 'mode') ?? '').toLowerCase();
  const isBase64 = mode === 'base64' || (type.includes('/') && !type.startsWith('text/') && !/[+/]xml$/.test(type));
  if (isBase64) {
    if (!/html|text|xml/.test(type)) return null; // an image or other binary payload
    value = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (value.trim() === '') return null;
  const isHtml = attrOf(node, 'sw:inline') === '1' || /html/.test(type) || mode === 'xml';
  return { kind: isHtml ? 'html' : 'text', value, base };
}

function plainText(tv: TextValue | null, maxChars: number): string {
  if (!tv) return '';
  return tv.kind === 'html' ? htmlToText(tv.value, maxChars) : truncateText(collapseWhitespace(tv.value), maxChars);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function asHtml(tv: TextValue): string {
  if (tv.kind === 'html') return tv.value;
  return tv.value.trim().split(/\n\s*\n/).map((p) => `<p>${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`).join('');
}

/** Cuts sanitized HTML to the byte budget at a tag boundary and lets the sanitizer re-balance it. */
function capHtml(html: string, base: string | null): string {
  if (Buffer.byteLength(html) <= MAX_CONTENT_HTML_BYTES) return html;
  let cut = Buffer.from(html).subarray(0, MAX_CONTENT_HTML_BYTES - 1024).toString('utf8');
  cut = cut.slice(0, Math.max(cut.lastIndexOf('<'), 0));
  return sanitizeHtml(cut, base);
}

/* ---- item assembly -------------------------------------------------------------------------- */

function cleanPerson(raw: string | undefined): string | null {
  if (!raw) return null;
  let text = LOOKS_LIKE_HTML.test(raw) ? htmlToText(raw, 400) : collapseWhitespace(raw);
  const named = /^\S+@\S+\s*\((.+)\)$/.exec(text);
  if (named?.[1]) text = named[1].trim();
  return text === '' ? null : truncateText(text, 200);
}

function cleanCategories(raw: (string | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const value of raw) {
    if (!value) continue;
    const text = truncateText(LOOKS_LIKE_HTML.test(value) ? htmlToText(value, 200) : collapseWhitespace(value), 100);
    const key = text.toLowerCase();
    if (text === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(text);
    if (out.length >= MAX_CATEGORIES) break;
  }
  return out;
}

function firstDate(raw: (string | undefined)[], now: Date): Date | null {
  for (const value of raw) {
    const date = parseFeedDate(value, now);
    if (date) return date;
  }
  return null;
}

/** Shared last step for every format; null when the item has nothing worth keeping. */
function buildItem(f: ItemFields, now: Date): NormalizedItem | null {
  if (!f.title && !f.url && !f.guid && !f.content && !f.summary) return null;
  const body = f.content ?? f.summary;
  const sanitized = body ? capHtml(sanitizeHtml(asHtml(body), body.base), body.base) : '';
  const summary = plainText(f.summary ?? f.content, MAX_SUMMARY_CHARS);
  const summaryImage = () => (f.summary && f.summary !== body && f.summary.kind === 'html'
    ? firstImageInSanitized(sanitizeHtml(f.summary.value, f.summary.base)) : null);
  const title = plainText(f.title, MAX_TITLE_CHARS) || truncateText(summary, 100) || f.url || 'Untitled';
  const date = firstDate(f.dates, now);
  return {
    guid: f.guid,
    url: f.url,
    canonicalUrl: f.url ? canonicalUrl(f.url) : null,
    title,
    summary,
    contentHtml: sanitized === '' ? null : sanitized,
    contentText: sanitized === '' ? null : textOfSanitized(sanitized, MAX_CONTENT_TEXT_CHARS) || null,
    imageUrl: f.mediaImage ?? firstImageInSanitized(sanitized) ?? summaryImage(),
    author: f.author,
    publishedAt: (date ?? now).toISOString(),
    dateEstimated: date === null,
    categories: f.categories,
  };
}

/* ---- RSS / RDF / Atom ----------------------------------------------------------------------- */

const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)/i;

function isImageMedia(node: XmlNode): boolean {
  const medium = attrOf(node, 'medium');
  const type = attrOf(node, 'type') ?? '';
  if (medium) return medium === 'image';
  return type.startsWith('image/') || (!type && IMAGE_EXT.test(attrOf(node, 'url') ?? ''));
}

function isImageEnclosure(node: XmlNode): boolean {
  return (attrOf(node, 'type') ?? '').startsWith('image/') || IMAGE_EXT.test(attrOf(node, 'url') ?? attrOf(node, 'href') ?? '');
}

/** enclosure / media:content / media:thumbnail / media:group / Atom enclosure link / itunes:image. */
function mediaImageOf(source: Record<string, unknown>, base: string | null): string | null {
  const groups = nodesOf(source, 'media:group');
  const candidates = [
    ...nodesOf(source, 'media:content').filter(isImageMedia),
    ...nodesOf(source, 'media:thumbnail'),
    ...groups.flatMap((g) => [...childNodes(g, 'media:content').filter(isImageMedia), ...childNodes(g, 'media:thumbnail')]),
    ...nodesOf(source, 'enclosure').filter(isImageEnclosure),
    ...nodesOf(source, 'sw:link').filter((n) => attrOf(n, 'rel') === 'enclosure' && isImageEnclosure(n)),
  ];
  for (const node of candidates) {
    const url = resolveHttpUrl(attrOf(node, 'url') ?? attrOf(node, 'href'), base);
    if (url) return url;
  }
  const itunes = nodesOf(source, 'itunes:image')[0];
  return resolveHttpUrl(attrOf(itunes, 'href') ?? textOf(itunes), base);
}

const ALTERNATE = /^(alternate|http:\/\/www\.iana\.org\/assignments\/relation\/alternate)$/i;

/** The entry's (or feed's) permalink: rel="alternate" (the default), HTML type preferred. */
function atomLink(links: XmlNode[], base: string | null): string | null {
  const alternates = links.filter((l) => ALTERNATE.test(attrOf(l, 'rel') ?? 'alternate'));
  const preferred = alternates.filter((l) => !attrOf(l, 'type') || /html/i.test(attrOf(l, 'type') ?? ''));
  for (const link of [...preferred, ...alternates]) {
    const url = resolveHttpUrl(attrOf(link, 'href') ?? textOf(link), resolveBase(attrOf(link, 'xml:base'), base));
    if (url) return url;
  }
  return null;
}

function atomPeople(nodes: XmlNode[]): string[] {
  return nodes.map((n) => cleanPerson(textOf(childNodes(n, 'name')[0]) || textOf(n)) ?? '').filter((n) => n !== '');
}

const DATE_ELEMENTS = [
  'pubDate', 'sw:published', 'dc:date', 'issued', 'created', 'dcterms:issued', 'dcterms:created',
  'sw:updated', 'modified', 'dcterms:modified',
];

/** The body (fullest HTML) and the summary source of an item. */
function itemTexts(item: Record<string, unknown>, atom: boolean, base: string | null): Pick<ItemFields, 'content' | 'summary'> {
  const media = firstFilled(item, ['media:description']) ?? childNodes(nodesOf(item, 'media:group')[0], 'media:description')[0];
  if (atom) {
    return {
      content: atomText(nodesOf(item, 'content')[0], base),
      summary: atomText(nodesOf(item, 'summary')[0], base) ?? looseText(media, base),
    };
  }
  return {
    content: htmlText(firstFilled(item, ['content:encoded', 'xhtml:body', 'body']), base),
    summary: htmlText(firstFilled(item, ['description']), base)
      ?? looseText(firstFilled(item, ['itunes:summary', 'itunes:subtitle']) ?? media, base),
  };
}

function itemAuthors(item: Record<string, unknown>, atom: boolean): string[] {
  if (atom) return atomPeople(nodesOf(item, 'author'));
  const person = cleanPerson(textOf(firstFilled(item, ['dc:creator', 'author', 'itunes:author'])));
  return person ? [person] : [];
}

function itemCategories(item: Record<string, unknown>, atom: boolean): string[] {
  const values = atom
    ? nodesOf(item, 'category').map((n) => attrOf(n, 'label') ?? attrOf(n, 'term') ?? textOf(n))
    : [...nodesOf(item, 'category'), ...nodesOf(item, 'dc:subject')].map((n) => textOf(n));
  return cleanCategories(values);
}

function xmlItemFields(item: Record<string, unknown>, ctx: FeedContext): ItemFields {
  const base = resolveBase(attrsOf(item)['xml:base'], ctx.base);
  const atom = ctx.format === 'atom';
  const guidNode = nodesOf(item, atom ? 'id' : 'guid')[0];
  const guid = collapseWhitespace(textOf(guidNode)).slice(0, 1000) || attrsOf(item)['rdf:about']?.trim() || null;
  const permalink = attrOf(guidNode, 'isPermaLink') !== 'false' ? resolveHttpUrl(guid, null) : null;
  const link = atom ? atomLink(nodesOf(item, 'sw:link'), base) : resolveHttpUrl(textOf(firstFilled(item, ['link'])), base);
  const authors = itemAuthors(item, atom);
  return {
    title: atom ? atomText(nodesOf(item, 'title')[0], base) : looseText(firstFilled(item, ['title']), base),
    url: link ?? permalink,
    guid,
    ...itemTexts(item, atom, base),
    mediaImage: mediaImageOf(item, base),
    author: (authors.length > 0 ? authors : ctx.feedAuthors).join(', ') || null,
    categories: itemCategories(item, atom),
    dates: DATE_ELEMENTS.map((name) => textOf(firstFilled(item, [name]))),
  };
}

function ttlOf(raw: RawXmlFeed): number | null {
  const ttl = Number.parseInt(textOf(nodesOf(raw, 'ttl')[0]).trim(), 10);
  if (Number.isFinite(ttl) && ttl > 0 && ttl <= 525_600) return ttl;
  const periods: Record<string, number> = { hourly: 60, daily: 1440, weekly: 10_080, monthly: 43_200, yearly: 525_600 };
  const period = periods[textOf(nodesOf(raw, 'sy:updatePeriod')[0]).trim().toLowerCase()];
  if (!period) return null;
  const frequency = Number.parseInt(textOf(nodesOf(raw, 'sy:updateFrequency')[0]).trim(), 10);
  return Math.max(1, Math.round(period / (Number.isFinite(frequency) && frequency > 0 ? frequency : 1)));
}

/** rss-parser output for an RSS, RDF or Atom document → ParsedFeed. */
export function normalizeXmlFeed(raw: RawXmlFeed, prepared: PreparedXml, opts: ParseOptions): ParsedFeed {
  const docBase = resolveHttpUrl(opts.url, null);
  const rootBase = resolveBase(prepared.rootAttrs['xml:base'], docBase);
  const feedBase = resolveBase(attrsOf(raw)['xml:base'], rootBase);
  const atom = prepared.format === 'atom';
  const siteUrl = atom ? atomLink(nodesOf(raw, 'sw:link'), feedBase) : resolveHttpUrl(textOf(firstFilled(raw, ['link'])), feedBase);
  const titleNode = nodesOf(raw, 'title')[0];
  const title = plainText(atom ? atomText(titleNode, feedBase) : looseText(titleNode, feedBase), MAX_TITLE_CHARS);
  const ctx: FeedContext = {
    format: prepared.format,
    base: feedBase !== docBase ? feedBase : siteUrl ?? docBase,
    feedAuthors: atom ? atomPeople(nodesOf(raw, 'author')) : [],
  };
  const items = raw.items.flatMap((item) => buildItem(xmlItemFields(item, ctx), opts.now) ?? []);
  return { format: prepared.format, title: title || null, siteUrl, ttlMinutes: atom ? null : ttlOf(raw), items };
}

/* ---- JSON Feed ------------------------------------------------------------------------------ */

function jsonItemFields(item: JsonFeedItem, base: string | null, feedAuthors: string[]): ItemFields {
  const content = item.content_html?.trim()
    ? { kind: 'html' as const, value: item.content_html, base }
    : item.content_text?.trim() ? { kind: 'text' as const, value: item.content_text, base } : null;
  const authors = authorNamesOf(item);
  return {
    title: item.title?.trim() ? { kind: 'text', value: item.title, base } : null,
    url: resolveHttpUrl(item.url, base) ?? resolveHttpUrl(item.external_url, base) ?? resolveHttpUrl(item.id, null),
    guid: item.id?.trim().slice(0, 1000) || null,
    content,
    summary: item.summary?.trim() ? { kind: 'text', value: item.summary, base } : null,
    mediaImage: resolveHttpUrl(item.image, base) ?? resolveHttpUrl(item.banner_image, base),
    author: (authors.length > 0 ? authors : feedAuthors).join(', ') || null,
    categories: cleanCategories(item.tags ?? []),
    dates: [item.date_published, item.date_modified],
  };
}

/** Names from `authors` (1.1), else the single `author` (1.0). */
export function authorNamesOf(value: { author?: { name?: string } | undefined; authors?: { name?: string }[] | undefined }): string[] {
  const list = value.authors && value.authors.length > 0 ? value.authors : value.author ? [value.author] : [];
  return list.map((a) => a.name?.trim() ?? '').filter((name) => name !== '');
}

/** A validated JSON Feed → ParsedFeed. */
export function normalizeJsonFeed(doc: JsonFeedDocument, opts: ParseOptions): ParsedFeed {
  const docBase = resolveHttpUrl(opts.url, null);
  const siteUrl = resolveHttpUrl(doc.homePageUrl, docBase);
  const base = siteUrl ?? docBase;
  const items = doc.items.flatMap((item) => buildItem(jsonItemFields(item, base, doc.authorNames), opts.now) ?? []);
  const title = doc.title ? truncateText(collapseWhitespace(doc.title), MAX_TITLE_CHARS) : '';
  return { format: 'jsonfeed', title: title || null, siteUrl, ttlMinutes: null, items };
}
