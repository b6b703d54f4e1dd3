/**
 * A digest in every form it leaves in: the webhook's JSON, the email's HTML and text parts, an HTML
 * page, and entries of the subscription's Atom and JSON feeds. HTML escapes every piece of text and
 * links only to http(s) URLs, whatever the stories contain.
 */
import { Feed } from 'feed';
import type { DigestGroup } from './build.js';

export interface DigestView {
  subscription: { id: string; name: string; timezone: string };
  digest: { id: string; windowStart: string; windowEnd: string; generatedAt: string; groups: DigestGroup[] };
}

/** Where the digest's links point; each is optional (the webhook has none, the page no unsubscribe). */
export interface DigestLinks {
  pageUrl?: string;
  feedUrl?: string;
  unsubscribeUrl?: string;
}

/** The public URLs of a subscription: its feeds, a digest's page, the unsubscribe link. */
export function digestUrls(publicUrl: string, token: string) {
  const base = `${publicUrl.replace(/\/+$/, '')}/api/v1`;
  return {
    atom: `${base}/digests/${token}.atom`,
    json: `${base}/digests/${token}.json`,
    page: (digestId: string) => `${base}/digests/${token}/${digestId}`,
    unsubscribe: `${base}/unsubscribe/${token}`,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The URL when it is http(s), else null (no javascript:, data: or relative links in a digest). */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function link(url: string | null, text: string): string {
  const href = safeHref(url);
  return href ? `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

function dayFormat(timezone: string, withYear: boolean): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}) });
}

/** "27 Jan – 3 Feb" in the subscription's time zone; years only when they differ. */
export function formatWindow(start: string, end: string, timezone: string): string {
  const year = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, year: 'numeric' });
  const withYear = year.format(new Date(start)) !== year.format(new Date(end));
  const f = dayFormat(timezone, withYear);
  const [a, b] = [f.format(new Date(start)), f.format(new Date(end))];
  return a === b ? a : `${a} – ${b}`;
}

function countStories(groups: DigestGroup[]): string {
  return `${groups.length} ${groups.length === 1 ? 'story' : 'stories'}`;
}

/** "DeepSeek weekly — 12 stories (27 Jan – 3 Feb)": the email subject and the feed entry title. */
export function digestTitle(view: DigestView): string {
  const { digest, subscription } = view;
  return `${subscription.name} — ${countStories(digest.groups)} (${formatWindow(digest.windowStart, digest.windowEnd, subscription.timezone)})`;
}

/** The webhook body; the same bytes on every attempt of a delivery. */
export function renderWebhookBody(deliveryId: string, view: DigestView): string {
  const { id, windowStart, windowEnd, generatedAt, groups } = view.digest;
  return JSON.stringify({
    id: deliveryId,
    subscription: { id: view.subscription.id, name: view.subscription.name },
    digest: { id, windowStart, windowEnd, generatedAt },
    groups,
  });
}

function groupHtml(group: DigestGroup): string {
  const [lead, ...others] = group.stories;
  const sources = group.sources.map((s) => escapeHtml(s.name)).join(', ');
  const tags = [...new Set(group.stories.flatMap((s) => [...s.companies, ...s.themes]))].map(escapeHtml).join(' · ');
  const more = others.map((s) => `<li>${link(s.url, s.title)} <span style="color:#666">— ${escapeHtml(s.source.name)}</span></li>`).join('');
  return (
    `<li style="margin:0 0 18px">` +
    `<div style="font-size:16px;font-weight:600">${link(group.url, group.title)}</div>` +
    `<div style="color:#666;font-size:13px">${group.sources.length > 1 ? `${group.sources.length} sources: ` : ''}${sources}${tags ? ` · ${tags}` : ''}</div>` +
    (lead?.summary ? `<p style="margin:6px 0">${escapeHtml(lead.summary)}</p>` : '') +
    (more ? `<ul style="margin:4px 0;font-size:14px">${more}</ul>` : '') +
    `</li>`
  );
}

/** The digest as an HTML fragment (feed entries, and the body of the email and the page). */
export function renderDigestFragment(view: DigestView): string {
  const { digest, subscription } = view;
  const when = formatWindow(digest.windowStart, digest.windowEnd, subscription.timezone);
  if (digest.groups.length === 0) return `<p>Nothing new matched “${escapeHtml(subscription.name)}” (${escapeHtml(when)}).</p>`;
  return `<ol style="padding-left:20px">${digest.groups.map(groupHtml).join('')}</ol>`;
}

function footerLinks(links: DigestLinks): Array<[string, string]> {
  const list: Array<[string, string | undefined]> = [
    ['View in a browser', links.pageUrl],
    ['Follow as a feed', links.feedUrl],
    ['Unsubscribe', links.unsubscribeUrl],
  ];
  return list.filter((l): l is [string, string] => safeHref(l[1]) !== null);
}

/** A whole HTML document: the email's HTML part and the digest's page. */
export function renderDigestHtml(view: DigestView, links: DigestLinks): string {
  const title = escapeHtml(digestTitle(view));
  const footer = footerLinks(links).map(([text, url]) => link(url, text)).join(' · ');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${title}</title></head>` +
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:680px;margin:0 auto;padding:16px;color:#111">` +
    `<h1 style="font-size:20px">${title}</h1>${renderDigestFragment(view)}` +
    (footer ? `<hr style="border:0;border-top:1px solid #ddd"><p style="color:#666;font-size:12px">${footer}</p>` : '') +
    `</body></html>`
  );
}

/** The email's plain-text part. */
export function renderDigestText(view: DigestView, links: DigestLinks): string {
  const { digest, subscription } = view;
  const lines = [digestTitle(view), ''];
  if (digest.groups.length === 0) lines.push(`Nothing new matched "${subscription.name}" in this period.`, '');
  digest.groups.forEach((g, i) => {
    lines.push(`${i + 1}. ${g.title}`);
    if (safeHref(g.url)) lines.push(`   ${safeHref(g.url)}`);
    lines.push(`   ${g.sources.map((s) => s.name).join(', ')}`);
    if (g.stories[0]?.summary) lines.push(`   ${g.stories[0].summary}`);
    for (const s of g.stories.slice(1)) lines.push(`   - ${s.title} (${s.source.name})${safeHref(s.url) ? ` ${safeHref(s.url)}` : ''}`);
    lines.push('');
  });
  for (const [text, url] of footerLinks(links)) lines.push(`${text}: ${url}`);
  return `${lines.join('\n')}\n`;
}

/** Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F). */
const XML_INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export interface DigestFeedInput {
  subscription: { id: string; name: string; timezone: string; createdAt: string };
  digests: DigestView['digest'][];
  urls: { atom: string; json: string; home: string; page: (digestId: string) => string };
}

/** The subscription's private feed: one entry per digest, newest first. */
export function renderDigestFeed(format: 'atom' | 'json', input: DigestFeedInput): string {
  const { subscription, digests, urls } = input;
  const strip = (text: string) => text.replace(XML_INVALID, '');
  // Atom entry titles and summaries are type="html": their text is escaped once more to stay text.
  const clean = (text: string) => (format === 'atom' ? escapeHtml(strip(text)) : text);
  const feed = new Feed({
    id: `urn:shiftwire:subscription:${subscription.id}`,
    title: strip(`Shiftwire — ${subscription.name}`),
    description: strip(`Digests of the Shiftwire subscription “${subscription.name}”`),
    link: urls.home,
    updated: new Date(digests[0]?.generatedAt ?? subscription.createdAt),
    generator: 'Shiftwire',
    feedLinks: { atom: urls.atom, json: urls.json },
  });
  for (const digest of digests) {
    const view: DigestView = { subscription, digest };
    const top = digest.groups.slice(0, 3).map((g) => g.title).join(' · ');
    feed.addItem({
      id: `urn:shiftwire:digest:${digest.id}`,
      title: clean(digestTitle(view)),
      link: urls.page(digest.id),
      date: new Date(digest.generatedAt),
      published: new Date(digest.generatedAt),
      description: clean(top),
      content: strip(renderDigestFragment(view)),
    });
  }
  if (format === 'atom') return feed.atom1();
  // The feed package writes JSON Feed 1; nothing it emits here differs in 1.1 (no `author`).
  return JSON.stringify({ ...(JSON.parse(feed.json1()) as object), version: 'https://jsonfeed.org/version/1.1' }, null, 2);
}
