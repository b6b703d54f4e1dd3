/**
 * The two HTML passes of ingestion, each one htmlparser2 parse with no tree:
 *  - `sanitizePass`: the allow-list sanitizer. It makes exactly the decisions sanitize-html 2.17 made
 *    with the options Shiftwire used to pass it (discard mode, allow-listed tags and attributes,
 *    contents of script/style/… dropped, nesting limit 200, http(s)/mailto links with rel=noopener,
 *    http(s) images without tracking pixels), minus its per-call set-up and per-element text
 *    bookkeeping, which made it ten times slower than the parse itself;
 *  - `collectText`: what sanitize-html returned with no tag allowed (the text, entities decoded,
 *    contents of the dropped elements left out), unescaped.
 * test/sanitize-parity.test.ts (in npm test) holds both to sanitize-html over the feed corpus and random HTML.
 */
import { Parser } from 'htmlparser2';
import { resolveHttpUrl } from './url.js';

const ALLOWED_TAGS = new Set([
  'p', 'br', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code', 'em', 'strong', 'b', 'i', 'u', 's',
  'sub', 'sup', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'img', 'figure', 'figcaption', 'table', 'thead',
  'tbody', 'tr', 'th', 'td', 'hr', 'span', 'div', 'abbr', 'cite', 'q', 'dl', 'dt', 'dd',
]);

/** Disallowed tags whose content is not text a reader should see: dropped with everything inside. */
const DROPPED_WITH_CONTENT = new Set([
  'script', 'style', 'textarea', 'option', 'xmp', 'noscript', 'iframe', 'object', 'embed', 'svg',
  'math', 'template', 'head', 'title', 'select', 'applet', 'noembed', 'noframes', 'frameset',
]);

/** Attributes kept per tag; every other attribute of every tag is dropped. */
const ALLOWED_ATTRIBUTES: Record<string, ReadonlySet<string>> = {
  a: new Set(['href', 'title', 'rel']),
  img: new Set(['src', 'alt', 'title', 'width', 'height', 'loading']),
  td: new Set(['colspan', 'rowspan']),
  th: new Set(['colspan', 'rowspan']),
};

/** sanitize-html's default `selfClosing` list: written `<br />`, never closed. */
const SELF_CLOSING = new Set(['img', 'br', 'hr', 'area', 'base', 'basefont', 'input', 'link', 'meta']);

const NESTING_LIMIT = 200;
const PARSER_OPTIONS = { decodeEntities: true };
const LINK_REL = 'noopener noreferrer nofollow';

/** sanitize-html's escaping with decodeEntities on: & < > (and " in attribute values). */
function escapeText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}

function escapeAttribute(s: string): string {
  return /[&<>"]/.test(s) ? escapeText(s).replace(/"/g, '&quot;') : s;
}

/** A link target: absolute http(s) resolved against the base, or a mailto: address. */
function resolveLinkHref(href: string | undefined, baseUrl: string | null): string | null {
  if (href === undefined) return null;
  const compact = href.replace(/[\u0000-\u0020\u007f]+/g, '');
  if (/^mailto:[^<>"']+$/i.test(compact)) return compact;
  return resolveHttpUrl(href, baseUrl);
}

/**
 * launder's naughtyHref (what sanitize-html checks href/src with): a scheme outside the tag's list, or
 * a protocol-relative URL, is refused. The links above are already absolute; this stays as the last word.
 */
function isNaughtyHref(href: string, schemes: readonly string[]): boolean {
  let clean = href.replace(/[\x00-\x20]+/g, '');
  for (let start = clean.indexOf('<!--'); start !== -1; start = clean.indexOf('<!--')) {
    const end = clean.indexOf('-->', start + 4);
    if (end === -1) break;
    clean = clean.slice(0, start) + clean.slice(end + 3);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9.\-+]*):/.exec(clean);
  if (!scheme) return /^[/\\]{2}/.test(clean);
  return !schemes.includes((scheme[1] ?? '').toLowerCase());
}

const LINK_SCHEMES = ['http', 'https', 'mailto'];
const IMAGE_SCHEMES = ['http', 'https'];

function isTrackingPixel(attribs: Record<string, string>): boolean {
  const tiny = (value: string | undefined) => value !== undefined && /^\s*[01]\s*(px)?\s*$/i.test(value);
  return tiny(attribs.width) || tiny(attribs.height);
}

function transformAttributes(name: string, attribs: Record<string, string>, baseUrl: string | null): Record<string, string> {
  if (name === 'a') {
    const href = resolveLinkHref(attribs.href, baseUrl);
    const out: Record<string, string> = { rel: LINK_REL };
    if (href) out.href = href;
    if (attribs.title) out.title = attribs.title;
    return out;
  }
  const src = resolveHttpUrl(attribs.src, baseUrl);
  const out: Record<string, string> = { ...attribs, loading: 'lazy' };
  if (src) out.src = src;
  else delete out.src;
  return out;
}

/** Writes the allowed attributes; drops the others from `attribs` (the image filter reads what is left). */
function writeAttributes(name: string, attribs: Record<string, string>, allowed: ReadonlySet<string>): string {
  let out = '';
  for (const a of Object.keys(attribs)) {
    const value = attribs[a] ?? '';
    // Empty values of these (non-boolean) attributes go, except alt="" which means "decorative".
    if (!allowed.has(a) || (value === '' && a !== 'alt')) {
      delete attribs[a];
      continue;
    }
    if ((a === 'href' || a === 'src') && isNaughtyHref(value, name === 'img' ? IMAGE_SCHEMES : LINK_SCHEMES)) {
      delete attribs[a];
      continue;
    }
    out += value === '' ? ` ${a}=""` : ` ${a}="${escapeAttribute(value)}"`;
  }
  return out;
}

interface Frame {
  tag: string;
  attribs: Record<string, string>;
  position: number;
}

/** The allow-list sanitizer (see the top of this file). The caller limits nesting and trims. */
export function sanitizePass(html: string, baseUrl: string | null): string {
  let result = '';
  let depth = 0;
  const stack: Frame[] = [];
  const skipped: boolean[] = [];
  let skipText = false;
  let skipTextDepth = 0;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (skipText) {
          skipTextDepth++;
          return;
        }
        const frame: Frame = { tag: name, attribs, position: result.length };
        stack.push(frame);
        if (name === 'a' || name === 'img') frame.attribs = transformAttributes(name, attribs, baseUrl);
        const skip = !ALLOWED_TAGS.has(name) || depth >= NESTING_LIMIT;
        if (skip) {
          skipped[depth] = true; // cleared only when this element closes, as sanitize-html does
          if (DROPPED_WITH_CONTENT.has(name)) {
            skipText = true;
            skipTextDepth = 1;
          }
        }
        depth++;
        if (skip) return;
        const allowed = ALLOWED_ATTRIBUTES[name];
        result += `<${name}${allowed ? writeAttributes(name, frame.attribs, allowed) : ''}${SELF_CLOSING.has(name) ? ' />' : '>'}`;
      },
      ontext(text) {
        if (!skipText) result += escapeText(text);
      },
      onclosetag(name) {
        if (skipText) {
          skipTextDepth--;
          if (skipTextDepth > 0) return;
          skipText = false;
        }
        const frame = stack.pop();
        if (!frame) return;
        if (frame.tag !== name) {
          stack.push(frame); // a stray end tag
          return;
        }
        depth--;
        if (skipped[depth]) {
          skipped[depth] = false;
          return;
        }
        if (frame.tag === 'img' && (!frame.attribs.src || isTrackingPixel(frame.attribs))) {
          result = result.slice(0, frame.position);
          return;
        }
        if (!SELF_CLOSING.has(name)) result += `</${name}>`;
      },
    },
    PARSER_OPTIONS,
  );
  parser.write(html);
  parser.end();
  return result;
}

/** The text of an HTML fragment, entities decoded, without the contents of the dropped elements. */
export function collectText(html: string): string {
  let text = '';
  let skipText = false;
  let skipTextDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (skipText) skipTextDepth++;
        else if (DROPPED_WITH_CONTENT.has(name)) {
          skipText = true;
          skipTextDepth = 1;
        }
      },
      ontext(data) {
        if (!skipText) text += data;
      },
      onclosetag() {
        if (skipText && --skipTextDepth === 0) skipText = false;
      },
    },
    PARSER_OPTIONS,
  );
  parser.write(html);
  parser.end();
  return text;
}
