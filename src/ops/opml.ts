/**
 * OPML 2.0 import and export of the feed list.
 *
 * Parsing is deliberately small and strict about safety: the text is read by cheerio in XML mode
 * (htmlparser2), which never loads external resources nor expands DTD entities, and a document that
 * declares a DTD with entities or an internal subset is refused outright. Sizes are bounded.
 * Export writes every feed with `category` = its kind and `shiftwire:*` attributes, so that an export
 * imported elsewhere keeps ids, names, URLs, kinds and the enabled flag.
 */
import { load } from 'cheerio';
import { FEED_KINDS, type FeedKind } from '../config/index.js';
import { decodeFeedBody } from '../ingest/decode.js';
import { canonicalUrl, resolveHttpUrl } from '../ingest/url.js';
import { createFeedStore } from '../db/feeds.js';
import type { Db } from '../db/open.js';
import { AppError } from '../shared/errors.js';

export const SHIFTWIRE_NS = 'https://shiftwire.dev/ns/opml';
export const MAX_OPML_BYTES = 5 * 1024 * 1024;
export const MAX_OUTLINES = 20_000;
export const MAX_DEPTH = 64;
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KIND_WORDS: Record<string, FeedKind> = { companies: 'company', policies: 'policy', commentaries: 'commentary' };

/** A feed outline as found in the file. */
export interface OpmlFeed {
  url: string;
  name: string;
  siteUrl: string | null;
  kind: FeedKind;
  /** `shiftwire:id` when the file came from a Shiftwire export. */
  id: string | null;
  enabled: boolean;
  /** Texts of the enclosing outlines (categories), outermost first. */
  categories: string[];
}

export interface OpmlSkip {
  url: string | null;
  name: string | null;
  reason: string;
}

export interface ParsedOpml {
  title: string | null;
  feeds: OpmlFeed[];
  skipped: OpmlSkip[];
}

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', `not a usable OPML file: ${message}`);
}

/** Attribute lookup that ignores case (`xmlUrl`, `xmlurl` and `XMLURL` all occur in the wild). */
function attributesOf(el: { attribs: Record<string, string> }): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(el.attribs)) map.set(name.toLowerCase(), value);
  return map;
}

function clean(text: string | undefined, max = 200): string | null {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t === '' ? null : t.slice(0, max);
}

/** `feed://host/x` and `feed:https://host/x` are old spellings of http(s) URLs. */
function feedUrl(raw: string): string | null {
  const trimmed = raw.trim().replace(/^feed:\/\//i, 'http://').replace(/^feed:(?=https?:)/i, '');
  return resolveHttpUrl(trimmed, null);
}

function kindFrom(category: string | undefined, enclosing: string[]): FeedKind {
  const words = [...(category ?? '').split(/[,/]/), ...[...enclosing].reverse()];
  for (const word of words) {
    const w = word.trim().toLowerCase();
    if ((FEED_KINDS as readonly string[]).includes(w)) return w as FeedKind;
    if (KIND_WORDS[w]) return KIND_WORDS[w];
  }
  return 'news';
}

function refuseDtd(text: string): void {
  if (/<!ENTITY/i.test(text) || /<!DOCTYPE[^>[]*\[/i.test(text)) {
    throw new AppError('FEED_UNSAFE', 'the OPML file declares a DTD with entities; OPML never needs one, so it is refused for safety');
  }
}

/**
 * Reads an OPML document: feeds (outlines with an xmlUrl), with their categories, and what was skipped.
 * Bytes are decoded like feeds are (BOM, then the XML declaration's encoding, else UTF-8).
 */
export function parseOpml(input: string | Buffer): ParsedOpml {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_OPML_BYTES) throw invalid(`it is larger than ${MAX_OPML_BYTES / 1024 / 1024} MB`);
  const source = (typeof input === 'string' ? input : decodeFeedBody(input, null)).replace(/^\uFEFF/, '');
  refuseDtd(source);
  const $ = load(source, { xml: true });
  const root = $.root().children('opml').first();
  if (root.length === 0) throw invalid('there is no <opml> root element');
  const body = root.children('body').first();
  if (body.length === 0) throw invalid('there is no <body> element');
  const result: ParsedOpml = { title: clean(root.children('head').children('title').first().text()), feeds: [], skipped: [] };

  const top = body.children('outline').toArray();
  const stack: Array<{ el: (typeof top)[number]; categories: string[]; depth: number }> = top
    .reverse()
    .map((el) => ({ el, categories: [], depth: 1 }));
  let seen = 0;
  while (stack.length > 0) {
    const { el, categories, depth } = stack.pop()!;
    if (++seen > MAX_OUTLINES) throw invalid(`it has more than ${MAX_OUTLINES} outlines`);
    if (depth > MAX_DEPTH) throw invalid(`outlines are nested more than ${MAX_DEPTH} deep`);
    const a = attributesOf(el);
    const name = clean(a.get('title')) ?? clean(a.get('text'));
    const children = $(el).children('outline').toArray();
    const rawUrl = a.get('xmlurl');
    if (rawUrl !== undefined && rawUrl.trim() !== '') {
      const url = feedUrl(rawUrl);
      if (!url) {
        result.skipped.push({ url: rawUrl.trim().slice(0, 300), name, reason: 'xmlUrl is not an http(s) URL' });
      } else {
        const id = clean(a.get('shiftwire:id'));
        result.feeds.push({
          url,
          name: name ?? new URL(url).hostname,
          siteUrl: feedUrl(a.get('htmlurl') ?? ''),
          kind: kindFrom(a.get('category'), categories),
          id: id !== null && ID_PATTERN.test(id) ? id : null,
          enabled: a.get('shiftwire:enabled')?.trim().toLowerCase() !== 'false',
          categories,
        });
      }
    } else if (children.length === 0) {
      result.skipped.push({ url: null, name, reason: 'no xmlUrl: not a feed' });
    }
    const inner = name === null ? categories : [...categories, name];
    for (const child of children.reverse()) stack.push({ el: child, categories: inner, depth: depth + 1 });
  }
  return result;
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return slug || 'feed';
}

/** `base` if free, else `base-2`, `base-3`… */
function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base.slice(0, 56).replace(/-+$/, '')}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export interface NewFeed {
  id: string;
  name: string;
  url: string;
  kind: FeedKind;
  enabled: boolean;
}

export interface ImportPlan {
  add: NewFeed[];
  skipped: OpmlSkip[];
}

/**
 * Merge rules: a feed whose canonical URL is already known (any origin, enabled or not) is skipped and
 * reported, as is the second listing of a URL within the file; the others are added. Their id is the
 * file's `shiftwire:id` when it has one, else a slug of the title; either is made unique with -2, -3…
 * against every existing id (including feeds.yaml's) and the ids added before it.
 */
export function planOpmlImport(parsed: ParsedOpml, existing: Array<{ id: string; url: string }>): ImportPlan {
  const taken = new Set(existing.map((f) => f.id));
  const known = new Map(existing.map((f) => [canonicalUrl(f.url), f.id]));
  const inFile = new Set<string>();
  const plan: ImportPlan = { add: [], skipped: [...parsed.skipped] };
  for (const feed of parsed.feeds) {
    const canon = canonicalUrl(feed.url);
    const owner = known.get(canon);
    if (owner !== undefined) {
      plan.skipped.push({ url: feed.url, name: feed.name, reason: `already present as feed "${owner}"` });
      continue;
    }
    if (inFile.has(canon)) {
      plan.skipped.push({ url: feed.url, name: feed.name, reason: 'listed more than once in this file' });
      continue;
    }
    inFile.add(canon);
    const id = uniqueId(feed.id ?? slugify(feed.name), taken);
    taken.add(id);
    plan.add.push({ id, name: feed.name, url: feed.url, kind: feed.kind, enabled: feed.enabled });
  }
  return plan;
}

/**
 * Plans against the feeds in the database and adds the new ones with origin 'opml', all in one write
 * transaction (so a feed added meanwhile through the API is seen, and a failure adds nothing).
 */
export function importOpmlFeeds(db: Db, parsed: ParsedOpml, now: string): ImportPlan {
  const feeds = createFeedStore(db);
  const apply = db.transaction(() => {
    const plan = planOpmlImport(parsed, feeds.listFeeds());
    for (const f of plan.add) feeds.createFeed({ ...f, origin: 'opml' }, now);
    return plan;
  });
  return apply.immediate();
}

export interface ExportFeed {
  id: string;
  name: string;
  url: string;
  kind: FeedKind;
  enabled: boolean;
  origin: string;
  siteUrl: string | null;
}

function escapeAttr(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** An OPML 2.0 document with one outline per kind, each holding its feeds sorted by id. */
export function renderOpml(feeds: ExportFeed[], options: { now: Date; title?: string }): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<opml version="2.0" xmlns:shiftwire="${SHIFTWIRE_NS}">`,
    '  <head>',
    `    <title>${escapeAttr(options.title ?? 'Shiftwire feeds')}</title>`,
    `    <dateCreated>${options.now.toUTCString()}</dateCreated>`,
    '    <docs>http://opml.org/spec2.opml</docs>',
    '  </head>',
    '  <body>',
  ];
  for (const kind of FEED_KINDS) {
    const group = feeds.filter((f) => f.kind === kind).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (group.length === 0) continue;
    lines.push(`    <outline text="${kind}" title="${kind}">`);
    for (const f of group) {
      const attrs = [
        ['type', 'rss'],
        ['text', f.name],
        ['title', f.name],
        ['xmlUrl', f.url],
        ...(f.siteUrl ? [['htmlUrl', f.siteUrl]] : []),
        ['category', f.kind],
        ['shiftwire:id', f.id],
        ['shiftwire:origin', f.origin],
        ...(f.enabled ? [] : [['shiftwire:enabled', 'false']]),
      ];
      lines.push(`      <outline ${attrs.map(([k, v]) => `${k}="${escapeAttr(v ?? '')}"`).join(' ')}/>`);
    }
    lines.push('    </outline>');
  }
  lines.push('  </body>', '</opml>', '');
  return lines.join('\n');
}
