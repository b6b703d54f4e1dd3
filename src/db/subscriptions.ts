import type { Schedule } from '../digests/schedule.js';
import type { Db } from './open.js';

/** What a subscription selects: the same semantics as GET /api/v1/stories. */
export interface SubscriptionFilter {
  companies: string[];
  themes: string[];
  sources: string[];
  kinds: string[];
  q: string | null;
}

export interface SubscriptionRow {
  id: string;
  name: string;
  token: string;
  filter: SubscriptionFilter;
  /** filter.q compiled to a safe FTS5 expression, or null. */
  filterMatch: string | null;
  schedule: Schedule;
  maxStories: number;
  /** null: follow DIGEST_SEND_EMPTY. */
  sendEmpty: boolean | null;
  webhookUrl: string | null;
  webhookSecret: string | null;
  email: string | null;
  enabled: boolean;
  /** The next digest covers stories first seen after this time. */
  windowEnd: string;
  /** null while disabled. */
  nextDigestAt: string | null;
  lastDigestAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS = `
  id, name, token, filter, filter_match AS filterMatch, schedule, max_stories AS maxStories, send_empty AS sendEmpty,
  webhook_url AS webhookUrl, webhook_secret AS webhookSecret, email, enabled, window_end AS windowEnd,
  next_digest_at AS nextDigestAt, last_digest_at AS lastDigestAt, created_at AS createdAt, updated_at AS updatedAt`;

function toSubscription(row: Record<string, unknown> | undefined): SubscriptionRow | undefined {
  if (!row) return undefined;
  return {
    ...(row as unknown as SubscriptionRow),
    filter: JSON.parse(row.filter as string) as SubscriptionFilter,
    schedule: JSON.parse(row.schedule as string) as Schedule,
    sendEmpty: row.sendEmpty === null ? null : row.sendEmpty === 1,
    enabled: row.enabled === 1,
  };
}

function toParams(s: SubscriptionRow): Record<string, string | number | null> {
  return {
    id: s.id,
    name: s.name,
    token: s.token,
    filter: JSON.stringify(s.filter),
    filterMatch: s.filterMatch,
    schedule: JSON.stringify(s.schedule),
    maxStories: s.maxStories,
    sendEmpty: s.sendEmpty === null ? null : s.sendEmpty ? 1 : 0,
    webhookUrl: s.webhookUrl,
    webhookSecret: s.webhookSecret,
    email: s.email,
    enabled: s.enabled ? 1 : 0,
    windowEnd: s.windowEnd,
    nextDigestAt: s.nextDigestAt,
    lastDigestAt: s.lastDigestAt,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function createSubscriptionStore(db: Db) {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM subscriptions WHERE id = ?`);
  const byToken = db.prepare(`SELECT ${COLUMNS} FROM subscriptions WHERE token = ?`);
  const all = db.prepare(`SELECT ${COLUMNS} FROM subscriptions ORDER BY created_at, id`);
  const due = db.prepare(`SELECT ${COLUMNS} FROM subscriptions WHERE next_digest_at <= ? ORDER BY next_digest_at, id`);
  const insert = db.prepare(`
    INSERT INTO subscriptions (id, name, token, filter, filter_match, schedule, max_stories, send_empty, webhook_url,
      webhook_secret, email, enabled, window_end, next_digest_at, last_digest_at, created_at, updated_at)
    VALUES (@id, @name, @token, @filter, @filterMatch, @schedule, @maxStories, @sendEmpty, @webhookUrl,
      @webhookSecret, @email, @enabled, @windowEnd, @nextDigestAt, @lastDigestAt, @createdAt, @updatedAt)`);
  const update = db.prepare(`
    UPDATE subscriptions SET name = @name, token = @token, filter = @filter, filter_match = @filterMatch,
      schedule = @schedule, max_stories = @maxStories, send_empty = @sendEmpty, webhook_url = @webhookUrl,
      webhook_secret = @webhookSecret, email = @email, enabled = @enabled, window_end = @windowEnd,
      next_digest_at = @nextDigestAt, updated_at = @updatedAt
    WHERE id = @id`);
  const advance = db.prepare(`
    UPDATE subscriptions SET window_end = @windowEnd, next_digest_at = @nextDigestAt,
      last_digest_at = coalesce(@lastDigestAt, last_digest_at)
    WHERE id = @id`);
  const disable = db.prepare(`UPDATE subscriptions SET enabled = 0, next_digest_at = NULL, updated_at = @now WHERE id = @id AND enabled = 1`);
  const remove = db.prepare(`DELETE FROM subscriptions WHERE id = ?`);

  return {
    getSubscription: (id: string) => toSubscription(byId.get(id) as Record<string, unknown> | undefined),
    getSubscriptionByToken: (token: string) => toSubscription(byToken.get(token) as Record<string, unknown> | undefined),
    listSubscriptions: (): SubscriptionRow[] => all.all().map((r) => toSubscription(r as Record<string, unknown>)!),
    /** Enabled subscriptions whose next digest is due at `now` (disabled ones have no due time). */
    listDueSubscriptions: (now: string): SubscriptionRow[] => due.all(now).map((r) => toSubscription(r as Record<string, unknown>)!),
    insertSubscription: (s: SubscriptionRow) => void insert.run(toParams(s)),
    /** Replaces every field a user can change, and the window and due time that follow from them. */
    updateSubscription: (s: SubscriptionRow) => update.run(toParams(s)).changes > 0,
    /** After a digest (or an empty period): the next window starts where this one ended. */
    advanceWindow: (id: string, windowEnd: string, nextDigestAt: string | null, lastDigestAt: string | null) =>
      void advance.run({ id, windowEnd, nextDigestAt, lastDigestAt }),
    /** The unsubscribe link. Returns false when it was already off. */
    disableSubscription: (id: string, now: string) => disable.run({ id, now }).changes > 0,
    deleteSubscription: (id: string) => remove.run(id).changes > 0,
  };
}

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;
