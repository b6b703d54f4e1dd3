import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createTagStats } from '../../db/tag-stats.js';
import type { AppDeps } from '../app.js';
import { problemResponses } from '../schemas/common.js';
import { CompaniesSchema, ThemesSchema, TrendsQuerySchema, TrendsSchema } from '../schemas/stories.js';
import { badParameter, parseIsoTime } from '../story-filter.js';
import { LIST_CACHE } from './stories.js';

const DAY = 86_400_000;
export const MAX_BUCKETS = 400;

/** Day number since the epoch (UTC) → the day number of its ISO week's Monday (1970-01-01 was a Thursday). */
const mondayOf = (day: number) => day - (((day + 3) % 7) + 7) % 7;

/**
 * Zero-filled buckets from the one containing `since` to the one containing `until`, oldest first.
 * Buckets are whole UTC days or ISO weeks (Monday 00:00 UTC); counts come from daily counts on the
 * tag timeline index.
 */
export function trendBuckets(
  daily: (from: Date, to: Date) => Map<number, number>,
  interval: 'day' | 'week',
  sinceMs: number,
  untilMs: number,
): Array<{ start: string; count: number }> {
  const step = interval === 'day' ? 1 : 7;
  const first = interval === 'day' ? Math.floor(sinceMs / DAY) : mondayOf(Math.floor(sinceMs / DAY));
  const last = interval === 'day' ? Math.floor(untilMs / DAY) : mondayOf(Math.floor(untilMs / DAY));
  const n = Math.floor((last - first) / step) + 1;
  if (n > MAX_BUCKETS) {
    throw badParameter('since', `since..until spans ${n} ${interval}s; at most ${MAX_BUCKETS} buckets (narrow the range or use interval=week)`);
  }
  const counts = daily(new Date(first * DAY), new Date((last + step) * DAY));
  const buckets = Array.from({ length: n }, (_, i) => ({ start: new Date((first + i * step) * DAY).toISOString(), count: 0 }));
  for (const [day, count] of counts) {
    const i = Math.floor((day - first) / step);
    if (i >= 0 && i < n) buckets[i]!.count += count;
  }
  return buckets;
}

export const tagRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const stats = createTagStats(deps.db);
  const summarize = (kind: 'company' | 'theme', list: ReadonlyArray<{ id: string; name: string }>) => {
    const now = deps.clock();
    return list.map(({ id, name }) => {
      const { lastSeenAt, ...counts } = stats.counts(kind, id, now);
      return { id, name, counts, lastSeenAt };
    });
  };
  const ids = { company: new Set(deps.tagger.companies.map((c) => c.id)), theme: new Set(deps.tagger.themes.map((t) => t.id)) };

  r.get('/companies', {
    config: { cacheControl: LIST_CACHE },
    schema: {
      summary: 'Every company in the taxonomy, with story counts over the last 24 hours, 7 days and 30 days',
      tags: ['companies & themes'],
      querystring: z.strictObject({}),
      response: { 200: CompaniesSchema, ...problemResponses },
    },
  }, async () => ({ companies: summarize('company', deps.tagger.companies) }));

  r.get('/themes', {
    config: { cacheControl: LIST_CACHE },
    schema: {
      summary: 'Every theme in the taxonomy, with story counts over the last 24 hours, 7 days and 30 days',
      tags: ['companies & themes'],
      querystring: z.strictObject({}),
      response: { 200: ThemesSchema, ...problemResponses },
    },
  }, async () => ({ themes: summarize('theme', deps.tagger.themes) }));

  r.get('/trends', {
    config: { cacheControl: LIST_CACHE },
    schema: {
      summary: 'Stories per day or ISO week for one company or theme, zero-filled, oldest first: ready to chart',
      tags: ['companies & themes'],
      querystring: TrendsQuerySchema,
      response: { 200: TrendsSchema, ...problemResponses },
    },
  }, async (request) => {
    const { company, theme } = request.query;
    if ((company === undefined) === (theme === undefined)) throw badParameter('company', 'give exactly one of company or theme');
    const kind: 'company' | 'theme' = company !== undefined ? 'company' : 'theme';
    const id = (company ?? theme)!;
    if (!ids[kind].has(id)) throw badParameter(kind, `${kind}: unknown ${kind} id "${id}"`);
    const interval = request.query.interval ?? 'day';
    const nowMs = deps.clock().getTime();
    const untilMs = request.query.until === undefined ? nowMs : endOf(request.query.until, 'until');
    const sinceMs = request.query.since === undefined
      ? untilMs - (interval === 'day' ? 29 : 25 * 7) * DAY
      : parseIsoTime(request.query.since, 'since').ms;
    if (sinceMs > untilMs) throw badParameter('since', `since (${request.query.since ?? 'default'}) is after until (${request.query.until ?? 'now'})`);
    const buckets = trendBuckets((from, to) => stats.dailyCounts(kind, id, from, to), interval, sinceMs, untilMs);
    return { kind, id, interval, buckets };
  });
};

/** A bare date means its whole day; a date-time means that instant. */
function endOf(value: string, parameter: string): number {
  const { ms, dateOnly } = parseIsoTime(value, parameter);
  return dateOnly ? ms + DAY - 1 : ms;
}
