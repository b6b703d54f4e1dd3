/**
 * JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1), read leniently: a field of the wrong type
 * is ignored rather than failing the feed, but the document must say it is a JSON Feed.
 */
import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { authorNamesOf } from './normalize.js';

const text = z.string().optional().catch(undefined);
const idLike = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .optional()
  .catch(undefined);

const JsonFeedAuthorSchema = z.object({ name: text, url: text, avatar: text });
const authorList = z
  .array(z.unknown())
  .transform((list) => list.flatMap((a) => {
    const parsed = JsonFeedAuthorSchema.safeParse(a);
    return parsed.success ? [parsed.data] : [];
  }))
  .optional()
  .catch(undefined);

export const JsonFeedItemSchema = z.object({
  id: idLike,
  url: text,
  external_url: text,
  title: text,
  content_html: text,
  content_text: text,
  summary: text,
  image: text,
  banner_image: text,
  date_published: text,
  date_modified: text,
  author: JsonFeedAuthorSchema.optional().catch(undefined),
  authors: authorList,
  tags: z.array(z.unknown()).transform((tags) => tags.filter((t): t is string => typeof t === 'string')).optional().catch(undefined),
});
export type JsonFeedItem = z.infer<typeof JsonFeedItemSchema>;

const JsonFeedSchema = z.object({
  version: z.string(),
  title: text,
  home_page_url: text,
  feed_url: text,
  author: JsonFeedAuthorSchema.optional().catch(undefined),
  authors: authorList,
  items: z.array(z.unknown()).optional().catch(undefined),
});

export interface JsonFeedDocument {
  version: string;
  title: string | null;
  homePageUrl: string | null;
  feedUrl: string | null;
  /** Feed-level authors, which JSON Feed 1.1 says apply to items that name none. */
  authorNames: string[];
  items: JsonFeedItem[];
}

function isJsonFeedVersion(version: string): boolean {
  return /jsonfeed\.org/i.test(version) || /^1(\.\d+)?$/.test(version.trim());
}

function parseJson(textBody: string): unknown {
  try {
    return JSON.parse(textBody);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError('FEED_PARSE_FAILED', `the JSON document is not valid JSON (${reason}); it may be cut off`, { cause: err });
  }
}

/** Parses and validates a JSON Feed; a JSON document that is not one is rejected with a clear error. */
export function parseJsonFeed(textBody: string): JsonFeedDocument {
  const raw = parseJson(textBody);
  const feed = JsonFeedSchema.safeParse(raw);
  if (!feed.success || !isJsonFeedVersion(feed.data.version)) {
    throw new AppError('FEED_PARSE_FAILED', 'the JSON document is not a JSON Feed (it has no jsonfeed.org "version")');
  }
  const items = (feed.data.items ?? []).flatMap((item) => {
    const parsed = JsonFeedItemSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
  return {
    version: feed.data.version,
    title: feed.data.title ?? null,
    homePageUrl: feed.data.home_page_url ?? null,
    feedUrl: feed.data.feed_url ?? null,
    authorNames: authorNamesOf(feed.data),
    items,
  };
}
