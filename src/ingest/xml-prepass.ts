/**
 * The XML pre-pass of feed parsing (parse.ts runs it before rss-parser): one linear scan that makes a
 * document safe and well-formed enough for a strict XML parser. What it does is listed below.
 */
import { AppError } from '../shared/errors.js';
import type { FeedFormat } from './parse.js';
import { decodeHtmlEntity } from './sanitize.js';

/** Deeper nesting is refused: sax/xml2js would cope, but nothing downstream needs it. */
export const MAX_XML_DEPTH = 500;

/* ---------------------------------------------------------------------------------------------
 * XML pre-pass. One linear scan over the text that, before any XML parser sees it:
 *  - rejects DTDs that declare entities (billion laughs, XXE, parameter entities) and drops any
 *    other DOCTYPE, processing instruction (xml-stylesheet, the XML declaration) and comment, so
 *    nothing can ever be fetched or expanded;
 *  - refuses HTML pages, documents without a root, truncated documents and nesting deeper than
 *    MAX_XML_DEPTH (sax/xml2js would cope, but nothing downstream needs it);
 *  - repairs what feedparser-style readers forgive: a bare `&`, HTML named entities (`&nbsp;`),
 *    a stray `<`, unquoted or valueless attributes, mismatched or stray end tags, an `<item>` left
 *    inside an unclosed channel child;
 *  - turns inline markup in text elements (Atom type="xhtml", RSS xhtml:body, raw HTML in a
 *    description) into CDATA so its order survives xml2js, marked with sw:inline="1";
 *  - for Atom, strips prefixes bound to the Atom namespace (`<a:feed>`), and renames link,
 *    published and updated to sw:* because rss-parser crashes on `<link>` without attributes and
 *    on unparseable dates in them (normalize.ts reads the sw:* copies).
 * ------------------------------------------------------------------------------------------- */

export interface PreparedXml {
  xml: string;
  format: Exclude<FeedFormat, 'jsonfeed'>;
  /** Attributes of the root element as written (xml:base lives here for RSS). */
  rootAttrs: Record<string, string>;
}

interface Frame {
  raw: string;
  name: string;
  container: { tagIndex: number; srcStart: number; sawChild: boolean } | null;
}

const OPEN_TAG = /<([A-Za-z_\u00C0-\uFFFF][^\s/>"'=<]*)((?:\s+[^\s=/>"'<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?)*)\s*(\/?)>/y;
const CLOSE_TAG = /<\/\s*([A-Za-z_\u00C0-\uFFFF][^\s/>"'=<]*)\s*>/y;
const ATTR = /([^\s=/>"'<]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+)))?/g;
const VALID_ATTR_NAME = /^[A-Za-z_:][\w.:-]*$/;
const ENTITY_OR_AMP = /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|([A-Za-z][A-Za-z0-9]{0,40}));|&/g;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const ATOM_NS = /xmlns:([\w.-]+)\s*=\s*["'](?:http:\/\/www\.w3\.org\/2005\/Atom|http:\/\/purl\.org\/atom\/ns#)["']/g;
const HTML_ROOTS = new Set(['html', 'head', 'body', 'frameset', 'title', 'meta', 'div', 'p', 'table']);
const ATOM_CONTAINERS = new Set(['title', 'subtitle', 'tagline', 'summary', 'content', 'rights', 'copyright', 'info']);
const RSS_CONTAINERS = new Set(['title', 'description', 'content:encoded', 'body', 'xhtml:body']);
const FEED_PARENTS = new Set(['channel', 'feed', 'rdf:RDF']);
const ATOM_RENAMES: Record<string, string> = { link: 'sw:link', published: 'sw:published', updated: 'sw:updated' };

function parseFailed(message: string): AppError {
  return new AppError('FEED_PARSE_FAILED', message);
}

function truncated(where: string): AppError {
  return parseFailed(`the document ends inside ${where}; it looks truncated`);
}

function isXmlChar(cp: number): boolean {
  if (cp === 0x9 || cp === 0xa || cp === 0xd) return true;
  return (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Character data made safe for a strict XML parser (see the list above). */
function escapeXmlText(s: string): string {
  if (!s.includes('&')) return s.replace(/</g, '&lt;');
  return s.replace(/</g, '&lt;').replace(ENTITY_OR_AMP, (m, dec?: string, hex?: string, name?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
      return isXmlChar(cp) ? m : '&#xFFFD;';
    }
    if (name === undefined) return '&amp;';
    if (XML_ENTITIES.has(name)) return m;
    const decoded = decodeHtmlEntity(name);
    if (decoded === null) return `&amp;${name};`;
    return [...decoded].map((c) => `&#${c.codePointAt(0) ?? 0xfffd};`).join('');
  });
}

function parseAttributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (source.trim() === '') return attrs;
  for (const m of source.matchAll(ATTR)) {
    const name = m[1] ?? '';
    if (!VALID_ATTR_NAME.test(name) || name in attrs) continue;
    attrs[name] = m[2] ?? m[3] ?? m[4] ?? name;
  }
  return attrs;
}

function serializeAttributes(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([name, value]) => ` ${name}="${escapeXmlText(value).replace(/"/g, '&quot;')}"`)
    .join('');
}

function cdata(raw: string): string {
  return `<![CDATA[${raw.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** Skips a `<!…>` declaration; returns the index after it. Entity declarations are refused. */
function skipDeclaration(text: string, start: number): number {
  const isDoctype = /^<!DOCTYPE/i.test(text.slice(start, start + 9));
  let i = start + 2;
  let depth = 0;
  let quote = '';
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth += 1;
    else if (c === ']') depth -= 1;
    else if (c === '<' && text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) break;
      i = end + 2;
    } else if (c === '>' && depth <= 0) break;
  }
  if (i >= text.length) throw truncated('a DOCTYPE or declaration');
  const declaration = text.slice(start, i + 1);
  if (/<!ENTITY/i.test(declaration)) {
    throw new AppError('FEED_UNSAFE', 'the document declares XML entities (DTD), which Shiftwire refuses to expand');
  }
  if (isDoctype && /^<!DOCTYPE\s+html\b/i.test(declaration)) throw parseFailed('the document is an HTML page, not a feed');
  return i + 1;
}

interface ScanState {
  text: string;
  out: string[];
  stack: Frame[];
  root: { name: string; attrs: Record<string, string>; format: PreparedXml['format'] } | null;
  atomPrefixes: Set<string>;
  /** Index of the last `>`: a tag starting after it can never end (the text is truncated). */
  lastGt: number;
  /** The open text element whose markup becomes CDATA (they never nest). */
  container: Frame['container'];
  /** How many elements of each raw name are open, so stray end tags cost O(1). */
  openRaw: Map<string, number>;
  /** How many item/entry and channel/feed/rdf:RDF elements are open. */
  openItems: number;
  openParents: number;
}

function countOpen(state: ScanState, frame: Frame, delta: 1 | -1): void {
  state.openRaw.set(frame.raw, (state.openRaw.get(frame.raw) ?? 0) + delta);
  if (frame.name === 'item' || frame.name === 'entry') state.openItems += delta;
  if (FEED_PARENTS.has(frame.name)) state.openParents += delta;
}

function rootFormat(rawName: string, atomPrefixes: Set<string>): PreparedXml['format'] {
  const local = localName(rawName);
  const prefix = rawName.includes(':') ? rawName.slice(0, rawName.indexOf(':')) : '';
  if (HTML_ROOTS.has(rawName.toLowerCase())) throw parseFailed('the document is an HTML page, not a feed');
  if (local === 'rss' && !prefix) return 'rss';
  if (local === 'RDF') return 'rdf';
  if (local === 'feed' && (!prefix || atomPrefixes.has(prefix))) return 'atom';
  throw parseFailed(`the document is XML but not a feed (its root element is <${rawName}>)`);
}

/** The element name rss-parser should see. */
function outputName(state: ScanState, rawName: string): string {
  const format = state.root?.format;
  if (format === 'rdf' && state.stack.length === 0) return 'rdf:RDF';
  if (format !== 'atom') return rawName;
  const colon = rawName.indexOf(':');
  const name = colon > 0 && state.atomPrefixes.has(rawName.slice(0, colon)) ? rawName.slice(colon + 1) : rawName;
  return ATOM_RENAMES[name] ?? name;
}

function isContainerName(state: ScanState, name: string): boolean {
  return state.root?.format === 'atom' ? ATOM_CONTAINERS.has(name) : RSS_CONTAINERS.has(name) || localName(name) === 'body';
}

/**
 * The inner source of a text element that held markup, as HTML: element prefixes (xhtml:p) dropped
 * and CDATA sections unwrapped (escaped in Atom, where they are text; raw in RSS, where they are
 * the usual escaped HTML).
 */
function containerHtml(inner: string, atom: boolean): string {
  const escape = (data: string) => data.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return inner
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_m, data: string) => (atom ? escape(data) : data))
    .replace(/<(\/?)[A-Za-z_][\w.-]*:(?=[A-Za-z_])/g, '<$1');
}

/** Pops the top element; a container that held markup is replaced by its raw inner source as CDATA. */
function popFrame(state: ScanState, contentEnd: number): void {
  const frame = state.stack.pop();
  if (!frame) return;
  countOpen(state, frame, -1);
  const c = frame.container;
  if (c) state.container = null;
  if (c?.sawChild) {
    const inner = containerHtml(state.text.slice(c.srcStart, contentEnd), state.root?.format === 'atom');
    state.out.length = c.tagIndex + 1;
    state.out[c.tagIndex] = (state.out[c.tagIndex] ?? '').replace(/\/?>$/, ' sw:inline="1">');
    state.out.push(cdata(inner));
  }
  state.out.push(`</${frame.name}>`);
}

/** An <item>/<entry> opened inside an unclosed channel child: close that child first. */
function closeStrayParents(state: ScanState, at: number): void {
  if (state.openItems > 0 || state.openParents === 0) return;
  while (state.stack.length > 0 && !FEED_PARENTS.has(state.stack[state.stack.length - 1]?.name ?? '')) popFrame(state, at);
}

function openElement(state: ScanState, m: RegExpExecArray, at: number, end: number): void {
  const rawName = m[1] ?? '';
  const attrs = parseAttributes(m[2] ?? '');
  if (!state.root) state.root = { name: rawName, attrs, format: rootFormat(rawName, state.atomPrefixes) };
  const name = outputName(state, rawName);
  const container = state.container;
  if (container) container.sawChild = true;
  else if (name === 'item' || name === 'entry') closeStrayParents(state, at);
  if (state.stack.length >= MAX_XML_DEPTH) {
    throw parseFailed(`the document nests elements more than ${MAX_XML_DEPTH} deep, which no feed does`);
  }
  const selfClosing = m[3] === '/';
  state.out.push(`<${name}${serializeAttributes(attrs)}${selfClosing ? '/>' : '>'}`);
  if (selfClosing) return;
  const frame: Frame = { raw: rawName, name, container: null };
  if (!container && isContainerName(state, name)) {
    frame.container = { tagIndex: state.out.length - 1, srcStart: end, sawChild: false };
    state.container = frame.container;
  }
  state.stack.push(frame);
  countOpen(state, frame, 1);
}

/** Closes the named element and anything left open inside it; a stray end tag is dropped. */
function closeElement(state: ScanState, rawName: string, at: number): void {
  if (!state.openRaw.get(rawName)) return;
  let index = -1;
  for (let k = state.stack.length - 1; k >= 0; k -= 1) {
    if (state.stack[k]?.raw === rawName) { index = k; break; }
  }
  if (index < 0) return;
  while (state.stack.length > index) popFrame(state, at);
}

/** Handles the markup at `lt` (a `<`); returns where scanning continues. */
function scanMarkup(state: ScanState, lt: number): number {
  const { text } = state;
  if (text.startsWith('<!--', lt)) {
    const end = text.indexOf('-->', lt + 4);
    if (end < 0) throw truncated('a comment');
    return end + 3;
  }
  if (text.startsWith('<![CDATA[', lt)) {
    const end = text.indexOf(']]>', lt + 9);
    if (end < 0) throw truncated('a CDATA section');
    if (state.stack.length > 0) state.out.push(text.slice(lt, end + 3));
    return end + 3;
  }
  if (text.length - lt < 64 && '<![CDATA['.startsWith(text.slice(lt).trimEnd())) throw truncated('a CDATA section');
  if (text.startsWith('<!', lt)) return skipDeclaration(text, lt);
  if (text.startsWith('<?', lt)) {
    const end = text.indexOf('?>', lt + 2);
    if (end < 0) throw truncated('a processing instruction');
    return end + 2;
  }
  const pattern = text[lt + 1] === '/' ? CLOSE_TAG : OPEN_TAG;
  pattern.lastIndex = lt;
  const m = pattern.exec(text);
  if (m && pattern === CLOSE_TAG) closeElement(state, m[1] ?? '', lt);
  else if (m) openElement(state, m, lt, pattern.lastIndex);
  if (m) return pattern.lastIndex;
  if (/^<\/?[A-Za-z_]/.test(text.slice(lt, lt + 3)) && lt > state.lastGt) throw truncated('a tag');
  if (state.stack.length > 0) state.out.push('&lt;');
  return lt + 1;
}

/** Runs the pre-pass described above over decoded feed text. */
export function prepareXml(input: string): PreparedXml {
  const text = input.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
  const state: ScanState = {
    text, out: [], stack: [], root: null, lastGt: text.lastIndexOf('>'),
    container: null, openRaw: new Map(), openItems: 0, openParents: 0,
    atomPrefixes: new Set([...text.matchAll(ATOM_NS)].map((m) => m[1] ?? '')),
  };
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? text.length : lt;
    if (end > i && state.stack.length > 0) state.out.push(escapeXmlText(text.slice(i, end)));
    if (lt < 0) break;
    i = scanMarkup(state, lt);
    if (state.root && state.stack.length === 0) break; // root closed: ignore whatever follows
  }
  if (!state.root) throw parseFailed('the document has no XML elements, so it is not a feed');
  if (state.stack.length > 0) throw truncated(`<${state.stack[state.stack.length - 1]?.raw ?? ''}>`);
  return { xml: state.out.join(''), format: state.root.format, rootAttrs: state.root.attrs };
}
