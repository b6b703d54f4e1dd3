import type { FeedKind } from '../../src/config/index.js';
import { createFeedStore } from '../../src/db/feeds.js';
import type { Db } from '../../src/db/open.js';
import { createStoryWriter, type StoryWrite } from '../../src/db/stories.js';

/** Stories with known tags, written through the real db writers (no tagger involved: the tags are given). */
export interface SeedStory {
  feed: string;
  title: string;
  publishedAt: string;
  summary?: string;
  url?: string | null;
  content?: string | null;
  author?: string | null;
  imageUrl?: string | null;
  dateEstimated?: boolean;
  companies?: string[];
  themes?: string[];
  /** Other feeds that carried the same story (same key). */
  alsoIn?: string[];
  /** When Shiftwire first saw it (default: the seeding time given to seedStories). */
  firstSeenAt?: string;
}

export interface SeedFeed {
  id: string;
  name?: string;
  kind?: FeedKind;
  /** Default https://<id>.example/feed.xml: never fetched unless a test refreshes it. */
  url?: string;
}

export const SEED_TAGS_HASH = 'seed';

export function seedFeeds(db: Db, feeds: SeedFeed[], now = '2025-01-01T00:00:00.000Z'): void {
  const store = createFeedStore(db);
  for (const f of feeds) {
    store.createFeed({ id: f.id, name: f.name ?? `Feed ${f.id}`, url: f.url ?? `https://${f.id}.example/feed.xml`, kind: f.kind ?? 'news', enabled: true, origin: 'api' }, now);
  }
}

let counter = 0;

export function toStoryWrite(s: SeedStory): StoryWrite {
  const key = s.url ? `url:${s.url}` : `title:${s.feed}:${s.title}:${counter++}`;
  const tag = (kind: 'company' | 'theme') => (id: string, i: number) => ({
    kind,
    id,
    score: Math.round((0.9 - i * 0.1) * 1000) / 1000,
    evidenceJson: JSON.stringify([{ term: id, field: 'title', count: 1 }]),
  });
  return {
    keys: [key],
    url: s.url === undefined ? `https://news.example/${s.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${counter++}` : s.url,
    canonicalUrl: null,
    title: s.title,
    summary: s.summary ?? `Summary of ${s.title}`,
    contentHtml: s.content === undefined ? `<p>${s.title}</p>` : s.content,
    imageUrl: s.imageUrl ?? null,
    author: s.author ?? null,
    publishedAt: s.publishedAt,
    dateEstimated: s.dateEstimated ?? false,
    titleKey: s.title.toLowerCase(),
    tags: [...(s.companies ?? []).map(tag('company')), ...(s.themes ?? []).map(tag('theme'))],
  };
}

/** Writes the stories (one transaction) and returns their ids, in the order given. */
export function seedStories(db: Db, stories: SeedStory[], now = '2025-06-01T00:00:00.000Z'): number[] {
  const writer = createStoryWriter(db);
  const write = db.transaction(() =>
    stories.map((s) => {
      const item = toStoryWrite(s);
      const seen = s.firstSeenAt ?? now;
      const result = writer.writeStories(s.feed, [item], seen, SEED_TAGS_HASH);
      const id = result.insertedIds[0];
      if (id === undefined) throw new Error(`seed story "${s.title}" was already stored`);
      for (const other of s.alsoIn ?? []) writer.writeStories(other, [item], seen, SEED_TAGS_HASH);
      return id;
    }),
  );
  return write();
}
