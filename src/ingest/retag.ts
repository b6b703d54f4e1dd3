import type { Db } from '../db/open.js';
import { createRetagStore, createStoryWriter, toTagWrite } from '../db/stories.js';
import type { Tagger } from '../tagging/index.js';
import { MAX_CONTENT_TEXT_CHARS, textOfSanitized } from './text.js';

export interface RetagProgress {
  done: number;
  total: number;
}

/**
 * Re-tags every story whose tags were computed with another taxonomy, in batches of one transaction
 * each, so the API keeps answering (and a crash loses at most one batch of work, never consistency).
 * Stories written meanwhile by ingestion already carry the new hash and are skipped.
 */
export async function retagStories(
  db: Db,
  tagger: Tagger,
  options: { batchSize?: number; onProgress?: (p: RetagProgress) => void; signal?: AbortSignal } = {},
): Promise<RetagProgress> {
  const store = createRetagStore(db);
  const writer = createStoryWriter(db);
  const batchSize = options.batchSize ?? 500;
  const total = store.countStale(tagger.hash);
  let done = 0;
  let after = 0;
  const writeBatch = db.transaction((rows: ReturnType<typeof store.listStale>) => {
    for (const row of rows) {
      const tags = tagger.tag({ title: row.title, summary: row.summary, content: contentTextOf(row) });
      writer.replaceTags(row.id, tags.map(toTagWrite), tagger.hash);
    }
  });
  for (;;) {
    if (options.signal?.aborted) break;
    const rows = store.listStale(tagger.hash, after, batchSize);
    if (rows.length === 0) {
      store.setMeta('taxonomy_hash', tagger.hash);
      break;
    }
    writeBatch(rows);
    done += rows.length;
    after = rows.at(-1)!.id;
    options.onProgress?.({ done, total });
    await new Promise((resolve) => setImmediate(resolve)); // let the API answer between batches
  }
  return { done, total };
}

/**
 * The text ingestion tagged the body with: content_text is no longer stored, so it is derived from the
 * stored (sanitized) content_html exactly as ingestion derived it (normalize.ts); rows written before
 * that change still carry it.
 */
export function contentTextOf(row: { contentText: string | null; contentHtml: string | null }): string | null {
  if (row.contentText !== null) return row.contentText;
  return row.contentHtml ? textOfSanitized(row.contentHtml, MAX_CONTENT_TEXT_CHARS) || null : null;
}

export function taxonomyChanged(db: Db, tagger: Tagger): boolean {
  return createRetagStore(db).getMeta('taxonomy_hash') !== tagger.hash;
}
