/**
 * Retention (RETENTION_DAYS): deleting stories published before a cutoff, and the tombstones that keep
 * them from coming back.
 *
 * Rules:
 *  - a story goes when its publication time is before the cutoff. Story ids are publication times
 *    (see 0001_init.sql), so "published before" is the primary-key range `id < cutoffId`: an index walk.
 *    Stories without a usable date carry their first-seen time as publication time, so they go N days
 *    after they arrived;
 *  - deleting a story cascades to its keys, sources and tags; the AFTER DELETE trigger removes it from
 *    the full-text index. Before that, its keys are copied to `pruned_keys` (migration 0003) so the
 *    story is not stored again as new while its feed still carries it (see createRetentionGate);
 *  - a story that a digest has picked up but not yet delivered stays until the delivery is done
 *    (or has given up): see digestGuard;
 *  - work happens in batches, each in its own write transaction, yielding to the event loop between
 *    batches, so `serve` keeps ingesting and answering while a large prune runs.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Db } from './open.js';
import { ID_SECOND } from './stories.js';

const DAY_MS = 86_400_000;

/** Delivery states after which a digest no longer needs its stories. Anything else holds them. */
const FINISHED_DELIVERY_STATES = ['delivered', 'failed', 'cancelled', 'sent', 'succeeded', 'canceled', 'skipped'];

export interface PruneOptions {
  /** Stories published before this time are deleted. */
  olderThan: Date;
  /** Stories per transaction (default 500). */
  batchSize?: number;
  /** Recorded on the tombstones (default: the current time). */
  now?: Date;
  /** Stops between batches (shutdown); what was pruned stays pruned. */
  signal?: AbortSignal;
}

export interface PruneResult {
  pruned: number;
  /** Past the cutoff but kept because an undelivered digest references them. */
  held: number;
  tombstones: number;
  batches: number;
}

export interface RetentionResult extends PruneResult {
  cutoff: string;
  tombstonesExpired: number;
}

/** The moment before which stories are pruned, for a retention of `days` days. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Lowest story id published at or after `date`: every id below it was published before. */
function idCutoff(date: Date): number {
  return Math.max(0, Math.floor(date.getTime() / 1000)) * ID_SECOND;
}

function tableColumns(db: Db, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name));
}

/**
 * The condition (a fixed SQL fragment, never user input) that keeps stories an undelivered digest
 * references. The digests tables come from migration 0002 (digests keep a JSON snapshot of their
 * stories, so this is belt and braces: a story in a digest whose delivery is still pending or retrying
 * stays until it is delivered or given up). It reads the tables' shape instead of assuming it:
 *  - no `digest_stories` table: nothing to protect;
 *  - `digest_stories.story_id` references stories without ON DELETE CASCADE / SET NULL: deleting any
 *    digested story would break the foreign key, so every digested story is kept;
 *  - otherwise, with `deliveries (digest_id, status)`: stories of a digest that still has a delivery in
 *    a state other than FINISHED_DELIVERY_STATES are kept; the rest may go (0002 has no foreign key
 *    there on purpose: the digest_stories rows stay and keep "no story twice" true);
 *  - otherwise (no way to tell what is delivered): every digested story is kept.
 */
export function digestGuard(db: Db): string {
  const tables = new Set(
    db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('digest_stories', 'deliveries')`).pluck().all() as string[],
  );
  if (!tables.has('digest_stories')) return '';
  const digestStories = tableColumns(db, 'digest_stories');
  if (!digestStories.has('story_id')) return '';
  // Uncorrelated NOT IN: SQLite builds the set of held ids once per statement, whatever indexes
  // digest_stories has (0002's primary key starts with subscription_id).
  const anyDigest = `id NOT IN (SELECT story_id FROM digest_stories)`;
  const fk = (db.pragma('foreign_key_list(digest_stories)') as Array<{ table: string; from: string; on_delete: string }>).find(
    (f) => f.table === 'stories' && f.from === 'story_id',
  );
  if (fk && !['CASCADE', 'SET NULL'].includes(fk.on_delete.toUpperCase())) return anyDigest;
  const deliveries = tables.has('deliveries') ? tableColumns(db, 'deliveries') : new Set<string>();
  if (!digestStories.has('digest_id') || !deliveries.has('digest_id') || !deliveries.has('status')) return anyDigest;
  const finished = FINISHED_DELIVERY_STATES.map((s) => `'${s}'`).join(', ');
  return `id NOT IN (SELECT ds.story_id FROM deliveries d JOIN digest_stories ds ON ds.digest_id = d.digest_id
    WHERE d.status NOT IN (${finished}))`;
}

/** How many stories a prune at `olderThan` would delete, and how many digests would hold back. */
export function countPrunable(db: Db, olderThan: Date): { prunable: number; held: number } {
  const cutoffId = idCutoff(olderThan);
  const guard = digestGuard(db);
  const past = db.prepare(`SELECT count(*) FROM stories WHERE id < ?`).pluck().get(cutoffId) as number;
  const prunable = guard ? (db.prepare(`SELECT count(*) FROM stories WHERE id < ? AND ${guard}`).pluck().get(cutoffId) as number) : past;
  return { prunable, held: past - prunable };
}

/** Deletes stories published before `olderThan`, in batches, leaving tombstones for their keys. */
export async function pruneStories(db: Db, options: PruneOptions): Promise<PruneResult> {
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive whole number');
  const cutoffId = idCutoff(options.olderThan);
  const guard = digestGuard(db);
  const candidates = db
    .prepare(`SELECT id FROM stories WHERE id > @after AND id < @cutoffId ${guard ? `AND ${guard}` : ''} ORDER BY id LIMIT @limit`)
    .pluck();
  const tombstone = db.prepare(`
    INSERT INTO pruned_keys (key, pruned_at)
    SELECT key, @now FROM story_keys WHERE story_id IN (SELECT value FROM json_each(@ids))
    ON CONFLICT (key) DO UPDATE SET pruned_at = excluded.pruned_at`);
  const remove = db.prepare(`DELETE FROM stories WHERE id IN (SELECT value FROM json_each(@ids))`);

  // Candidates are chosen under the write lock, so a digest being built (also under it) either saw the
  // story before it went, or never sees it.
  const batch = db.transaction((after: number, now: string) => {
    const ids = candidates.all({ after, cutoffId, limit: batchSize }) as number[];
    if (ids.length === 0) return { ids, tombstones: 0 };
    const json = JSON.stringify(ids);
    const tombstones = tombstone.run({ now, ids: json }).changes;
    remove.run({ ids: json });
    return { ids, tombstones };
  });

  const result: PruneResult = { pruned: 0, held: 0, tombstones: 0, batches: 0 };
  let after = -1;
  for (;;) {
    if (options.signal?.aborted) break;
    const { ids, tombstones } = batch.immediate(after, (options.now ?? new Date()).toISOString());
    if (ids.length === 0) break;
    result.pruned += ids.length;
    result.tombstones += tombstones;
    result.batches++;
    after = ids[ids.length - 1]!;
    if (ids.length < batchSize) break;
    await yieldToLoop();
  }
  if (guard && !options.signal?.aborted) result.held = db.prepare(`SELECT count(*) FROM stories WHERE id < ?`).pluck().get(cutoffId) as number;
  return result;
}

/** Drops tombstones written before `olderThan`. */
export function pruneTombstones(db: Db, options: { olderThan: Date }): number {
  return db.prepare(`DELETE FROM pruned_keys WHERE pruned_at < ?`).run(options.olderThan.toISOString()).changes;
}

/**
 * One retention pass for RETENTION_DAYS = `retentionDays`: stories published more than that many days
 * ago go, and tombstones older than twice that are dropped.
 */
export async function applyRetention(
  db: Db,
  options: { retentionDays: number; now: Date; batchSize?: number; signal?: AbortSignal },
): Promise<RetentionResult> {
  const cutoff = retentionCutoff(options.now, options.retentionDays);
  const pruned = await pruneStories(db, {
    olderThan: cutoff,
    now: options.now,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const tombstonesExpired = pruneTombstones(db, { olderThan: retentionCutoff(options.now, 2 * options.retentionDays) });
  return { ...pruned, cutoff: cutoff.toISOString(), tombstonesExpired };
}

export function countStories(db: Db): number {
  return db.prepare(`SELECT count(*) FROM stories`).pluck().get() as number;
}

/** The fields of an incoming story the gate looks at (a StoryWrite has them). */
export interface GateItem {
  keys: string[];
  publishedAt: string;
  dateEstimated: boolean;
}

/**
 * Decides which incoming items may be stored: not those with a tombstoned key (pruned before, still in
 * their feed) and, with a retention set, not those with a real publication date already before the
 * cutoff (they would be pruned at the next pass, then come back, and so on).
 */
export function createRetentionGate(db: Db, options: { retentionDays?: number | undefined; clock: () => Date }) {
  const tombstoned = db.prepare(`SELECT 1 FROM pruned_keys WHERE key IN (SELECT value FROM json_each(?)) LIMIT 1`).pluck();
  const anyTombstone = db.prepare(`SELECT EXISTS (SELECT 1 FROM pruned_keys)`).pluck();
  return {
    /** Called inside the write transaction, so the tombstones cannot change while it looks. */
    admit<T extends GateItem>(items: T[]): T[] {
      const cutoff = options.retentionDays === undefined ? null : retentionCutoff(options.clock(), options.retentionDays).getTime();
      // Without any tombstone (no prune has run, or they all expired) there is nothing to look up per item.
      const checkKeys = anyTombstone.get() === 1;
      if (cutoff === null && !checkKeys) return items;
      return items.filter((item) => {
        if (cutoff !== null && !item.dateEstimated && Date.parse(item.publishedAt) < cutoff) return false;
        return !checkKeys || item.keys.length === 0 || tombstoned.get(JSON.stringify(item.keys)) === undefined;
      });
    },
  };
}

export type RetentionGate = ReturnType<typeof createRetentionGate>;
