import { z } from 'zod';
import { FEED_KINDS } from '../../config/index.js';

/**
 * Query strings arrive as strings, or as arrays when a parameter is repeated (`?company=a&company=b`).
 * List parameters accept both (comma lists, repeated, or a mix); single-valued ones say "give it once".
 */
const once = (message: string) =>
  z.string({ error: (issue) => (Array.isArray(issue.input) ? 'give this parameter only once' : message) });

function listParam<T extends z.ZodType<string, string>>(item: T, description: string) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((value) => {
      const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
      return [...new Set(parts.map((p) => p.trim()).filter((p) => p.length > 0))];
    })
    .pipe(z.array(item).max(50, 'at most 50 values'))
    .optional()
    .describe(description);
}

/**
 * ISO 8601: a date (2025-01-27) or a date-time with optional seconds, fraction and offset (no offset =
 * UTC). A space before the offset is read as "+": an unencoded "+02:00" in a URL arrives as " 02:00".
 */
export const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+\- ]\d{2}:?\d{2})?)?$/i;

const dateParam = (description: string) =>
  once('must be an ISO 8601 date (2025-01-27) or date-time (2025-01-27T14:03:00Z)')
    .max(40, 'must be an ISO 8601 date (2025-01-27) or date-time (2025-01-27T14:03:00Z)')
    .regex(ISO_DATE, 'must be an ISO 8601 date (2025-01-27) or date-time (2025-01-27T14:03:00Z)')
    .optional()
    .describe(description);

const idList = z.string().max(100, 'each value must be at most 100 characters');

/** The filters of GET /api/v1/stories, shared by the feeds out (.atom, .rss, .json). */
export const StoriesQuerySchema = z.strictObject({
  company: listParam(idList, 'Company ids (see /api/v1/companies), comma-separated: any of them'),
  theme: listParam(idList, 'Theme ids (see /api/v1/themes), comma-separated: any of them. With company, a story must match both'),
  source: listParam(idList, 'Feed ids (see /api/v1/feeds), comma-separated: stories any of them carried'),
  kind: listParam(z.enum(FEED_KINDS, { error: (issue) => `unknown feed kind "${String(issue.input)}" (one of ${FEED_KINDS.join(', ')})` }), `Feed kinds, comma-separated: ${FEED_KINDS.join(', ')}`),
  q: once('must be text')
    .max(500, 'must be at most 500 characters')
    .optional()
    .describe('Full-text search over title and summary: words (all must appear), "exact phrases", prefix*, AND / OR / NOT, -word, (groups)'),
  since: dateParam('Published at or after (ISO 8601 date or date-time; a bare date-time is UTC)'),
  until: dateParam('Published at or before (ISO 8601; a bare date includes that whole day)'),
  limit: once('must be a whole number from 1 to 200')
    .regex(/^\d{1,4}$/, 'must be a whole number from 1 to 200')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be a whole number from 1 to 200').max(200, 'must be a whole number from 1 to 200'))
    .optional()
    .describe('Stories per page, 1–200 (default 50)'),
  cursor: once('must be the nextCursor of a previous page').optional().describe('nextCursor from the previous page'),
  sort: z
    .enum(['published', 'relevance'], { error: (issue) => (Array.isArray(issue.input) ? 'give this parameter only once' : 'must be published or relevance') })
    .optional()
    .describe('published (default, newest first) or relevance (best match first among the 5,000 newest matches; needs q)'),
  include: listParam(z.enum(['content'], { error: (issue) => `unknown value "${String(issue.input)}" (only content)` }), 'Extra fields in list items: content (contentHtml)'),
});

export type StoriesQuery = z.infer<typeof StoriesQuerySchema>;

export const StoryIdParamsSchema = z.strictObject({
  id: z.string().regex(/^\d{1,16}$/, 'must be a story id (digits)').describe('Story id, as given in lists'),
});

const StorySourceSchema = z.object({ id: z.string(), name: z.string(), kind: z.string() });

export const StoryTagSchema = z
  .object({
    kind: z.enum(['company', 'theme']),
    id: z.string(),
    score: z.number(),
    evidence: z.array(z.unknown()).describe('Why the tag was given: the terms found and where'),
  })
  .meta({ id: 'StoryTag' });

export const StorySchema = z
  .object({
    id: z.string().describe('Integer id as a string; ids sort in publication order'),
    url: z.string().nullable(),
    title: z.string(),
    summary: z.string(),
    contentHtml: z.string().nullable().optional().describe('Sanitized HTML; in lists only with include=content'),
    imageUrl: z.string().nullable(),
    publishedAt: z.string(),
    fetchedAt: z.string().describe('When Shiftwire first saw the story'),
    dateEstimated: z.boolean().describe('true: the item had no usable date; publishedAt is when it was first seen'),
    source: StorySourceSchema.describe('The first feed that carried the story'),
    sources: z.array(StorySourceSchema.extend({ url: z.string().nullable() })).describe('Every feed that carried it'),
    companies: z.array(z.string()),
    themes: z.array(z.string()),
    tags: z.array(StoryTagSchema),
  })
  .meta({ id: 'Story' });

export type Story = z.infer<typeof StorySchema>;

export const StoryListSchema = z
  .object({
    stories: z.array(StorySchema),
    nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
  })
  .meta({ id: 'StoryList' });

export type StoryList = z.infer<typeof StoryListSchema>;

export const TagSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  counts: z.object({ last24h: z.number().int(), last7d: z.number().int(), last30d: z.number().int() }),
  lastSeenAt: z.string().nullable().describe('Publication time of the newest story with this tag'),
});

export const CompaniesSchema = z.object({ companies: z.array(TagSummarySchema) }).meta({ id: 'Companies' });
export const ThemesSchema = z.object({ themes: z.array(TagSummarySchema) }).meta({ id: 'Themes' });

export const TrendsQuerySchema = z.strictObject({
  company: once('must be one company id').max(100).optional().describe('A company id (give company or theme, not both)'),
  theme: once('must be one theme id').max(100).optional().describe('A theme id'),
  interval: z
    .enum(['day', 'week'], { error: (issue) => (Array.isArray(issue.input) ? 'give this parameter only once' : 'must be day or week') })
    .optional()
    .describe('day (default) or week (ISO weeks, starting Monday, UTC)'),
  since: dateParam('First bucket contains this time (default: 30 days ago for day, 26 weeks ago for week)'),
  until: dateParam('Last bucket contains this time (default: now)'),
});

export const TrendsSchema = z
  .object({
    kind: z.enum(['company', 'theme']),
    id: z.string(),
    interval: z.enum(['day', 'week']),
    buckets: z.array(z.object({ start: z.string(), count: z.number().int() })).describe('Oldest first, zero-filled'),
  })
  .meta({ id: 'Trends' });
