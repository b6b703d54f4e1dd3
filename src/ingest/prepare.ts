import { toTagWrite, type StoryWrite } from '../db/stories.js';
import type { Tagger } from '../tagging/index.js';
import { computeStoryKeys, titleKey } from './dedupe.js';
import { processFeedBody } from './process.js';

export interface PreparedFeed {
  format: string;
  title: string | null;
  siteUrl: string | null;
  ttlMinutes: number | null;
  stories: StoryWrite[];
}

export interface PrepareOptions {
  feedId: string;
  url: string;
  now: string;
}

/**
 * Everything CPU-bound between the HTTP body and the database: decode, parse, sanitize, key, tag.
 * Pure (bytes in, plain data out), so it runs the same in a worker thread or in the main thread.
 */
export async function prepareFeed(body: Buffer, contentType: string | null, opts: PrepareOptions, tagger: Tagger): Promise<PreparedFeed> {
  const feed = await processFeedBody(body, contentType, { url: opts.url, now: opts.now });
  const keys = computeStoryKeys(opts.feedId, feed.items, feed.siteUrl);
  const stories = feed.items.map((item, i): StoryWrite => {
    const tags = tagger.tag({ title: item.title, summary: item.summary, content: item.contentText });
    return {
      keys: keys[i] ?? [],
      url: item.url,
      canonicalUrl: item.canonicalUrl,
      title: item.title,
      summary: item.summary,
      contentHtml: item.contentHtml, // its text (item.contentText) is derived again where needed, not shipped
      imageUrl: item.imageUrl,
      author: item.author,
      publishedAt: item.publishedAt,
      dateEstimated: item.dateEstimated,
      titleKey: titleKey(item.title),
      tags: tags.map(toTagWrite),
    };
  });
  return { format: feed.format, title: feed.title, siteUrl: feed.siteUrl, ttlMinutes: feed.ttlMinutes, stories };
}
