import { createFeedStore } from '../db/feeds.js';
import type { Db } from '../db/open.js';
import { createStoryQueries, type StoryFilter } from '../db/story-query.js';
import { createStoryReader, type StoryRow } from '../db/story-read.js';
import { ID_SECOND } from '../db/stories.js';
import { AppError } from '../shared/errors.js';
import { decodeCursor, encodeCursor, type Cursor } from './cursor.js';
import { compileFtsQuery } from './fts-query.js';
import { ISO_DATE, type StoriesQuery } from './schemas/stories.js';

/** What a stories query asks for, checked and turned into the db layer's terms. */
export interface StoryListPlan {
  filter: StoryFilter;
  sort: 'published' | 'relevance';
  limit: number;
  cursor: Cursor | undefined;
  includeContent: boolean;
  /** The checked filter values, for titles and links. */
  wanted: { companies: string[]; themes: string[]; sources: string[]; kinds: string[]; q: string | undefined };
}

export interface FilterContext {
  companyIds: ReadonlySet<string>;
  themeIds: ReadonlySet<string>;
  hasFeed(id: string): boolean;
}

export const DEFAULT_LIMIT = 50;
/**
 * sort=relevance ranks the newest this-many matches (of the whole filter), not every match: bm25 over
 * every match of a common phrase costs ~0.4 s on a million stories, over a window of 5,000 ~10-100 ms
 * (what remains is FTS5 counting the phrase's documents for its statistics), and for news the newest
 * matches are the ones worth ranking.
 */
export const RELEVANCE_WINDOW = 5000;
/** Ids stay safe integers until 2242; later bounds are clamped there. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

export function badParameter(parameter: string, message: string, where: 'query' | 'params' = 'query'): AppError {
  return new AppError('VALIDATION_FAILED', message, { details: { parameter: `${where}.${parameter}` } });
}

/**
 * An ISO 8601 date or date-time as epoch milliseconds, checked for real calendar values (no 30 February).
 * A date-time without an offset is UTC. `dateOnly` tells the caller whether a time was given.
 */
export function parseIsoTime(value: string, parameter: string): { ms: number; dateOnly: boolean } {
  const m = ISO_DATE.exec(value);
  const fail = () => badParameter(parameter, `${parameter}: "${value}" is not a valid ISO 8601 date or date-time (e.g. 2025-01-27 or 2025-01-27T14:03:00Z)`);
  if (!m) throw fail();
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => (v === undefined ? undefined : Number(v))) as number[];
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw fail();
  }
  const fraction = /\.(\d{1,9})/.exec(value)?.[1];
  let ms = date.getTime() + (fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0);
  const offset = m[7];
  if (offset && offset.toUpperCase() !== 'Z') {
    const o = /^([+\- ])(\d{2}):?(\d{2})$/.exec(offset)!;
    const [oh, om] = [Number(o[2]), Number(o[3])];
    if (oh > 23 || om > 59) throw fail();
    ms -= (o[1] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return { ms, dateOnly: m[4] === undefined };
}

const clampId = (id: number) => Math.min(MAX_ID, Math.max(0, id));

/** since → lowest id (inclusive); until → id bound (exclusive): a bare date includes its whole day. */
export function timeBounds(query: { since?: string | undefined; until?: string | undefined }): { minId?: number; maxIdExclusive?: number; sinceMs?: number; untilMs?: number } {
  const out: { minId?: number; maxIdExclusive?: number; sinceMs?: number; untilMs?: number } = {};
  if (query.since !== undefined) {
    const { ms } = parseIsoTime(query.since, 'since');
    out.sinceMs = ms;
    out.minId = clampId(Math.floor(ms / 1000) * ID_SECOND);
  }
  if (query.until !== undefined) {
    const { ms, dateOnly } = parseIsoTime(query.until, 'until');
    const endMs = dateOnly ? ms + 86_400_000 - 1 : ms;
    out.untilMs = endMs;
    out.maxIdExclusive = clampId((Math.floor(endMs / 1000) + 1) * ID_SECOND);
  }
  if (out.sinceMs !== undefined && out.untilMs !== undefined && out.sinceMs > out.untilMs) {
    throw badParameter('since', `since (${query.since}) is after until (${query.until})`);
  }
  return out;
}

function checkIds(values: string[] | undefined, known: (id: string) => boolean, parameter: string, what: string): string[] {
  for (const v of values ?? []) {
    if (!known(v)) throw badParameter(parameter, `${parameter}: unknown ${what} "${v}"`);
  }
  return values ?? [];
}

/** Checks a parsed stories query against the taxonomy and the feeds, and plans the db query. */
export function planStoryList(query: StoriesQuery, ctx: FilterContext): StoryListPlan {
  const companies = checkIds(query.company, (id) => ctx.companyIds.has(id), 'company', 'company id');
  const themes = checkIds(query.theme, (id) => ctx.themeIds.has(id), 'theme', 'theme id');
  const sources = checkIds(query.source, (id) => ctx.hasFeed(id), 'source', 'feed id');
  const kinds = query.kind ?? [];
  const sort = query.sort ?? 'published';
  if (sort === 'relevance' && query.q === undefined) throw badParameter('sort', 'sort=relevance needs q (a search to rank by)');
  const bounds = timeBounds(query);
  const filter: StoryFilter = {};
  if (companies.length) filter.companies = companies;
  if (themes.length) filter.themes = themes;
  if (sources.length) filter.sources = sources;
  if (kinds.length) filter.kinds = kinds;
  if (query.q !== undefined) filter.match = compileFtsQuery(query.q);
  if (bounds.minId !== undefined) filter.minId = bounds.minId;
  if (bounds.maxIdExclusive !== undefined) filter.maxIdExclusive = bounds.maxIdExclusive;
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort);
  if (cursor) {
    const bound = cursor.sort === 'published' ? cursor.lastId : cursor.maxId + 1;
    filter.maxIdExclusive = Math.min(filter.maxIdExclusive ?? MAX_ID, bound);
    if (cursor.sort === 'relevance') filter.firstSeenUntil = cursor.seenUntil;
  }
  return {
    filter,
    sort,
    limit: query.limit ?? DEFAULT_LIMIT,
    cursor,
    includeContent: query.include?.includes('content') ?? false,
    wanted: { companies, themes, sources, kinds, q: query.q },
  };
}

export interface TaxonomyIds {
  companies: ReadonlyArray<{ id: string }>;
  themes: ReadonlyArray<{ id: string }>;
}

export interface StoryIdPage {
  plan: StoryListPlan;
  ids: number[];
  nextCursor: string | null;
}

export interface StoryPage extends StoryIdPage {
  rows: StoryRow[];
}

/** Plans, runs and pages a stories query: the one path behind the JSON list and the feeds out. */
export function createStoryFinder(db: Db, taxonomy: TaxonomyIds) {
  const queries = createStoryQueries(db);
  const reader = createStoryReader(db);
  const feeds = createFeedStore(db);
  const ctx: FilterContext = {
    companyIds: new Set(taxonomy.companies.map((c) => c.id)),
    themeIds: new Set(taxonomy.themes.map((t) => t.id)),
    hasFeed: (id) => feeds.getFeed(id) !== undefined,
  };

  function pageIds(plan: StoryListPlan): { ids: number[]; next: Cursor | null } {
    const { filter, limit, cursor } = plan;
    if (plan.sort === 'published') {
      const ids = queries.listIds(filter, limit + 1);
      const last = ids[limit - 1];
      return { ids: ids.slice(0, limit), next: ids.length > limit && last !== undefined ? { sort: 'published', lastId: last } : null };
    }
    const offset = cursor?.sort === 'relevance' ? cursor.offset : 0;
    const rank = () => {
      const window = queries.listIds(filter, RELEVANCE_WINDOW);
      const floor = window.length === RELEVANCE_WINDOW ? window[RELEVANCE_WINDOW - 1]! : undefined;
      return queries.listIdsByRelevance({ ...filter, match: filter.match!, ...(floor !== undefined ? { minId: Math.max(filter.minId ?? 0, floor) } : {}) }, limit + 1, offset);
    };
    let snapshot = cursor?.sort === 'relevance' ? { maxId: cursor.maxId, firstSeenUntil: cursor.seenUntil } : undefined;
    // Later pages see the first page's stories only (the cursor's snapshot), so the window and the
    // ranking are the same on every page.
    const ids = snapshot
      ? rank()
      : queries.consistently(() => {
          snapshot = queries.snapshot();
          return rank();
        });
    const next: Cursor | null =
      ids.length > limit && snapshot ? { sort: 'relevance', offset: offset + limit, maxId: snapshot.maxId, seenUntil: snapshot.firstSeenUntil } : null;
    return { ids: ids.slice(0, limit), next };
  }

  function findIds(query: StoriesQuery): StoryIdPage {
    const plan = planStoryList(query, ctx);
    const { ids, next } = pageIds(plan);
    return { plan, ids, nextCursor: next ? encodeCursor(next) : null };
  }

  return {
    plan: (query: StoriesQuery): StoryListPlan => planStoryList(query, ctx),
    findIds,
    /** A page of whole stories (rows with sources and tags). */
    find(query: StoriesQuery): StoryPage {
      const page = findIds(query);
      return { ...page, rows: reader.getStories(page.ids) };
    },
    /** A page as API JSON, one string per story, made by SQLite (the list endpoint's fast path). */
    findJson(query: StoriesQuery): StoryIdPage & { json: string[] } {
      const page = findIds(query);
      return { ...page, json: reader.getStoriesJson(page.ids, page.plan.includeContent) };
    },
    getStory: (id: number): StoryRow | undefined => reader.getStory(id),
  };
}

export type StoryFinder = ReturnType<typeof createStoryFinder>;
