import type { Db } from './open.js';
import { ID_SECOND } from './stories.js';

export interface TagCounts {
  last24h: number;
  last7d: number;
  last30d: number;
  lastSeenAt: string | null;
}

/**
 * Counts over the tag timeline index: each count is a range of (kind, tag_id, story_id), and story ids
 * are publication times, so "the last 7 days" is an id range.
 */
export function createTagStats(db: Db) {
  const countSince = db.prepare(`SELECT count(*) FROM story_tags WHERE kind = @kind AND tag_id = @tag AND story_id >= @from`).pluck();
  const latest = db.prepare(`
    SELECT s.published_at FROM stories s
    WHERE s.id = (SELECT max(story_id) FROM story_tags WHERE kind = @kind AND tag_id = @tag)`).pluck();
  const buckets = db.prepare(`
    SELECT (story_id / ${ID_SECOND} / 86400) AS day, count(*) AS n FROM story_tags
    WHERE kind = @kind AND tag_id = @tag AND story_id >= @from AND story_id < @to
    GROUP BY day ORDER BY day`);

  const idAt = (ms: number) => Math.max(0, Math.floor(ms / 1000)) * ID_SECOND;

  return {
    counts(kind: 'company' | 'theme', tag: string, now: Date): TagCounts {
      const t = now.getTime();
      return {
        last24h: countSince.get({ kind, tag, from: idAt(t - 86_400_000) }) as number,
        last7d: countSince.get({ kind, tag, from: idAt(t - 7 * 86_400_000) }) as number,
        last30d: countSince.get({ kind, tag, from: idAt(t - 30 * 86_400_000) }) as number,
        lastSeenAt: (latest.get({ kind, tag }) as string | undefined) ?? null,
      };
    },
    /** Stories per UTC day (day number since the epoch) in [from, to). */
    dailyCounts(kind: 'company' | 'theme', tag: string, from: Date, to: Date): Map<number, number> {
      const rows = buckets.all({ kind, tag, from: idAt(from.getTime()), to: idAt(to.getTime()) }) as Array<{ day: number; n: number }>;
      return new Map(rows.map((r) => [r.day, r.n]));
    },
  };
}
