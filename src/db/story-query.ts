import type { Statement } from 'better-sqlite3';
import type { Db } from './open.js';

/**
 * The story list queries. Every one is an index walk that stops after `limit` rows (see the schema's
 * notes in migrations/0001_init.sql): one index drives the walk (the FTS index, a tag timeline, a source
 * timeline, or the stories table itself), newest first by id, and the other filters are probes of the
 * primary keys of the other tables for each candidate. An any-of filter walks each value's timeline and
 * merges them (UNION of per-value walks, each limited), so it stays a walk too.
 *
 * SQL is assembled only from fixed fragments; every value is a named parameter.
 */
export interface StoryFilter {
  companies?: string[];
  themes?: string[];
  sources?: string[];
  kinds?: string[];
  /** A safe FTS5 expression (see api/fts-query.ts), never raw user input. When present it drives the walk. */
  match?: string;
  /** Inclusive lower bound on the id (publication time). */
  minId?: number;
  /** Exclusive upper bound on the id. */
  maxIdExclusive?: number;
  /** Only stories Shiftwire had seen by then (ISO time): keeps a relevance walk to the stories of its first page's moment. */
  firstSeenUntil?: string;
}

type Params = Record<string, string | number>;
type DriverKind = 'match' | 'company' | 'theme' | 'source' | 'stories' | 'window';

/**
 * One FROM/WHERE per arm. `$id` in conditions is replaced by the arm's qualified id column: every
 * probe is a correlated subquery, and an unqualified `story_id` or `id` inside one would bind to the
 * subquery's own table (or to feeds.id) instead of the candidate story.
 */
interface Arm {
  from: string;
  idColumn: string;
  where: string[];
}

/** Ids are safe integers; a walk with no upper bound still names one, so every walk is a SEARCH. */
const NO_MAX_ID = Number.MAX_SAFE_INTEGER;

function namedList(prefix: string, values: string[], params: Params): string {
  return values
    .map((v, i) => {
      params[`${prefix}${i}`] = v;
      return `@${prefix}${i}`;
    })
    .join(', ');
}

/** The conditions every arm must meet besides its own driver. `$id` stands for the candidate's id. */
function probes(filter: StoryFilter, driver: DriverKind, params: Params): string[] {
  const where: string[] = [];
  if (filter.minId !== undefined) {
    params.minId = filter.minId;
    where.push('$id >= @minId');
  }
  if (filter.maxIdExclusive !== undefined || driver === 'stories') {
    params.maxId = filter.maxIdExclusive ?? NO_MAX_ID;
    where.push('$id < @maxId');
  }
  if (filter.firstSeenUntil !== undefined) {
    params.seenUntil = filter.firstSeenUntil;
    where.push(driver === 'stories' || driver === 'window'
      ? 'd.first_seen_at <= @seenUntil'
      : 'EXISTS (SELECT 1 FROM stories sx WHERE sx.id = $id AND sx.first_seen_at <= @seenUntil)');
  }
  if (filter.match && driver !== 'match') {
    params.match = filter.match;
    where.push('$id IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH @match)');
  }
  if (filter.companies?.length && driver !== 'company') {
    where.push(`EXISTS (SELECT 1 FROM story_tags pc WHERE pc.story_id = $id AND pc.kind = 'company' AND pc.tag_id IN (${namedList('pc', filter.companies, params)}))`);
  }
  if (filter.themes?.length && driver !== 'theme') {
    where.push(`EXISTS (SELECT 1 FROM story_tags pt WHERE pt.story_id = $id AND pt.kind = 'theme' AND pt.tag_id IN (${namedList('pt', filter.themes, params)}))`);
  }
  if (filter.sources?.length && driver !== 'source') {
    where.push(`EXISTS (SELECT 1 FROM story_sources ps WHERE ps.story_id = $id AND ps.feed_id IN (${namedList('ps', filter.sources, params)}))`);
  }
  if (filter.kinds?.length) {
    where.push(
      `EXISTS (SELECT 1 FROM story_sources pk JOIN feeds fk ON fk.id = pk.feed_id WHERE pk.story_id = $id AND fk.kind IN (${namedList('pk', filter.kinds, params)}))`,
    );
  }
  return where;
}

/** How many rows each timeline holds, to pick the shortest walk: `company:openai`, `theme:efficiency`, `source:<feed>`. */
export type TimelineSizes = (key: string) => number | undefined;

/**
 * The FTS index drives whenever there is a search. Otherwise the tag or source filter with the fewest
 * rows drives (a rare company AND a common theme walks the company; a common company AND a rare theme
 * walks the theme) when sizes are known, else companies, then themes, then sources. With no filter of
 * those, the stories table itself is walked.
 */
function chooseDriver(filter: StoryFilter, params: Params, sizes?: TimelineSizes): { kind: DriverKind; arms: Arm[] } {
  if (filter.match) {
    params.match = filter.match;
    return { kind: 'match', arms: [{ from: 'stories_fts', idColumn: 'stories_fts.rowid', where: ['stories_fts MATCH @match'] }] };
  }
  const tagArms = (kind: 'company' | 'theme', values: string[], p: string): Arm[] =>
    values.map((v, i) => {
      params[`${p}${i}`] = v;
      return { from: 'story_tags d', idColumn: 'd.story_id', where: [`d.kind = '${kind}'`, `d.tag_id = @${p}${i}`] };
    });
  const sourceArms = (values: string[]): Arm[] =>
    values.map((v, i) => {
      params[`ds${i}`] = v;
      return { from: 'story_sources d', idColumn: 'd.story_id', where: [`d.feed_id = @ds${i}`] };
    });
  const candidates: Array<{ kind: 'company' | 'theme' | 'source'; values: string[] }> = [];
  if (filter.companies?.length) candidates.push({ kind: 'company', values: filter.companies });
  if (filter.themes?.length) candidates.push({ kind: 'theme', values: filter.themes });
  if (filter.sources?.length) candidates.push({ kind: 'source', values: filter.sources });
  if (candidates.length === 0) return { kind: 'stories', arms: [{ from: 'stories d', idColumn: 'd.id', where: [] }] };
  const cost = (c: (typeof candidates)[number]) => c.values.reduce((sum, v) => sum + (sizes?.(`${c.kind}:${v}`) ?? 0), 0);
  const best = sizes ? candidates.reduce((a, b) => (cost(b) < cost(a) ? b : a)) : candidates[0]!;
  if (best.kind === 'source') return { kind: 'source', arms: sourceArms(best.values) };
  return { kind: best.kind, arms: tagArms(best.kind, best.values, best.kind === 'company' ? 'dc' : 'dt') };
}

/**
 * Newest first. One arm: a walk of one index, stopped after `limit` rows. Several (an any-of filter):
 * each value's walk is limited the same way and the few rows they give are merged (UNION ALL, then
 * GROUP BY for the stories several arms found), so no step reads more than arms × limit rows.
 */
export function buildListQuery(filter: StoryFilter, limit: number, sizes?: TimelineSizes): { sql: string; params: Params } {
  const params: Params = { limit };
  const driver = chooseDriver(filter, params, sizes);
  const extra = probes(filter, driver.kind, params);
  const arms = driver.arms.map((arm) => {
    const where = [...arm.where, ...extra].map((w) => w.replaceAll('$id', arm.idColumn));
    return `SELECT ${arm.idColumn} AS id FROM ${arm.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${arm.idColumn} DESC LIMIT @limit`;
  });
  const sql =
    arms.length === 1
      ? arms[0]!
      : `SELECT id FROM (${arms.map((a) => `SELECT id FROM (${a})`).join(' UNION ALL ')}) GROUP BY id ORDER BY id DESC LIMIT @limit`;
  return { sql, params };
}

/** bm25 column weights: a word in the title counts three times one in the summary. */
const RELEVANCE = 'bm25(stories_fts, 3.0, 1.0)';

export function buildRelevanceQuery(filter: StoryFilter & { match: string }, limit: number, offset: number): { sql: string; params: Params } {
  const params: Params = { limit, offset, match: filter.match };
  const extra = probes(filter, 'match', params).map((w) => w.replaceAll('$id', 'stories_fts.rowid'));
  // Ties (equal scores) go newest first, so pages are deterministic.
  const sql = `SELECT stories_fts.rowid AS id FROM stories_fts WHERE stories_fts MATCH @match${extra.length ? ` AND ${extra.join(' AND ')}` : ''} ORDER BY ${RELEVANCE}, stories_fts.rowid DESC LIMIT @limit OFFSET @offset`;
  return { sql, params };
}

/**
 * Stories first seen in (after, until], matching the filter: what a digest covers. Windows go by the
 * time Shiftwire first saw a story, so a story published long ago but fetched late is never skipped.
 */
export function buildWindowQuery(filter: StoryFilter, after: string, until: string): { sql: string; params: Params } {
  const params: Params = { after, until };
  const extra = probes(filter, 'window', params).map((w) => w.replaceAll('$id', 'd.id'));
  const sql = `SELECT d.id FROM stories d WHERE d.first_seen_at > @after AND d.first_seen_at <= @until${extra.length ? ` AND ${extra.join(' AND ')}` : ''} ORDER BY d.id DESC`;
  return { sql, params };
}

/** Timeline sizes are counted again when older than this (they steer the choice of walk, roughly). */
const SIZES_TTL_MS = 10 * 60_000;

export function createStoryQueries(db: Db) {
  const countTags = db.prepare(`SELECT kind || ':' || tag_id AS key, count(*) AS n FROM story_tags GROUP BY kind, tag_id`).raw();
  const countSources = db.prepare(`SELECT 'source:' || feed_id AS key, count(*) AS n FROM story_sources GROUP BY feed_id`).raw();
  let sizes: { at: number; map: Map<string, number> } | undefined;
  // One pass over each timeline index (~0.1 s on a million stories), at most every SIZES_TTL_MS, and only
  // for queries that combine filters (the only ones with a choice to make).
  const timelineSizes: TimelineSizes = (key) => {
    if (!sizes || Date.now() - sizes.at > SIZES_TTL_MS) {
      const rows = [...(countTags.all() as Array<[string, number]>), ...(countSources.all() as Array<[string, number]>)];
      sizes = { at: Date.now(), map: new Map(rows) };
    }
    return sizes.map.get(key) ?? 0;
  };
  const maxId = db.prepare(`SELECT max(id) FROM stories`).pluck();
  const maxFirstSeen = db.prepare(`SELECT max(first_seen_at) FROM stories`).pluck();
  const cache = new Map<string, Statement>();
  const prepared = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size > 500) cache.clear();
      stmt = db.prepare(sql).pluck();
      cache.set(sql, stmt);
    }
    return stmt;
  };
  return {
    /** Newest first. */
    listIds(filter: StoryFilter, limit: number): number[] {
      const combined = [filter.companies, filter.themes, filter.sources].filter((v) => v?.length).length > 1;
      const { sql, params } = buildListQuery(filter, limit, combined && !filter.match ? timelineSizes : undefined);
      return prepared(sql).all(params) as number[];
    },
    /** Every story first seen in (after, until] that matches, newest first. */
    listIdsFirstSeenBetween(filter: StoryFilter, after: string, until: string): number[] {
      const { sql, params } = buildWindowQuery(filter, after, until);
      return prepared(sql).all(params) as number[];
    },
    /** The highest id and the latest first-seen time now: where a relevance walk freezes its set of stories. */
    snapshot(): { maxId: number; firstSeenUntil: string } {
      return { maxId: (maxId.get() as number | null) ?? 0, firstSeenUntil: (maxFirstSeen.get() as string | null) ?? '' };
    },
    /** Runs `fn` in one read transaction, so what it reads is one consistent state of the database. */
    consistently<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
    /** Best match first (bm25). */
    listIdsByRelevance(filter: StoryFilter & { match: string }, limit: number, offset: number): number[] {
      const { sql, params } = buildRelevanceQuery(filter, limit, offset);
      return prepared(sql).all(params) as number[];
    },
  };
}

export type StoryQueries = ReturnType<typeof createStoryQueries>;
