import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

export const FEED_KINDS = ['company', 'news', 'commentary', 'research', 'policy'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(fallback);

const cron = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => isValidCron(v), 'must be a cron expression such as "*/15 * * * *"');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Every environment variable Shiftwire reads, with its default. The README table mirrors this. */
export const EnvSchema = z.object({
  DATABASE_PATH: z.string().min(1).default('./data/shiftwire.db'),
  FEEDS_FILE: z.string().min(1).default('./feeds.yaml'),
  TAXONOMY_FILE: z.string().min(1).default('./taxonomy.yaml'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  FETCH_SCHEDULE: cron('*/15 * * * *'),
  FETCH_CONCURRENCY: int(8, 1, 64),
  FETCH_TIMEOUT_SECONDS: int(30, 1, 600),
  FETCH_MAX_BYTES: int(10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  FETCH_MAX_REDIRECTS: int(5, 0, 20),
  ALLOW_PRIVATE_NETWORK: bool(false),
  // Worker threads that parse, sanitize and tag fetched feeds. Unset: see defaultWorkerCount. 0: in the main thread.
  INGEST_WORKERS: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().max(32, 'must be at most 32')).optional(),
  ),
  // Which thread writes what the workers parsed. Unset: `main` for `ingest`, `workers` for `serve`.
  INGEST_WRITER: optionalString.pipe(z.enum(['main', 'workers'], { error: 'must be main or workers' }).optional()),
  ADMIN_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  RATE_LIMIT_MAX: int(300, 0, 1_000_000),
  RETENTION_DAYS: optionalString.pipe(
    z.string().regex(/^\d+$/, 'must be a whole number of days').transform(Number).pipe(z.number().min(1, 'must be at least 1 day')).optional(),
  ),
  DIGEST_SCHEDULE: cron('* * * * *'),
  DIGEST_SEND_EMPTY: bool(false),
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
  MAIL_FROM: z.string().default('Shiftwire <shiftwire@localhost>'),
});
export type Env = z.infer<typeof EnvSchema>;

export const FeedEntrySchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lower-case letters, digits and dashes'),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  kind: z.enum(FEED_KINDS).default('news'),
  enabled: z.boolean().default(true),
});
export type FeedEntry = z.infer<typeof FeedEntrySchema>;

export const FeedsFileSchema = z
  .strictObject({ feeds: z.array(FeedEntrySchema) })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.feeds.forEach((feed, i) => {
      const first = seen.get(feed.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['feeds', i, 'id'], message: `duplicate id "${feed.id}" (also feeds[${first}])` });
      }
      seen.set(feed.id, i);
    });
  });
