/**
 * HTML from feeds is hostile until proven otherwise. `sanitizeHtml` keeps a small allow-list of
 * tags and attributes, resolves URLs against the item's base and keeps only http(s) (and mailto for
 * links); `htmlToText` turns HTML into one line of plain text for titles, summaries and search.
 */
import sanitize from 'sanitize-html';
import type { IOptions } from 'sanitize-html';
import { resolveHttpUrl } from './url.js';

const ALLOWED_TAGS = [
  'p', 'br', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code', 'em', 'strong', 'b', 'i', 'u', 's',
  'sub', 'sup', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'img', 'figure', 'figcaption', 'table', 'thead',
  'tbody', 'tr', 'th', 'td', 'hr', 'span', 'div', 'abbr', 'cite', 'q', 'dl', 'dt', 'dd',
];

/** Disallowed tags whose content is not text a reader should see: dropped with everything inside. */
const DROPPED_WITH_CONTENT = [
  'script', 'style', 'textarea', 'option', 'xmp', 'noscript', 'iframe', 'object', 'embed', 'svg',
  'math', 'template', 'head', 'title', 'select', 'applet', 'noembed', 'noframes', 'frameset',
];

const NESTING_LIMIT = 200;

/** Elements that never nest in practice: the HTML parser closes the open one when a new one starts. */
const NON_NESTING = new Set([
  'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'br', 'img', 'hr', 'wbr', 'input', 'meta', 'link',
  'area', 'base', 'col', 'embed', 'source', 'track', 'param',
]);
const TAG_RE = /<(\/?)([a-zA-Z][\w:-]*)\b[^<>]*?(\/?)>/g;

/**
 * Drops the tags (not the text) of elements nested deeper than `maxDepth`. htmlparser2 keeps its
 * open-element stack with `unshift`, so 100,000 nested elements cost seconds; this linear pass
 * keeps hostile nesting cheap and leaves ordinary HTML untouched.
 */
export function limitNesting(html: string, maxDepth = NESTING_LIMIT): string {
  let depth = 0;
  return html.replace(TAG_RE, (tag, slash: string, rawName: string, selfClosing: string) => {
    const name = rawName.toLowerCase();
    if (NON_NESTING.has(name) || selfClosing === '/') return tag;
    if (slash === '/') {
      const keep = depth <= maxDepth;
      depth = Math.max(0, depth - 1);
      return keep ? tag : '';
    }
    depth += 1;
    return depth <= maxDepth ? tag : '';
  });
}

/** A link target: absolute http(s) resolved against the base, or a mailto: address. */
function resolveLinkHref(href: string | undefined, baseUrl: string | null): string | null {
  if (href === undefined) return null;
  const compact = href.replace(/[\u0000-\u0020\u007f]+/g, '');
  if (/^mailto:[^<>"']+$/i.test(compact)) return compact;
  return resolveHttpUrl(href, baseUrl);
}

function isTrackingPixel(attribs: Record<string, string>): boolean {
  const tiny = (value: string | undefined) => value !== undefined && /^\s*[01]\s*(px)?\s*$/i.test(value);
  return tiny(attribs.width) || tiny(attribs.height);
}

function sanitizeOptions(baseUrl: string | null): IOptions {
  return {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ['href', 'title', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: DROPPED_WITH_CONTENT,
    nestingLimit: NESTING_LIMIT,
    transformTags: {
      a: (tagName, attribs) => {
        const href = resolveLinkHref(attribs.href, baseUrl);
        const out: Record<string, string> = { rel: 'noopener noreferrer nofollow' };
        if (href) out.href = href;
        if (attribs.title) out.title = attribs.title;
        return { tagName, attribs: out };
      },
      img: (tagName, attribs) => {
        const src = resolveHttpUrl(attribs.src, baseUrl);
        const out: Record<string, string> = { ...attribs, loading: 'lazy' };
        if (src) out.src = src;
        else delete out.src;
        return { tagName, attribs: out };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && (!frame.attribs.src || isTrackingPixel(frame.attribs)),
  };
}

/** Allow-listed, URL-resolved HTML safe to store and serve. */
export function sanitizeHtml(html: string, baseUrl: string | null): string {
  return sanitize(limitNesting(html), sanitizeOptions(baseUrl)).trim();
}

const BLOCK_TAG = new RegExp(
  String.raw`<\/?(?:p|br|div|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|thead|tbody|blockquote|pre|hr|figure|figcaption|` +
    String.raw`section|article|header|footer|aside|nav|main|address|img)\b`,
  'gi',
);

const TEXT_ONLY: IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  disallowedTagsMode: 'discard',
  nonTextTags: DROPPED_WITH_CONTENT,
};

/** Cuts at a word boundary so the result, with "…", is at most `maxChars` long. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 1) return text.slice(0, Math.max(0, maxChars));
  const cut = text.slice(0, maxChars - 1);
  const atBoundary = /\s/.test(text[maxChars - 1] ?? ' ');
  const space = cut.lastIndexOf(' ');
  const head = atBoundary ? cut : space >= maxChars * 0.5 ? cut.slice(0, space) : cut;
  return `${head.replace(/[\s,;:.\-–—]+$/u, '')}…`;
}

/** Collapses runs of whitespace (including no-break spaces) to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Undoes the escaping sanitize-html applies to text it outputs. */
function unescapeSanitized(escaped: string): string {
  return escaped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed, cut. */
export function htmlToText(html: string, maxChars: number): string {
  const spaced = limitNesting(html).replace(BLOCK_TAG, ' $&');
  const text = unescapeSanitized(sanitize(spaced, TEXT_ONLY));
  return truncateText(collapseWhitespace(text), maxChars);
}

const entityCache = new Map<string, string | null>();

/** The text an HTML named entity stands for (`nbsp` → U+00A0), or null if HTML has no such entity. */
export function decodeHtmlEntity(name: string): string | null {
  const cached = entityCache.get(name);
  if (cached !== undefined) return cached;
  const reference = `&${name};`;
  const decoded = unescapeSanitized(sanitize(reference, TEXT_ONLY));
  const result = decoded === reference || decoded === '' ? null : decoded;
  if (entityCache.size < 5000) entityCache.set(name, result);
  return result;
}

/** The first image of sanitized HTML (as produced by `sanitizeHtml`), or null. */
export function firstImageInSanitized(sanitized: string): string | null {
  const match = /<img\b[^>]*?\ssrc="([^"]*)"/i.exec(sanitized);
  if (!match || !match[1]) return null;
  return resolveHttpUrl(match[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'), null);
}

/** The first real image (absolute http(s), not a 1x1 tracking pixel) of an HTML fragment, or null. */
export function firstImage(html: string, baseUrl: string | null): string | null {
  return firstImageInSanitized(sanitizeHtml(html, baseUrl));
}
