import type { Db } from './open.js';

/** How many ids fit in one second of publication time: id = seconds * ID_SECOND + n. */
export const ID_SECOND = 1 << 20;

/**
 * A tag as the writer takes it, its evidence already JSON: made where the tag is computed, so a parse
 * worker hands the writing thread one string per tag instead of a tree of objects to copy and rebuild.
 */
export interface StoryTagWrite {
  kind: 'company' | 'theme';
  id: string;
  score: number;
  evidenceJson: string;
}

export function toTagWrite(tag: { kind: 'company' | 'theme'; id: string; score: number; evidence: readonly unknown[] }): StoryTagWrite {
  return { kind: tag.kind, id: tag.id, score: tag.score, evidenceJson: JSON.stringify(tag.evidence) };
}

/** A story ready to be written: normalized, keyed and tagged. */
export interface StoryWrite {
  keys: string[];
  url: string | null;
  canonicalUrl: string | null;
  title: string;
  summary: string;
  contentHtml: string | null;
  imageUrl: string | null;
  author: string | null;
  publishedAt: string;
  dateEstimated: boolean;
  titleKey: string;
  tags: StoryTagWrite[];
}

export interface BatchResult {
  inserted: number;
  known: number;
  insertedIds: number[];
  /** Tags written for the new stories, per kind and id (metrics). */
  tagsAssigned: Array<{ kind: 'company' | 'theme'; id: string }>;
}

/** The lowest id a story published at `iso` can take. Times before 1970 sort as 1970. */
export function idFloorFor(iso: string): number {
  const seconds = Math.max(0, Math.floor(Date.parse(iso) / 1000));
  return seconds * ID_SECOND;
}

export function publishedSecondsOf(id: number): number {
  return Math.floor(id / ID_SECOND);
}

/**
 * The last id allocated per publication second (its floor) during ONE write transaction. Only valid
 * while that transaction holds the write lock: another connection may insert once it ends.
 */
export type IdCache = Map<number, number>;

export function createStoryWriter(db: Db) {
  const findKey = db.prepare(`SELECT story_id FROM story_keys WHERE key = ?`).pluck();
  const maxIdIn = db.prepare(`SELECT max(id) FROM stories WHERE id >= ? AND id < ?`).pluck();
  const insertStory = db.prepare(`
    INSERT INTO stories (id, url, canonical_url, title, summary, content_html, image_url, author,
      published_at, date_estimated, first_seen_at, feed_id, title_key, tags_hash)
    VALUES (@id, @url, @canonicalUrl, @title, @summary, @contentHtml, @imageUrl, @author,
      @publishedAt, @dateEstimated, @now, @feedId, @titleKey, @tagsHash)`);
  const insertKey = db.prepare(`INSERT INTO story_keys (key, story_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`);
  const insertSource = db.prepare(`
    INSERT INTO story_sources (story_id, feed_id, url, first_seen_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (story_id, feed_id) DO NOTHING`);
  const insertTag = db.prepare(`INSERT INTO story_tags (story_id, kind, tag_id, score, evidence) VALUES (?, ?, ?, ?, ?)`);
  const deleteTags = db.prepare(`DELETE FROM story_tags WHERE story_id = ?`);
  const setTagsHash = db.prepare(`UPDATE stories SET tags_hash = ? WHERE id = ?`);

  /** `ids` (optional) remembers the last id given per second within one transaction: no query next time. */
  function allocateId(publishedAt: string, ids: IdCache | undefined): number {
    const floor = idFloorFor(publishedAt);
    const last = ids?.get(floor);
    const max = last !== undefined ? last : (maxIdIn.get(floor, floor + ID_SECOND) as number | null);
    const id = max === null ? floor : max + 1;
    if (id >= floor + ID_SECOND) throw new Error(`more than ${ID_SECOND} stories published in the same second (${publishedAt})`);
    ids?.set(floor, id);
    return id;
  }

  function writeTags(storyId: number, tags: StoryTagWrite[]) {
    for (const t of tags) insertTag.run(storyId, t.kind, t.id, t.score, t.evidenceJson);
  }

  /**
   * Writes one feed's items. Must run inside a transaction (see ingest/commit.ts), so that the
   * stories, their keys, sources, tags and the feed's new state land together or not at all. `ids` is
   * an id cache that the caller creates for one transaction and drops with it (see IdCache).
   */
  function writeStories(feedId: string, items: StoryWrite[], now: string, tagsHash: string, ids?: IdCache): BatchResult {
    const result: BatchResult = { inserted: 0, known: 0, insertedIds: [], tagsAssigned: [] };
    for (const item of items) {
      let storyId: number | undefined;
      for (const key of item.keys) {
        storyId = findKey.get(key) as number | undefined;
        if (storyId !== undefined) break;
      }
      if (storyId === undefined) {
        // A date in the future (clock skew, scheduled posts) sorts as "now", not above everything else.
        const publishedAt = item.publishedAt > now ? now : item.publishedAt;
        storyId = allocateId(publishedAt, ids);
        insertStory.run({
          id: storyId, url: item.url, canonicalUrl: item.canonicalUrl, title: item.title, summary: item.summary,
          contentHtml: item.contentHtml, imageUrl: item.imageUrl, author: item.author, publishedAt,
          dateEstimated: item.dateEstimated ? 1 : 0, now, feedId, titleKey: item.titleKey, tagsHash,
        });
        writeTags(storyId, item.tags);
        for (const t of item.tags) result.tagsAssigned.push({ kind: t.kind, id: t.id });
        result.inserted++;
        result.insertedIds.push(storyId);
      } else {
        result.known++;
      }
      for (const key of item.keys) insertKey.run(key, storyId);
      insertSource.run(storyId, feedId, item.url, now);
    }
    return result;
  }

  /** Replaces a story's tags with a fresh computation and records which taxonomy made them. */
  function replaceTags(storyId: number, tags: StoryTagWrite[], tagsHash: string) {
    deleteTags.run(storyId);
    writeTags(storyId, tags);
    setTagsHash.run(tagsHash, storyId);
  }

  return { writeStories, replaceTags };
}

export type StoryWriter = ReturnType<typeof createStoryWriter>;

export interface RetagCandidate {
  id: number;
  title: string;
  summary: string;
  /** Stored only by versions before content_text was dropped; the caller derives it from contentHtml. */
  contentText: string | null;
  contentHtml: string | null;
}

/** Finds stories whose tags were made with another taxonomy, in id order, a batch at a time. */
export function createRetagStore(db: Db) {
  const stale = db.prepare(`
    SELECT id, title, summary, content_text AS contentText, content_html AS contentHtml FROM stories
    WHERE id > @after AND tags_hash IS NOT @hash ORDER BY id LIMIT @limit`);
  const countStale = db.prepare(`SELECT count(*) FROM stories WHERE tags_hash IS NOT ?`).pluck();
  const getMeta = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck();
  const setMeta = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  return {
    listStale: (hash: string, after: number, limit: number) => stale.all({ hash, after, limit }) as RetagCandidate[],
    countStale: (hash: string) => countStale.get(hash) as number,
    getMeta: (key: string) => getMeta.get(key) as string | undefined,
    setMeta: (key: string, value: string) => void setMeta.run(key, value),
  };
}
