import { randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { SubscriptionRow } from '../db/subscriptions.js';
import { firstWindow, nextOccurrence } from './schedule.js';
import type { DigestServiceDeps } from './service.js';

export { buildDigestGroups, groupStories, type DigestGroup, type DigestStory } from './build.js';
export { DEFAULT_RETRY, signWebhook, webhookUrlProblem, type RetryPolicy } from './deliver.js';
export { digestTitle, digestUrls, escapeHtml, renderDigestFeed, renderDigestHtml, type DigestView } from './render.js';
export {
  WEEKDAYS,
  TIME_PATTERN,
  canonicalTimeZone,
  checkCron,
  describeSchedule,
  firstWindow,
  nextOccurrence,
  previousOccurrence,
  type Schedule,
  type Weekday,
} from './schedule.js';
export { createDigestService, type DeliveryOutcome, type DigestOutcome, type DigestService, type DigestServiceDeps } from './service.js';

/** The part of the configuration the digest service reads. */
export function digestSettings(
  config: Pick<Config, 'publicUrl' | 'allowPrivateNetwork' | 'smtpUrl' | 'mailFrom' | 'digestSendEmpty'>,
): Pick<DigestServiceDeps, 'publicUrl' | 'allowPrivateNetwork' | 'smtpUrl' | 'mailFrom' | 'sendEmptyDefault'> {
  return {
    publicUrl: config.publicUrl,
    allowPrivateNetwork: config.allowPrivateNetwork,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
    sendEmptyDefault: config.digestSendEmpty,
  };
}

/** What a person chooses about a subscription; the rest (token, windows, times) follows. */
export type SubscriptionInput = Pick<
  SubscriptionRow,
  'name' | 'filter' | 'filterMatch' | 'schedule' | 'maxStories' | 'sendEmpty' | 'webhookUrl' | 'webhookSecret' | 'email' | 'enabled'
>;

/** The feed capability: 192 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A new subscription: its first digest is due at the next scheduled time and covers one period before it. */
export function newSubscription(input: SubscriptionInput, now: Date): SubscriptionRow {
  const { windowStart, dueAt } = firstWindow(input.schedule, now);
  const at = now.toISOString();
  return {
    ...input,
    id: randomUUID(),
    token: newToken(),
    windowEnd: windowStart.toISOString(),
    nextDigestAt: input.enabled ? dueAt.toISOString() : null,
    lastDigestAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A subscription after a change. A new schedule moves the next due time but keeps the window, so no
 * story falls between the old schedule and the new one; turning it off clears the due time; turning
 * it back on starts like a new subscription, never reaching back before the previous window end.
 */
export function changeSubscription(current: SubscriptionRow, changes: Partial<SubscriptionInput>, now: Date, rotateToken = false): SubscriptionRow {
  const next: SubscriptionRow = { ...current, ...changes, updatedAt: now.toISOString() };
  if (rotateToken) next.token = newToken();
  if (!next.enabled) {
    next.nextDigestAt = null;
  } else if (!current.enabled) {
    const { windowStart, dueAt } = firstWindow(next.schedule, now);
    const start = windowStart.toISOString();
    next.windowEnd = start > current.windowEnd ? start : current.windowEnd;
    next.nextDigestAt = dueAt.toISOString();
  } else if (JSON.stringify(current.schedule) !== JSON.stringify(next.schedule)) {
    next.nextDigestAt = nextOccurrence(next.schedule, now)?.toISOString() ?? null;
  }
  return next;
}
