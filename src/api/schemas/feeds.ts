import { z } from 'zod';
import { FEED_KINDS } from '../../config/index.js';

export const FeedSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    kind: z.enum(FEED_KINDS),
    enabled: z.boolean(),
    origin: z.enum(['config', 'api', 'opml']).describe('config: from feeds.yaml; api: added through the API; opml: imported'),
    status: z.enum(['ok', 'failing', 'pending', 'disabled']).describe('pending: never fetched yet'),
    title: z.string().nullable().describe("The feed's own title, as last read"),
    siteUrl: z.string().nullable(),
    lastFetchedAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastStatus: z.number().int().nullable().describe('HTTP status of the last attempt'),
    lastError: z.string().nullable().describe('Why the last attempt failed, in plain words'),
    lastErrorCode: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    nextFetchAt: z.string().nullable(),
    storyCount: z.number().int(),
  })
  .meta({ id: 'Feed' });

export const FeedIdParamsSchema = z.strictObject({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a feed id (a slug)') });

export const CreateFeedSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a slug: lower-case letters, digits and dashes')
    .optional()
    .describe('Stable slug; derived from the name when omitted'),
  name: z.string().trim().min(1).max(200),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
  kind: z.enum(FEED_KINDS).default('news'),
  enabled: z.boolean().default(true),
});

export const UpdateFeedSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
    kind: z.enum(FEED_KINDS),
    enabled: z.boolean(),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'give at least one of name, url, kind, enabled');

export const RefreshResultSchema = z.object({
  feed: FeedSchema,
  result: z.object({
    outcome: z.enum(['updated', 'not-modified', 'failed']),
    httpStatus: z.number().int().nullable(),
    newStories: z.number().int(),
    knownStories: z.number().int(),
    error: z.string().nullable(),
    durationMs: z.number(),
  }),
});
