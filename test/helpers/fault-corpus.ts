/**
 * A large, generated feed set for the fault suite (issue 7), served on loopback, and the checks that a
 * database built from it is whole: SQLite and FTS integrity, no duplicates, every story with its tags,
 * search row and source, and every feed either completely stored or not at all.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../src/db/open.js';
import { startFeedServer, type FeedServer } from './feed-server.js';


/** The seed of a run: FAULT_SEED when set (to replay a failure), else the given default. */
export function faultSeed(fallback: number): number {
  const fromEnv = Number(process.env.FAULT_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/** Names the tagger recognises on their own, so every generated story gets a company tag. */
const COMPANIES = ['OpenAI', 'Anthropic', 'Nvidia', 'DeepSeek', 'Microsoft', 'Baidu', 'Alibaba', 'Huawei', 'Tencent', 'Intel'];

export interface CorpusOptions {
  feeds: number;
  items: number;
  /** The last `shared` items of feed n are the first `shared` items of feed n+1 (other guid, same URL). */
  shared: number;
  /** Wait this long before answering each request (longer runs, so that processes overlap). */
  delayMs?: number;
  /**
   * Feeds (by number) that must each have been asked for before any request is answered (at most
   * 60 s): processes that start from different ends of the list then really fetch at the same time.
   */
  barrier?: number[];
}

export interface Corpus extends CorpusOptions {
  server: FeedServer;
  feedIds: string[];
  /** Distinct stories once every feed is stored. */
  expectedStories: number;
  /** Full (200) answers served, 304 answers served. */
  served: { full: number; notModified: number };
  close(): Promise<void>;
}

export const corpusFeedId = (n: number) => `load-${String(n).padStart(3, '0')}`;

function itemXml(feed: number, item: number, options: CorpusOptions): string {
  // Items past the own range are the next feed's first items: same article URL, this feed's guid.
  const own = options.items - options.shared;
  const [owner, index] = item < own ? [feed, item] : [(feed + 1) % options.feeds, item - own];
  const company = COMPANIES[(owner * 7 + index) % COMPANIES.length]!;
  const when = new Date(Date.UTC(2025, 0, 1) + (owner * options.items + index) * 60_000).toUTCString();
  return (
    `<item><title>${company} announces update ${owner}-${index} for its AI models</title>` +
    `<link>https://load.example/${owner}/${index}?utm_source=rss</link><guid isPermaLink="false">${corpusFeedId(feed)}-${item}</guid>` +
    `<description>&lt;p&gt;${company} said on Tuesday that release ${owner}.${index} improves inference &lt;b&gt;efficiency&lt;/b&gt;.&lt;/p&gt;</description>` +
    `<pubDate>${when}</pubDate></item>`
  );
}

function feedXml(feed: number, options: CorpusOptions): string {
  const items = Array.from({ length: options.items }, (_, i) => itemXml(feed, i, options)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Load feed ${feed}</title>` +
    `<link>https://load.example/${feed}/</link>\n${items}\n</channel></rss>`;
}

/** Serves the corpus with ETags (and 304s), so a run after a crash relies on the stored validators. */
export async function startCorpus(options: CorpusOptions): Promise<Corpus> {
  const server = await startFeedServer();
  const served = { full: 0, notModified: 0 };
  const feedIds: string[] = [];
  const waitingFor = new Set(options.barrier ?? []);
  let open: () => void = () => {};
  const opened = waitingFor.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (open = resolve));
  if (waitingFor.size > 0) setTimeout(() => open(), 60_000).unref();
  for (let f = 0; f < options.feeds; f++) {
    const body = feedXml(f, options);
    const etag = `"load-${f}-v1"`;
    feedIds.push(corpusFeedId(f));
    server.route(`/load/${f}.xml`, async (req, res) => {
      if (waitingFor.delete(f) && waitingFor.size === 0) open();
      await opened;
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (req.headers['if-none-match'] === etag) {
        served.notModified++;
        return void res.writeHead(304, { etag }).end();
      }
      served.full++;
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag }).end(body);
    });
  }
  return {
    ...options,
    server,
    feedIds,
    expectedStories: options.feeds * (options.items - options.shared),
    served,
    close: () => {
      open();
      return server.close();
    },
  };
}

/** feeds.yaml for the corpus (plus extra entries), written into `dir`. */
export function writeFeedsFile(dir: string, entries: Array<{ id: string; url: string }>, name = 'feeds.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, `feeds:\n${entries.map((e) => `  - { id: ${e.id}, name: "${e.id}", url: "${e.url}" }\n`).join('')}`);
  return file;
}

export const corpusEntries = (corpus: Corpus) => corpus.feedIds.map((id, f) => ({ id, url: corpus.server.url(`/load/${f}.xml`) }));

export interface DbReport {
  stories: number;
  /** Feeds whose items are all stored / none stored. */
  feedsComplete: number;
  feedsEmpty: number;
  /** Every broken rule, in words; empty when the database is whole. */
  violations: string[];
}

const scalar = (db: ReturnType<typeof openDatabase>, sql: string) => db.prepare(sql).pluck().get() as number;

/** Opens the file (recovering the WAL like any restart would) and checks every invariant of issue 7. */
export function checkDatabase(file: string, corpus: Pick<Corpus, 'items' | 'feedIds'>): DbReport {
  const db = openDatabase(file);
  try {
    const violations: string[] = [];
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') violations.push(`integrity_check: ${String(integrity)}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) violations.push(`foreign_key_check: ${fk.length} rows`);
    // Killed before the first migration committed: nothing may exist yet (migrations are transactional).
    if (db.pragma('user_version', { simple: true }) === 0) {
      const tables = scalar(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
      if (tables > 0) violations.push(`schema version 0 but ${tables} objects exist (half a migration)`);
      return { stories: 0, feedsComplete: 0, feedsEmpty: corpus.feedIds.length, violations };
    }
    try {
      // rank 1: also compare the index with the external content table (stories).
      db.prepare("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)").run();
    } catch (err) {
      violations.push(`fts integrity-check: ${(err as Error).message}`);
    }
    const stories = scalar(db, 'SELECT count(*) FROM stories');
    const rules: Array<[string, string]> = [
      ['stories sharing a URL', 'SELECT count(*) - count(DISTINCT url) FROM stories'],
      ['stories sharing a canonical URL', 'SELECT count(canonical_url) - count(DISTINCT canonical_url) FROM stories'],
      ['stories without a company tag', "SELECT count(*) FROM stories s WHERE NOT EXISTS (SELECT 1 FROM story_tags t WHERE t.story_id = s.id AND t.kind = 'company')"],
      ['stories without a story_sources row', 'SELECT count(*) FROM stories s WHERE NOT EXISTS (SELECT 1 FROM story_sources ss WHERE ss.story_id = s.id)'],
      ['stories without a key', 'SELECT count(*) FROM stories s WHERE NOT EXISTS (SELECT 1 FROM story_keys k WHERE k.story_id = s.id)'],
      ['stories minus FTS docsize rows', `SELECT ${stories} - (SELECT count(*) FROM stories_fts_docsize)`],
      ['FTS rows without a story', 'SELECT count(*) FROM stories_fts_docsize d WHERE NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = d.id)'],
    ];
    for (const [what, sql] of rules) {
      const n = scalar(db, sql);
      if (n !== 0) violations.push(`${what}: ${n}`);
    }
    // One transaction per feed: a feed has all its items or none, and a feed whose state says it was
    // fetched (its ETag stored) has all of them (else a 304 would hide the missing ones for good).
    const perFeed = db.prepare(`
      SELECT f.id, f.etag, f.last_success_at AS ok, (SELECT count(*) FROM story_sources ss WHERE ss.feed_id = f.id) AS n
      FROM feeds f WHERE f.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(corpus.feedIds)) as Array<{ id: string; etag: string | null; ok: string | null; n: number }>;
    let feedsComplete = 0;
    let feedsEmpty = 0;
    for (const f of perFeed) {
      if (f.n === corpus.items) feedsComplete++;
      else if (f.n === 0) feedsEmpty++;
      else violations.push(`feed ${f.id} has ${f.n} of its ${corpus.items} items`);
      if (f.ok !== null && f.n !== corpus.items) violations.push(`feed ${f.id} is marked fetched (etag ${f.etag}) but has ${f.n} items`);
      if (f.ok === null && f.n !== 0) violations.push(`feed ${f.id} has items but no recorded fetch`);
    }
    return { stories, feedsComplete, feedsEmpty, violations };
  } finally {
    db.close();
  }
}

/** Feeds of the database that are not in order: an error, failures counted, or never fetched. */
export function feedsNotOk(file: string): number {
  const db = openDatabase(file, { readonly: true });
  try {
    return scalar(db, 'SELECT count(*) FROM feeds WHERE last_error IS NOT NULL OR consecutive_failures > 0 OR last_success_at IS NULL');
  } finally {
    db.close();
  }
}
