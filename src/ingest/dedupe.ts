import { createHash } from 'node:crypto';

/** The fields of a normalized item that identify it. */
export interface KeyableItem {
  guid: string | null;
  canonicalUrl: string | null;
  title: string;
  publishedAt: string;
  dateEstimated: boolean;
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('base64url').slice(0, 22);
}

/** A title reduced to its words, for spotting the same headline from two sources. */
export function titleKey(title: string): string {
  return title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/\p{M}+/gu, '')
    .replace(/['’‘`]s\b/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .slice(0, 200);
}

/**
 * The identities of each item of one feed, most specific first:
 *  - `url:<canonical url>`: the same article in any feed is the same story. Skipped when several items
 *    of this batch share the URL (feeds that point every item at their home page) or when the URL is
 *    the feed's own home page;
 *  - `guid:<feed>:<guid>`: guids are only unique within a feed;
 *  - `title:<feed>:<hash of title and date>`: for items with neither.
 */
export function computeStoryKeys(feedId: string, items: KeyableItem[], siteUrl: string | null): string[][] {
  const urlCounts = new Map<string, number>();
  for (const item of items) {
    if (item.canonicalUrl) urlCounts.set(item.canonicalUrl, (urlCounts.get(item.canonicalUrl) ?? 0) + 1);
  }
  return items.map((item) => {
    const keys: string[] = [];
    const url = item.canonicalUrl;
    const sharedUrl = url !== null && (urlCounts.get(url) ?? 0) > 1;
    const homePage = url !== null && siteUrl !== null && url === siteUrl;
    if (url && !sharedUrl && !homePage) keys.push(`url:${url}`);
    if (item.guid) keys.push(`guid:${feedId}:${item.guid.length > 512 ? hash(item.guid) : item.guid}`);
    if (keys.length === 0) {
      const when = item.dateEstimated ? '' : item.publishedAt;
      keys.push(`title:${feedId}:${hash(`${titleKey(item.title)}|${when}|${url ?? ''}`)}`);
    }
    return keys;
  });
}
