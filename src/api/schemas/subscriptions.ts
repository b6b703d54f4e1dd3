import { z } from 'zod';
import { FEED_KINDS } from '../../config/index.js';
import { TIME_PATTERN, WEEKDAYS, canonicalTimeZone, checkCron, webhookUrlProblem } from '../../digests/index.js';

/** What request validation needs to know beyond the request itself. */
export interface SubscriptionRules {
  companies: ReadonlySet<string>;
  themes: ReadonlySet<string>;
  smtpConfigured: boolean;
  allowPrivateNetwork: boolean;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const FEED_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

function knownIds(known: ReadonlySet<string>, what: string) {
  return z
    .array(z.string())
    .max(50)
    .superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        if (!known.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `unknown ${what} id "${id}"` });
      });
    });
}

/** Daily at HH:MM, weekly on a weekday at HH:MM, or a cron expression; always with an IANA time zone. */
const ScheduleInputSchema = z
  .strictObject({
    every: z.enum(['daily', 'weekly']).optional().describe('daily or weekly; leave out with cron'),
    weekday: z.enum(WEEKDAYS).optional().describe('weekly only: sun, mon, tue, wed, thu, fri or sat'),
    time: z.string().regex(TIME_PATTERN, 'must be a time of day as HH:MM (24-hour), e.g. "08:00"').optional(),
    cron: z.string().max(200).optional().describe('5-field cron expression, e.g. "0 8 * * 1-5"'),
    timezone: z.string().max(100).describe('IANA time zone, e.g. Europe/Berlin'),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!canonicalTimeZone(s.timezone)) issue('timezone', `"${s.timezone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
    if (s.cron !== undefined) {
      for (const key of ['every', 'weekday', 'time'] as const) if (s[key] !== undefined) issue(key, `a cron schedule takes no ${key}`);
      const problem = checkCron(s.cron);
      if (problem) issue('cron', `"${s.cron}" ${problem}`);
      return;
    }
    if (s.every === undefined) return issue('every', 'give "every": "daily" or "weekly" (or a "cron" expression)');
    if (s.time === undefined) issue('time', `a ${s.every} schedule needs a time (HH:MM)`);
    if (s.every === 'daily' && s.weekday !== undefined) issue('weekday', 'a daily schedule takes no weekday');
    if (s.every === 'weekly' && s.weekday === undefined) issue('weekday', 'a weekly schedule needs a weekday (mon … sun)');
  });
export type ScheduleInput = z.infer<typeof ScheduleInputSchema>;

/** The request bodies, which check ids against the taxonomy and channels against the configuration. */
export function createSubscriptionBodySchemas(rules: SubscriptionRules) {
  const filter = z
    .strictObject({
      companies: knownIds(rules.companies, 'company').default([]),
      themes: knownIds(rules.themes, 'theme').default([]),
      sources: z.array(z.string().regex(FEED_ID, 'must be a feed id')).max(100).default([]),
      kinds: z.array(z.enum(FEED_KINDS)).max(5).default([]),
      q: z.string().trim().min(1).max(500).optional().describe('Full-text search, as in GET /api/v1/stories'),
    })
    .describe('Which stories: the same semantics as GET /api/v1/stories');
  const webhook = z.strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048)
      .superRefine((raw, ctx) => {
        const problem = webhookUrlProblem(raw, rules.allowPrivateNetwork);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    secret: z.string().min(16, 'must be at least 16 characters').max(256).optional().describe('HMAC key; generated (and shown once) when left out'),
  });
  const email = z
    .email('must be an email address')
    .max(254)
    .refine(() => rules.smtpConfigured, 'cannot send email: SMTP_URL is not set on this server');
  const fields = {
    name: z.string().trim().min(1).max(200).refine((v) => !CONTROL.test(v), 'must not contain control characters'),
    filter,
    schedule: ScheduleInputSchema,
    maxStories: z.number().int().min(1).max(200).describe('At most this many stories (groups) per digest'),
    webhook: webhook.nullable(),
    email: email.nullable(),
    sendEmpty: z.boolean().nullable().describe('Send a digest when nothing matched (null: the server default, DIGEST_SEND_EMPTY)'),
    enabled: z.boolean(),
  };
  const create = z.strictObject({
    ...fields,
    filter: filter.default({ companies: [], themes: [], sources: [], kinds: [] }),
    maxStories: fields.maxStories.default(20),
    webhook: fields.webhook.optional(),
    email: fields.email.optional(),
    sendEmpty: fields.sendEmpty.optional(),
    enabled: fields.enabled.default(true),
  });
  const update = z
    .strictObject({ ...fields, rotateToken: z.boolean().optional().describe('true: a new feed token (the old feed URL stops working)') })
    .partial()
    .refine((v) => Object.keys(v).length > 0, 'give at least one field to change');
  return { create, update };
}

export type CreateSubscriptionBody = z.infer<ReturnType<typeof createSubscriptionBodySchemas>['create']>;
export type UpdateSubscriptionBody = z.infer<ReturnType<typeof createSubscriptionBodySchemas>['update']>;

export const SubscriptionIdParamsSchema = z.strictObject({ id: z.uuid('must be a subscription id') });

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    token: z.string().describe('The capability in the feed and unsubscribe URLs'),
    feedUrl: z.string().describe('Atom feed of the digests; needs no account'),
    jsonFeedUrl: z.string(),
    unsubscribeUrl: z.string(),
    filter: z.object({ companies: z.array(z.string()), themes: z.array(z.string()), sources: z.array(z.string()), kinds: z.array(z.string()), q: z.string().nullable() }),
    schedule: z.object({ every: z.enum(['daily', 'weekly']).optional(), weekday: z.enum(WEEKDAYS).optional(), time: z.string().optional(), cron: z.string().optional(), timezone: z.string() }),
    scheduleText: z.string().describe('e.g. "every Monday at 08:00 (Europe/Berlin)"'),
    maxStories: z.number().int(),
    sendEmpty: z.boolean().describe('In effect: the subscription’s own choice or the server default'),
    webhook: z.object({ url: z.string(), hasSecret: z.boolean(), secret: z.string().optional().describe('Only in the answer that generated it') }).nullable(),
    email: z.string().nullable(),
    windowStart: z.string().describe('The next digest covers stories first seen after this time'),
    nextDigestAt: z.string().nullable(),
    lastDigestAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscription' });

const DigestStorySchema = z.object({
  id: z.string(),
  url: z.string().nullable(),
  title: z.string(),
  summary: z.string(),
  publishedAt: z.string(),
  source: z.object({ id: z.string(), name: z.string() }),
  companies: z.array(z.string()),
  themes: z.array(z.string()),
});

export const DigestGroupSchema = z
  .object({
    title: z.string(),
    url: z.string().nullable(),
    score: z.number(),
    sources: z.array(z.object({ id: z.string(), name: z.string() })),
    stories: z.array(DigestStorySchema),
  })
  .meta({ id: 'DigestGroup' });

export const DeliverySchema = z
  .object({
    id: z.string().describe('Idempotency key: the same on every attempt (X-Shiftwire-Delivery)'),
    channel: z.enum(['webhook', 'email']),
    target: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().describe('HTTP status or SMTP reply code of the last attempt'),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'Delivery' });

export const DigestSchema = z
  .object({
    id: z.string(),
    windowStart: z.string(),
    windowEnd: z.string(),
    generatedAt: z.string(),
    storyCount: z.number().int(),
    groupCount: z.number().int(),
    url: z.string().describe('The digest as a web page'),
    groups: z.array(DigestGroupSchema),
    deliveries: z.array(DeliverySchema),
  })
  .meta({ id: 'Digest' });

export const DigestListQuerySchema = z.strictObject({
  // Digits only: z.coerce would also take "0x27", "1e1" or " 5" (Number() reads them all).
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be a whole number from 1 to 100').max(100, 'must be a whole number from 1 to 100'))
    .default(20),
  before: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time (a windowEnd from the previous page)' }).optional(),
});
