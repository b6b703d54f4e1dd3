import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './helpers/cli.js';
import { createFeedStore } from '../src/db/feeds.js';
import type { Db } from '../src/db/open.js';
import { applyRetention, countPrunable, pruneStories, pruneTombstones } from '../src/db/retention.js';
import { createFeedProcessor, createIngester, type FeedProcessor, type Ingester } from '../src/ingest/index.js';
import { silentLogger } from '../src/shared/log.js';
import { loadTaxonomy } from '../src/tagging/index.js';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { realTagger, taxonomyPath, tempDb } from './helpers/harness.js';

const DAY = 86_400_000;
const daysAgo = (n: number, from = Date.now()) => new Date(from - n * DAY);

let server: FeedServer;
let t: ReturnType<typeof tempDb>;
let processor: FeedProcessor;

beforeEach(async () => {
  server = await startFeedServer();
  t = tempDb();
  processor = createFeedProcessor({ taxonomy: loadTaxonomy(taxonomyPath), workers: 0 });
  createFeedStore(t.db).syncConfigFeeds([{ id: 'lab', name: 'Lab', url: server.url('/feed.xml'), kind: 'news', enabled: true }], new Date().toISOString());
});
afterEach(async () => {
  await processor.close();
  await server.close();
  t.cleanup();
});

/** The real ingester, with RETENTION_DAYS or without, and its clock where the test wants it. */
function ingester(options: { clock?: () => Date; retentionDays?: number } = {}): Ingester {
  const clock = options.clock ?? (() => new Date());
  return createIngester({
    db: t.db,
    processor,
    retentionDays: options.retentionDays,
    log: silentLogger(),
    clock,
    tagsHash: realTagger().hash,
    settings: { fetchConcurrency: 2, fetchTimeoutMs: 5_000, fetchMaxBytes: 1 << 20, fetchMaxRedirects: 2, allowPrivateNetwork: true },
  });
}

/** One ingestion pass; a feed failure fails the test with the feed's own error, not a count later on. */
async function ingest(options: Parameters<typeof ingester>[0] = {}): Promise<number> {
  const errors: string[] = [];
  const summary = await ingester(options).run({ onFeed: (r) => r.error && errors.push(`${r.feedId}: ${r.error}`) });
  expect(errors).toEqual([]);
  return summary.newStories;
}

function serve(items: Parameters<typeof rss>[0]): void {
  server.route('/feed.xml', { body: rss(items) });
}

const one = (db: Db, sql: string, ...params: unknown[]) => db.prepare(sql).pluck().get(...params) as number;
const titles = (db: Db) => db.prepare('SELECT title FROM stories ORDER BY id').pluck().all() as string[];

describe('pruneStories', () => {
  it('deletes stories published before the cutoff and keeps search, tags, keys and sources consistent', async () => {
    serve([
      { title: 'OpenAI zebracorn launch', link: 'https://news.example/old1', guid: 'old1', pubDate: daysAgo(100).toUTCString() },
      { title: 'Anthropic quasarine update for Claude', link: 'https://news.example/old2', guid: 'old2', pubDate: daysAgo(60).toUTCString() },
      { title: 'OpenAI ships GPT-5 to everyone', link: 'https://news.example/new1', guid: 'new1', pubDate: daysAgo(2).toUTCString() },
      { title: 'DeepSeek releases R2 weights', link: 'https://news.example/new2', guid: 'new2', pubDate: daysAgo(1).toUTCString() },
    ]);
    expect(await ingest()).toBe(4);
    const oldId = one(t.db, "SELECT id FROM stories WHERE title LIKE '%zebracorn%'");
    expect(one(t.db, 'SELECT count(*) FROM story_tags WHERE story_id = ?', oldId)).toBeGreaterThan(0);
    expect(countPrunable(t.db, daysAgo(30))).toEqual({ prunable: 2, held: 0 });

    const r = await pruneStories(t.db, { olderThan: daysAgo(30), batchSize: 1 });
    expect(r).toMatchObject({ pruned: 2, held: 0, batches: 2, tombstones: 4 });
    expect(titles(t.db)).toEqual(['OpenAI ships GPT-5 to everyone', 'DeepSeek releases R2 weights']);
    // The full-text index holds exactly the remaining stories, and agrees with their content.
    expect(one(t.db, 'SELECT count(*) FROM stories_fts_docsize')).toBe(one(t.db, 'SELECT count(*) FROM stories'));
    expect(() => t.db.exec("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")).not.toThrow();
    expect(one(t.db, "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'zebracorn OR quasarine'")).toBe(0);
    expect(one(t.db, "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'openai'")).toBe(1);
    for (const table of ['story_tags', 'story_keys', 'story_sources']) {
      expect(one(t.db, `SELECT count(*) FROM ${table} WHERE story_id NOT IN (SELECT id FROM stories)`)).toBe(0);
    }
    expect(one(t.db, 'SELECT count(*) FROM story_tags')).toBeGreaterThan(0);
    expect(t.db.pragma('foreign_key_check')).toEqual([]);
    expect(t.db.prepare('SELECT key FROM pruned_keys ORDER BY key').pluck().all()).toEqual([
      'guid:lab:old1',
      'guid:lab:old2',
      'url:https://news.example/old1',
      'url:https://news.example/old2',
    ]);
  });

  it('holds back stories of a digest whose delivery is pending, and lets them go once delivered', async () => {
    serve([
      { title: 'Old story in a digest', link: 'https://news.example/d1', guid: 'd1', pubDate: daysAgo(50).toUTCString() },
      { title: 'Old story nobody needs', link: 'https://news.example/d2', guid: 'd2', pubDate: daysAgo(50).toUTCString() },
    ]);
    await ingest();
    const inDigest = one(t.db, "SELECT id FROM stories WHERE title = 'Old story in a digest'");
    const now = new Date().toISOString();
    t.db.prepare(`INSERT INTO subscriptions (id, name, token, filter, schedule, max_stories, window_end, created_at, updated_at)
      VALUES ('s1', 'Weekly', 'tok', '{}', '{}', 10, ?, ?, ?)`).run(now, now, now);
    t.db.prepare(`INSERT INTO digests (id, subscription_id, window_start, window_end, generated_at, story_count, group_count, groups)
      VALUES ('g1', 's1', ?, ?, ?, 1, 1, '[]')`).run(now, now, now);
    t.db.prepare(`INSERT INTO digest_stories (subscription_id, story_id, digest_id, group_index) VALUES ('s1', ?, 'g1', 0)`).run(inDigest);
    t.db.prepare(`INSERT INTO deliveries (id, digest_id, channel, target, max_attempts, created_at) VALUES ('dl1', 'g1', 'webhook', 'https://hook.example/', 8, ?)`).run(now);

    expect(countPrunable(t.db, daysAgo(30))).toEqual({ prunable: 1, held: 1 });
    expect(await pruneStories(t.db, { olderThan: daysAgo(30) })).toMatchObject({ pruned: 1, held: 1 });
    expect(titles(t.db)).toEqual(['Old story in a digest']);

    t.db.prepare(`UPDATE deliveries SET status = 'delivered' WHERE id = 'dl1'`).run();
    expect(await pruneStories(t.db, { olderThan: daysAgo(30) })).toMatchObject({ pruned: 1, held: 0 });
    expect(titles(t.db)).toEqual([]);
  });
});

describe('tombstones and the retention gate', () => {
  it('a pruned story still in its feed is not stored again by the real ingester', async () => {
    const undated = { title: 'Undated lab note about Mistral', link: 'https://news.example/undated', guid: 'u' };
    serve([undated]);
    const past = daysAgo(40);
    expect(await ingest({ clock: () => past, retentionDays: 30 })).toBe(1);
    expect(one(t.db, 'SELECT date_estimated FROM stories')).toBe(1); // its date is when it was first seen

    const pass = await applyRetention(t.db, { retentionDays: 30, now: new Date() });
    expect(pass).toMatchObject({ pruned: 1, tombstones: 2, tombstonesExpired: 0 });

    serve([undated, { title: 'Fresh lab news', link: 'https://news.example/fresh', guid: 'f', pubDate: daysAgo(1).toUTCString() }]);
    expect(await ingest({ retentionDays: 30 })).toBe(1);
    expect(titles(t.db)).toEqual(['Fresh lab news']);

    // Without its tombstones the same item is stored as new again: they are what kept it out.
    expect(pruneTombstones(t.db, { olderThan: new Date(Date.now() + DAY) })).toBe(2);
    expect(await ingest({ retentionDays: 30 })).toBe(1);
    expect(titles(t.db)).toContain('Undated lab note about Mistral');
  });

  it('does not store items whose real date is already past the retention period', async () => {
    serve([
      { title: 'Ancient history', link: 'https://news.example/ancient', guid: 'a', pubDate: daysAgo(45).toUTCString() },
      { title: 'Recent history', link: 'https://news.example/recent', guid: 'r', pubDate: daysAgo(5).toUTCString() },
    ]);
    expect(await ingest({ retentionDays: 30 })).toBe(1);
    expect(titles(t.db)).toEqual(['Recent history']);
    expect(await ingest()).toBe(1); // the control: without RETENTION_DAYS, it is stored
  });

  it('forgets tombstones twice the retention period after the prune', async () => {
    serve([{ title: 'Gone long ago', link: 'https://news.example/gone', guid: 'g', pubDate: daysAgo(200).toUTCString() }]);
    await ingest();
    await pruneStories(t.db, { olderThan: daysAgo(100), now: daysAgo(61) });
    expect(one(t.db, 'SELECT count(*) FROM pruned_keys')).toBe(2);
    expect((await applyRetention(t.db, { retentionDays: 31, now: new Date() })).tombstonesExpired).toBe(0);
    expect((await applyRetention(t.db, { retentionDays: 30, now: new Date() })).tombstonesExpired).toBe(2);
  });
});


function prune(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(['prune', ...args], env);
}

describe('shiftwire prune', { timeout: 90_000 }, () => {
  it('--dry-run counts, a real run prunes, and without RETENTION_DAYS it explains itself', async () => {
    serve([
      { title: 'Old one', link: 'https://news.example/o1', guid: 'o1', pubDate: daysAgo(90).toUTCString() },
      { title: 'Old two', link: 'https://news.example/o2', guid: 'o2', pubDate: daysAgo(80).toUTCString() },
      { title: 'New one', link: 'https://news.example/n1', guid: 'n1', pubDate: daysAgo(3).toUTCString() },
    ]);
    await ingest();
    const env = { DATABASE_PATH: t.file, RETENTION_DAYS: '30' };

    const dry = await prune(['--dry-run'], env);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/^dry run: 2 stories published before \d{4}-\d\d-\d\dT[\d:.]+Z \(30 days\) would be pruned; 1 would remain\n$/);
    expect(one(t.db, 'SELECT count(*) FROM stories')).toBe(3);

    const real = await prune(['--batch-size', '1'], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^pruned 2 stories published before .* \(30 days\); 1 remain; 4 keys remembered, 0 old ones forgotten; in \d+\.\ds\n$/);
    expect(titles(t.db)).toEqual(['New one']);

    const unset = await prune([], { DATABASE_PATH: t.file, RETENTION_DAYS: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toMatch(/RETENTION_DAYS is not set, so every story is kept; pass --days N/);
    const once = await prune(['--days', '1'], { DATABASE_PATH: t.file, RETENTION_DAYS: '' });
    expect(once.stdout).toMatch(/^pruned 1 story published before .* \(1 day\)/);
    expect((await prune(['--days', 'soon'], env)).stderr).toMatch(/--days must be a whole number/);
  });
});
