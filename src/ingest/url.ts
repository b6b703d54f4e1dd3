/**
 * URL helpers for feed items: resolve a link to an absolute http(s) URL, and reduce a URL to a
 * canonical form for de-duplication (same story reached through different tracking links).
 */

const MAX_URL_LENGTH = 2048;

/**
 * Resolves `href` against `base` and returns it only if it is an absolute http(s) URL with a host.
 * Anything else (javascript:, data:, tag:, urn:, mailto:, garbage, over 2048 chars) gives null.
 * IDN hosts come back in their ASCII (punycode) form, as the WHATWG URL parser writes them.
 */
export function resolveHttpUrl(href: string | null | undefined, base: string | null): string | null {
  if (typeof href !== 'string') return null;
  const trimmed = href.trim();
  if (trimmed === '' || trimmed.length > MAX_URL_LENGTH) return null;
  let url: URL;
  try {
    url = base ? new URL(trimmed, base) : new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '') return null;
  const out = url.href;
  return out.length > MAX_URL_LENGTH ? null : out;
}

/** Query parameters that only say where a click came from; they never identify content. */
const TRACKING_PARAMS = new Set([
  'fbclid', 'gclid', 'gclsrc', 'dclid', 'msclkid', 'yclid', 'twclid', 'ttclid', 'li_fat_id', 'igshid',
  'mc_cid', 'mc_eid', 'mkt_tok', '_hsenc', '_hsmi', '__hstc', '__hssc', '__hsfp', 'hsctatracking',
  'ref_src', 'ref_url', 'cmpid', 'ncid', 'ocid', 'sr_share', 'guccounter', 'guce_referrer',
  'guce_referrer_sig', '_ga', '_gl', 'oly_anon_id', 'oly_enc_id', 'rb_clickid', 's_cid', 'vero_conv',
  'vero_id', 'wickedid', 'ns_mchannel', 'ns_source', 'ns_campaign', 'ns_linkname', 'ns_fee',
  'at_medium', 'at_campaign', 'at_custom1', 'at_custom2', 'at_custom3', 'at_custom4', 'spref', 'smid',
]);

function isTrackingParam(rawName: string): boolean {
  let name: string;
  try {
    name = decodeURIComponent(rawName.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    name = rawName.toLowerCase();
  }
  return name.startsWith('utm_') || TRACKING_PARAMS.has(name);
}

/**
 * Canonical form of an http(s) URL: scheme and host lower-cased and the default port dropped (the
 * URL parser does both), fragment removed, tracking parameters removed, remaining parameters sorted
 * (their encoding is kept byte for byte), no trailing `?`, an empty path becomes `/`.
 * A string that does not parse as a URL is returned trimmed and otherwise unchanged.
 */
export function canonicalUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return url.trim();
  }
  parsed.hash = '';
  const query = parsed.search.startsWith('?') ? parsed.search.slice(1) : parsed.search;
  const kept = query
    .split('&')
    .filter((pair) => pair !== '' && !isTrackingParam(pair.split('=')[0] ?? ''))
    .sort(comparePairs);
  parsed.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  return parsed.href;
}

function comparePairs(a: string, b: string): number {
  const ka = a.split('=')[0] ?? '';
  const kb = b.split('=')[0] ?? '';
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
