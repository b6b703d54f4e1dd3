/**
 * Builds the digests that are due and delivers the pending ones. The scheduler calls `tick` (both);
 * `shiftwire digest run` calls the same functions.
 *
 * Building: each due subscription gets ONE digest in ONE immediate transaction: the window
 * (previous window end, latest scheduled time <= now] is selected, grouped and ranked, and the digest,
 * its stories, a pending delivery per channel and the new window end are written together. The write
 * lock serializes this with ingestion, which stamps first_seen_at inside its own immediate transaction:
 * every story first seen up to the window end is visible, and none can appear later with an earlier
 * time. So windows tile time: no story twice, none lost, and downtime yields one catch-up digest.
 *
 * Delivering: at-least-once, with the delivery id as idempotency key. An attempt is claimed (counted,
 * and leased) before it starts and recorded after; a crash in between leaves the delivery pending,
 * and it is sent again, with the same id, when the lease ends.
 */
import { randomUUID } from 'node:crypto';
import { createDigestStore, type DeliveryRow, type DeliveryStatus } from '../db/digests.js';
import type { Db } from '../db/open.js';
import { createStoryQueries } from '../db/story-query.js';
import { createStoryReader } from '../db/story-read.js';
import { createSubscriptionStore, type SubscriptionRow } from '../db/subscriptions.js';
import type { AddressPolicy } from '../net/guard.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { AppError, describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { buildDigestGroups } from './build.js';
import { createMailer, DEFAULT_RETRY, postWebhook, retryDelay, type AttemptResult, type RetryPolicy } from './deliver.js';
import { digestTitle, digestUrls, renderDigestHtml, renderDigestText, renderWebhookBody, type DigestView } from './render.js';
import { compileSchedule, nextOccurrence, previousOccurrence } from './schedule.js';

export interface DigestServiceDeps {
  db: Db;
  log: Logger;
  publicUrl: string;
  allowPrivateNetwork: boolean;
  /** Tests use this to call one loopback address private and another public. */
  addressPolicy?: AddressPolicy;
  smtpUrl?: string | undefined;
  mailFrom: string;
  /** DIGEST_SEND_EMPTY: what subscriptions without their own `sendEmpty` do with an empty period. */
  sendEmptyDefault: boolean;
  retry?: Partial<RetryPolicy>;
  webhookTimeoutMs?: number;
  /** The real time (signature timestamps, and the guard against a `now` in the future). */
  clock?: Clock;
}

export interface DigestOutcome {
  subscriptionId: string;
  name: string;
  /** built: a digest was written; empty: nothing matched and none was sent; not-due: asked for by id. */
  outcome: 'built' | 'empty' | 'not-due' | 'error';
  windowStart: string | null;
  windowEnd: string | null;
  digestId: string | null;
  stories: number;
  groups: number;
  deliveries: Array<{ id: string; channel: DeliveryRow['channel']; target: string }>;
  nextDigestAt: string | null;
  error?: string;
}

export interface DeliveryOutcome {
  deliveryId: string;
  digestId: string;
  subscriptionId: string;
  channel: DeliveryRow['channel'];
  target: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  error: string | null;
  nextAttemptAt: string | null;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export function createDigestService(deps: DigestServiceDeps) {
  const subs = createSubscriptionStore(deps.db);
  const digests = createDigestStore(deps.db);
  const queries = createStoryQueries(deps.db);
  const reader = createStoryReader(deps.db);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const clock = deps.clock ?? systemClock;
  const mailer = deps.smtpUrl ? createMailer({ smtpUrl: deps.smtpUrl, from: deps.mailFrom }) : undefined;
  const host = new URL(deps.publicUrl).hostname || 'shiftwire';

  function outcomeOf(sub: SubscriptionRow, outcome: DigestOutcome['outcome'], extra: Partial<DigestOutcome> = {}): DigestOutcome {
    const base = { windowStart: null, windowEnd: null, digestId: null, stories: 0, groups: 0, deliveries: [], nextDigestAt: sub.nextDigestAt };
    return { subscriptionId: sub.id, name: sub.name, outcome, ...base, ...extra };
  }

  const buildOne = deps.db.transaction((id: string, now: Date): DigestOutcome | undefined => {
    const sub = subs.getSubscription(id);
    if (!sub) return undefined;
    const nowIso = now.toISOString();
    if (!sub.enabled || sub.nextDigestAt === null || sub.nextDigestAt > nowIso) return outcomeOf(sub, 'not-due');
    // The window ends at the latest scheduled time (not at `now`), so one late run covers every missed tick.
    const matcher = compileSchedule(sub.schedule);
    const scheduled = previousOccurrence(sub.schedule, now, matcher)?.toISOString() ?? nowIso;
    const nextDigestAt = nextOccurrence(sub.schedule, now, matcher)?.toISOString() ?? null;
    const window = { windowStart: sub.windowEnd, windowEnd: scheduled > sub.windowEnd ? scheduled : sub.windowEnd, nextDigestAt };
    const { companies, themes, sources, kinds } = sub.filter;
    const filter = { companies, themes, sources, kinds, ...(sub.filterMatch ? { match: sub.filterMatch } : {}) };
    const found = queries.listIdsFirstSeenBetween(filter, window.windowStart, window.windowEnd);
    const sent = digests.alreadySent(sub.id, found);
    const stories = reader.getStories(found.filter((storyId) => !sent.has(storyId)));
    const { groups, placements } = buildDigestGroups(stories, { companies, themes }, sub.maxStories);
    if (groups.length === 0 && !(sub.sendEmpty ?? deps.sendEmptyDefault)) {
      subs.advanceWindow(sub.id, window.windowEnd, nextDigestAt, null);
      return outcomeOf(sub, 'empty', window);
    }
    const digestId = randomUUID();
    const deliveries = [
      ...(sub.webhookUrl ? [{ id: randomUUID(), channel: 'webhook' as const, target: sub.webhookUrl, maxAttempts: retry.maxAttempts }] : []),
      ...(sub.email ? [{ id: randomUUID(), channel: 'email' as const, target: sub.email, maxAttempts: retry.maxAttempts }] : []),
    ];
    digests.insertDigest({
      digest: { id: digestId, subscriptionId: sub.id, ...window, generatedAt: nowIso, storyCount: placements.length, groupCount: groups.length, groups },
      stories: placements,
      deliveries,
    });
    subs.advanceWindow(sub.id, window.windowEnd, nextDigestAt, nowIso);
    return outcomeOf(sub, 'built', { ...window, digestId, stories: placements.length, groups: groups.length, deliveries });
  });

  /** Builds a digest for every subscription due at `now` (or only the one asked for). */
  async function runDue(now: Date, opts: { subscriptionId?: string } = {}): Promise<DigestOutcome[]> {
    if (now.getTime() > clock().getTime() + 60_000) {
      throw new AppError('VALIDATION_FAILED', `${now.toISOString()} is in the future: a digest window cannot end after the present`);
    }
    let due: SubscriptionRow[];
    if (opts.subscriptionId !== undefined) {
      const sub = subs.getSubscription(opts.subscriptionId);
      if (!sub) throw new AppError('SUBSCRIPTION_NOT_FOUND', `subscription "${opts.subscriptionId}" does not exist`);
      due = [sub];
    } else {
      due = subs.listDueSubscriptions(now.toISOString());
    }
    const outcomes: DigestOutcome[] = [];
    for (const sub of due) {
      try {
        const outcome = buildOne.immediate(sub.id, now);
        // Not due any more (another process built it meanwhile) only matters to who asked by id.
        if (outcome && (outcome.outcome !== 'not-due' || opts.subscriptionId !== undefined)) outcomes.push(outcome);
        if (outcome?.outcome === 'built') deps.log.info({ subscriptionId: sub.id, digestId: outcome.digestId, stories: outcome.stories, groups: outcome.groups }, 'digest built');
      } catch (err) {
        deps.log.error({ subscriptionId: sub.id, err }, 'digest build failed');
        outcomes.push(outcomeOf(sub, 'error', { error: describeError(err) }));
      }
    }
    return outcomes;
  }

  type Sent = AttemptResult & { target: string; cancel?: boolean };

  async function send(delivery: DeliveryRow, sub: SubscriptionRow, view: DigestView): Promise<Sent> {
    const urls = digestUrls(deps.publicUrl, sub.token);
    if (delivery.channel === 'webhook') {
      if (!sub.webhookUrl || !sub.webhookSecret) return { ok: false, status: null, error: 'the subscription no longer has a webhook', cancel: true, target: delivery.target };
      const timestamp = Math.floor(clock().getTime() / 1000);
      const settings = { allowPrivateNetwork: deps.allowPrivateNetwork, timeoutMs: deps.webhookTimeoutMs ?? 15_000, ...(deps.addressPolicy ? { addressPolicy: deps.addressPolicy } : {}) };
      const result = await postWebhook({ url: sub.webhookUrl, secret: sub.webhookSecret }, delivery.id, renderWebhookBody(delivery.id, view), timestamp, settings);
      return { ...result, target: sub.webhookUrl };
    }
    if (!sub.email) return { ok: false, status: null, error: 'the subscription no longer has an email address', cancel: true, target: delivery.target };
    if (!mailer) return { ok: false, status: null, error: 'email cannot be sent: SMTP_URL is not set', target: sub.email };
    const links = { pageUrl: urls.page(view.digest.id), feedUrl: urls.atom, unsubscribeUrl: urls.unsubscribe };
    const mail = { to: sub.email, subject: digestTitle(view), text: renderDigestText(view, links), html: renderDigestHtml(view, links), messageId: `<${delivery.id}@${host}>`, unsubscribeUrl: urls.unsubscribe };
    return { ...(await mailer.send(mail)), target: sub.email };
  }

  async function attempt(delivery: DeliveryRow, now: Date): Promise<DeliveryOutcome | undefined> {
    const nowIso = now.toISOString();
    if (!digests.claimDelivery(delivery.id, nowIso, new Date(now.getTime() + retry.leaseMs).toISOString())) return undefined;
    const attempts = delivery.attempts + 1;
    const digest = digests.getDigest(delivery.digestId);
    const sub = digest && subs.getSubscription(digest.subscriptionId);
    if (!digest || !sub) return undefined; // deleted meanwhile: the cascade took the delivery too
    const result: Sent = sub.enabled
      ? await send(delivery, sub, { subscription: { id: sub.id, name: sub.name, timezone: sub.schedule.timezone }, digest })
      : { ok: false, status: null, error: 'the subscription was turned off before this digest went out', cancel: true, target: delivery.target };
    const status: DeliveryStatus = result.ok ? 'delivered' : result.cancel ? 'cancelled' : result.permanent || attempts >= delivery.maxAttempts ? 'failed' : 'pending';
    const nextAttemptAt = status === 'pending' ? new Date(now.getTime() + retryDelay(retry, attempts, result.retryAfterMs)).toISOString() : null;
    const error = result.ok ? null : (result.error ?? 'unknown error');
    digests.finishDelivery(delivery.id, { status, target: result.target, now: nowIso, lastStatus: result.status, lastError: error, nextAttemptAt });
    const fields = { deliveryId: delivery.id, subscriptionId: sub.id, channel: delivery.channel, attempts, status, error: error ?? undefined, nextAttemptAt: nextAttemptAt ?? undefined };
    deps.log[result.ok ? 'info' : 'warn'](fields, result.ok ? 'digest delivered' : 'digest delivery failed');
    return { deliveryId: delivery.id, digestId: digest.id, subscriptionId: sub.id, channel: delivery.channel, target: result.target, status, attempts, maxAttempts: delivery.maxAttempts, error, nextAttemptAt };
  }

  /** Attempts every delivery due at `now`, a few at a time, each at most once per call. */
  async function deliverPending(now: Date): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = [];
    const tried = new Set<string>();
    for (;;) {
      const batch = digests.listDueDeliveries(now.toISOString(), 20).filter((d) => !tried.has(d.id));
      if (batch.length === 0) return outcomes;
      for (const d of batch) tried.add(d.id);
      for (const o of await mapLimited(batch, 4, (d) => attempt(d, now))) if (o) outcomes.push(o);
    }
  }

  return {
    runDue,
    deliverPending,
    /** What the scheduler runs: build what is due, then deliver what is pending. */
    async tick(now: Date) {
      return { digests: await runDue(now), deliveries: await deliverPending(now) };
    },
    close: () => mailer?.close(),
  };
}

export type DigestService = ReturnType<typeof createDigestService>;
