import type { DigestGroup } from '../digests/build.js';
import type { Db } from './open.js';

export type DeliveryChannel = 'webhook' | 'email';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DigestRow {
  id: string;
  subscriptionId: string;
  windowStart: string;
  windowEnd: string;
  generatedAt: string;
  storyCount: number;
  groupCount: number;
  groups: DigestGroup[];
}

export interface DeliveryRow {
  id: string;
  digestId: string;
  channel: DeliveryChannel;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface DigestWrite {
  digest: Omit<DigestRow, 'groups'> & { groups: DigestGroup[] };
  stories: Array<{ storyId: number; groupIndex: number }>;
  deliveries: Array<{ id: string; channel: DeliveryChannel; target: string; maxAttempts: number }>;
}

/** How an attempt ended: delivered, failed for good, cancelled, or pending again at `nextAttemptAt`. */
export interface DeliveryOutcomeWrite {
  status: DeliveryStatus;
  /** Where it went (the subscription's current URL or address). */
  target: string;
  now: string;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

const DIGEST_COLUMNS = `
  id, subscription_id AS subscriptionId, window_start AS windowStart, window_end AS windowEnd,
  generated_at AS generatedAt, story_count AS storyCount, group_count AS groupCount, groups`;
const DELIVERY_COLUMNS = `
  id, digest_id AS digestId, channel, target, status, attempts, max_attempts AS maxAttempts,
  next_attempt_at AS nextAttemptAt, last_attempt_at AS lastAttemptAt, last_status AS lastStatus,
  last_error AS lastError, delivered_at AS deliveredAt, created_at AS createdAt`;

function toDigest(row: Record<string, unknown> | undefined): DigestRow | undefined {
  return row && { ...(row as unknown as DigestRow), groups: JSON.parse(row.groups as string) as DigestGroup[] };
}

export function createDigestStore(db: Db) {
  const insertDigest = db.prepare(`
    INSERT INTO digests (id, subscription_id, window_start, window_end, generated_at, story_count, group_count, groups)
    VALUES (@id, @subscriptionId, @windowStart, @windowEnd, @generatedAt, @storyCount, @groupCount, @groups)`);
  const insertStory = db.prepare(`
    INSERT INTO digest_stories (subscription_id, story_id, digest_id, group_index) VALUES (?, ?, ?, ?)`);
  const insertDelivery = db.prepare(`
    INSERT INTO deliveries (id, digest_id, channel, target, status, attempts, max_attempts, next_attempt_at, created_at)
    VALUES (@id, @digestId, @channel, @target, 'pending', 0, @maxAttempts, @now, @now)`);
  const sent = db.prepare(`
    SELECT story_id FROM digest_stories
    WHERE subscription_id = @subscriptionId AND story_id IN (SELECT value FROM json_each(@ids))`).pluck();
  const newest = db.prepare(`
    SELECT ${DIGEST_COLUMNS} FROM digests WHERE subscription_id = @subscriptionId AND window_end < @before
    ORDER BY window_end DESC LIMIT @limit`);
  const one = db.prepare(`SELECT ${DIGEST_COLUMNS} FROM digests WHERE id = ?`);
  const deliveriesOf = db.prepare(`
    SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE digest_id IN (SELECT value FROM json_each(?)) ORDER BY digest_id, channel`);
  const deliveryById = db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ?`);
  const due = db.prepare(`
    SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_at <= @now
    ORDER BY next_attempt_at, id LIMIT @limit`);
  const claim = db.prepare(`
    UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = @now, next_attempt_at = @leaseUntil
    WHERE id = @id AND status = 'pending' AND next_attempt_at <= @now`);
  const finish = db.prepare(`
    UPDATE deliveries SET status = @status, target = @target, last_status = @lastStatus, last_error = @lastError,
      next_attempt_at = @nextAttemptAt, delivered_at = CASE WHEN @status = 'delivered' THEN @now END
    WHERE id = @id`);

  return {
    /** Writes a digest, its stories and its pending deliveries; runs inside the builder's transaction. */
    insertDigest(w: DigestWrite) {
      const d = w.digest;
      insertDigest.run({ ...d, groups: JSON.stringify(d.groups) });
      for (const s of w.stories) insertStory.run(d.subscriptionId, s.storyId, d.id, s.groupIndex);
      for (const dl of w.deliveries) insertDelivery.run({ ...dl, digestId: d.id, now: d.generatedAt });
    },
    /** Which of these stories an earlier digest of the subscription already carried. */
    alreadySent: (subscriptionId: string, ids: number[]): Set<number> =>
      new Set(ids.length === 0 ? [] : (sent.all({ subscriptionId, ids: JSON.stringify(ids) }) as number[])),
    /** Newest first; `before` pages by window end. */
    listDigests: (subscriptionId: string, limit: number, before = '9999'): DigestRow[] =>
      newest.all({ subscriptionId, before, limit }).map((r) => toDigest(r as Record<string, unknown>)!),
    getDigest: (id: string) => toDigest(one.get(id) as Record<string, unknown> | undefined),
    listDeliveries(digestIds: string[]): Map<string, DeliveryRow[]> {
      const byDigest = new Map<string, DeliveryRow[]>(digestIds.map((id) => [id, []]));
      for (const r of deliveriesOf.all(JSON.stringify(digestIds)) as DeliveryRow[]) byDigest.get(r.digestId)?.push(r);
      return byDigest;
    },
    getDelivery: (id: string) => deliveryById.get(id) as DeliveryRow | undefined,
    listDueDeliveries: (now: string, limit: number) => due.all({ now, limit }) as DeliveryRow[],
    /**
     * Starts an attempt: counts it and holds the delivery until `leaseUntil`. Only one process wins;
     * if it dies mid-attempt, the delivery is due again when the lease runs out.
     */
    claimDelivery: (id: string, now: string, leaseUntil: string) => claim.run({ id, now, leaseUntil }).changes > 0,
    finishDelivery: (id: string, o: DeliveryOutcomeWrite) => void finish.run({ id, ...o }),
  };
}

export type DigestStore = ReturnType<typeof createDigestStore>;
