/**
 * Issue 7, part 1, in npm test: a quick version of test/reliability/crash.test.ts. `shiftwire ingest` over
 * 20 feeds × 50 items is killed with SIGKILL twice, each time just after it reported its third newly
 * stored feed (so the next feeds' writes are under way), and the database must be whole after each kill; a third run
 * must then complete it. Parsing runs in the main thread here (INGEST_WORKERS=0) to start faster; the
 * reliability suite does 24 kills at seeded random moments with the default worker threads.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { checkDatabase, corpusEntries, startCorpus, writeFeedsFile, type Corpus } from './helpers/fault-corpus.js';
import { startShiftwire, waitFor } from './helpers/fault-process.js';
import { tempDir } from './helpers/harness.js';

let corpus: Corpus;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  // 60 ms per response (one host, so one at a time): after the third stored feed, the other 17 need at
  // least a second, so the kill lands mid-run even when a loaded machine is slow to deliver it.
  corpus = await startCorpus({ feeds: 20, items: 50, shared: 5, delayMs: 60 });
  ({ dir, cleanup } = tempDir('shiftwire-crash-fast-'));
});

afterAll(async () => {
  await corpus?.close();
  cleanup?.();
});

describe('SIGKILL during `shiftwire ingest` (quick)', () => {
  it('leaves a whole database after each kill, and the next run completes it', async () => {
    const env = { FEEDS_FILE: writeFeedsFile(dir, corpusEntries(corpus)), DATABASE_PATH: path.join(dir, 'crash.db'), ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn', INGEST_WORKERS: '0' };
    const progress = [];
    for (let kill = 0; kill < 2; kill++) {
      const proc = startShiftwire(['ingest'], env);
      // Kill just after this run stored its third feed: the following feeds are being fetched, parsed and written.
      await waitFor(() => ((proc.output().match(/ [1-9]\d* new, /g)?.length ?? 0) >= 3 || proc.child.exitCode !== null ? true : undefined), 60_000, proc.output);
      expect(await proc.kill('SIGKILL')).toBe('SIGKILL');
      const report = checkDatabase(env.DATABASE_PATH, corpus);
      expect(report.violations).toEqual([]);
      progress.push(report.feedsComplete);
    }
    expect(progress[0]).toBeGreaterThan(0);
    expect(progress[1]).toBeGreaterThan(progress[0]!);
    expect(progress[1]).toBeLessThan(corpus.feeds);
    const finish = startShiftwire(['ingest'], env);
    expect(await Promise.race([finish.exited, new Promise((r) => setTimeout(() => r('timeout'), 60_000))])).toBe(0);
    expect(finish.output()).toMatch(/20 feeds: \d+ updated, \d+ not modified, 0 failed/);
    expect(checkDatabase(env.DATABASE_PATH, corpus)).toEqual({ stories: corpus.expectedStories, feedsComplete: 20, feedsEmpty: 0, violations: [] });
  }, 120_000);

  it('has a checker that notices each kind of damage (so the test above can fail)', () => {
    const damaged = path.join(dir, 'damaged.db');
    copyFileSync(path.join(dir, 'crash.db'), damaged);
    const db = openDatabase(damaged);
    const [a, b, c] = db.prepare('SELECT id FROM stories ORDER BY id LIMIT 3').pluck().all() as number[];
    db.prepare('DELETE FROM story_tags WHERE story_id = ?').run(a);
    const row = db.prepare('SELECT title, summary FROM stories WHERE id = ?').get(b) as { title: string; summary: string };
    db.prepare("INSERT INTO stories_fts (stories_fts, rowid, title, summary) VALUES ('delete', ?, ?, ?)").run(b, row.title, row.summary);
    db.prepare('DELETE FROM story_sources WHERE story_id = ? AND feed_id = (SELECT feed_id FROM stories WHERE id = ?)').run(c, c);
    db.close();
    const { violations } = checkDatabase(damaged, corpus);
    expect(violations.join('\n')).toMatch(/stories without a company tag: 1/);
    expect(violations.join('\n')).toMatch(/stories minus FTS docsize rows: 1/);
    expect(violations.join('\n')).toMatch(/fts integrity-check/);
    expect(violations.join('\n')).toMatch(/has 49 of its 50 items/);
  });
});
