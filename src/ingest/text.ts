/**
 * Plain-text helpers shared by ingestion and re-tagging, with no parser behind them: nesting limits,
 * whitespace, truncation, and the text of HTML that `sanitizeHtml` (sanitize.ts) produced.
 */

/** At most this many characters of a story's body text are kept (normalize.ts) and tagged. */
export const MAX_CONTENT_TEXT_CHARS = 20_000;

const NESTING_LIMIT = 200;

/** Elements that never nest in practice: the HTML parser closes the open one when a new one starts. */
const NON_NESTING = new Set([
  'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'br', 'img', 'hr', 'wbr', 'input', 'meta', 'link',
  'area', 'base', 'col', 'embed', 'source', 'track', 'param',
]);
const TAG_RE = /<(\/?)([a-zA-Z][\w:-]*)\b[^<>]*?(\/?)>/g;

function hasMoreTagsThan(html: string, count: number): boolean {
  let seen = 0;
  for (let i = html.indexOf('<'); i !== -1; i = html.indexOf('<', i + 1)) if (++seen > count) return true;
  return false;
}

/**
 * Drops the tags (not the text) of elements nested deeper than `maxDepth`. htmlparser2 keeps its
 * open-element stack with `unshift`, so 100,000 nested elements cost seconds; this linear pass
 * keeps hostile nesting cheap and leaves ordinary HTML untouched.
 */
export function limitNesting(html: string, maxDepth = NESTING_LIMIT): string {
  if (!hasMoreTagsThan(html, maxDepth)) return html; // too few tags to nest that deep: nothing to drop
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

/** Tags that separate words: `htmlToText` puts a space before each so "<p>a</p><p>b</p>" reads "a b". */
export const BLOCK_TAG = new RegExp(
  String.raw`<\/?(?:p|br|div|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|thead|tbody|blockquote|pre|hr|figure|figcaption|` +
    String.raw`section|article|header|footer|aside|nav|main|address|img)\b`,
  'gi',
);

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

/**
 * Runs of whitespace that are not already a single plain space: a non-space whitespace character and
 * what follows it, or a space followed by more whitespace. Single spaces, by far the most common run,
 * are left alone instead of being replaced by themselves (`/\s+/g` did that, for every word).
 */
const WHITESPACE_TO_COLLAPSE = /[^\S ]\s*| \s+/g;

/** Collapses runs of whitespace (including no-break spaces) to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE_TO_COLLAPSE, ' ').trim();
}

const SANITIZED_TAG = /<[^>]*>/g;
const SANITIZED_ENTITY = /&(?:amp|lt|gt|quot);/g;
const ENTITY_TEXT: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"' };

/**
 * `htmlToText` (sanitize.ts) of HTML that `sanitizeHtml` produced, without parsing it again: in that output every `<`
 * starts a tag and the next `>` ends it (text and attribute values are escaped), and the only entities
 * are &amp; &lt; &gt; &quot;, so dropping the tags and decoding those four gives the parser's text.
 */
export function textOfSanitized(sanitized: string, maxChars: number): string {
  const spaced = limitNesting(sanitized).replace(BLOCK_TAG, ' $&');
  const text = spaced.replace(SANITIZED_TAG, '').replace(SANITIZED_ENTITY, (e) => ENTITY_TEXT[e] ?? e);
  return truncateText(collapseWhitespace(text), maxChars);
}
