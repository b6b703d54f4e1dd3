import * as cheerio from 'cheerio';

const DANGEROUS_ELEMENTS = 'script, iframe, frame, object, embed, applet, meta, base, link, form, style, svg, math, template';
const URL_ATTRIBUTES = ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster', 'background', 'data'];

/**
 * What in an HTML fragment could run in a reader's browser: dangerous elements, event-handler attributes,
 * style attributes, and script-capable URL schemes. Empty when the fragment is safe to display.
 */
export function findExecutableHtml(html: string): string[] {
  const $ = cheerio.load(html, null, false);
  const found: string[] = [];
  $(DANGEROUS_ELEMENTS).each((_, el) => void found.push(`<${(el as { tagName: string }).tagName}>`));
  $('*').each((_, el) => {
    const attribs = (el as { attribs?: Record<string, string> }).attribs ?? {};
    for (const [name, value] of Object.entries(attribs)) {
      if (/^on/i.test(name)) found.push(`${name}=`);
      if (name === 'style') found.push('style=');
      if (URL_ATTRIBUTES.includes(name.toLowerCase())) {
        // Browsers ignore control characters and whitespace inside the scheme.
        const scheme = value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(scheme)) found.push(`${name}=${value.slice(0, 40)}`);
      }
    }
  });
  return found;
}

/** A URL a story may carry: absolute http(s) only. */
export function isSafeLink(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}
