/**
 * Issue 7, part 2: concurrency. Two `shiftwire ingest` processes and a `shiftwire serve` (whose start-up
 * ingestion makes it a third writer) start at the same moment on one fresh database, over the generated
 * feed set (40 feeds × 40 items, 5 shared with the next feed; no feed is answered before both ends of the
 * list were asked for, then each answer is delayed 50 ms, so the runs overlap for seconds). While they
 * run, the API is polled.
 * Nobody may see a busy/locked error: every API answer is 200, both ingest processes exit 0 without
 * SQLITE_BUSY in their output, no feed is marked failed; and the database ends with every story once.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabase, corpusEntries, feedsNotOk, startCorpus, writeFeedsFile, type Corpus } from '../helpers/fault-corpus.js';
import { pollApi, reached, startServe, startShiftwire, waitFor, type Proc } from '../helpers/fault-process.js';
import { tempDir } from '../helpers/harness.js';

const LOCK_WORDS = /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i;

let corpus: Corpus;
let dir: string;
let cleanup: () => void;
const procs: Proc[] = [];

beforeAll(async () => {
  // The feed server answers nobody until both the first and the last feed were asked for: the ingest
  // walking the list forwards and the one walking it backwards are then both fetching (and writing).
  corpus = await startCorpus({ feeds: 40, items: 40, shared: 5, delayMs: 50, barrier: [0, 39] });
  ({ dir, cleanup } = tempDir('shiftwire-concurrency-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill())); // whatever a failed test left running
  await corpus?.close();
  cleanup?.();
});

describe('concurrency: two ingest processes and serve on one database', () => {
  it('never lets a busy or locked error reach anyone, and loses or duplicates nothing', async () => {
    const db = path.join(dir, 'shared.db');
    const env = { FEEDS_FILE: writeFeedsFile(dir, corpusEntries(corpus)), DATABASE_PATH: db, ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0' };
    // serve keeps the default parse workers (one per core, taking turns to write); each ingest process
    // has one worker, which writes through its own connection: five writers in three processes, and
    // fewer threads starting at once on a small machine.
    // All three start at once on a database that does not exist yet: they also race to migrate it.
    const t0 = Date.now();
    const at = () => ((Date.now() - t0) / 1000).toFixed(1);
    const serving = startServe(env);
    // One walks the feeds from the first, the other from the last: they write side by side, meet in the
    // middle and race for the same feeds (and for the items neighbouring feeds share).
    const reversed = [...corpus.feedIds].reverse().flatMap((id) => ['--feed', id]);
    const ingests = [startShiftwire(['ingest'], { ...env, INGEST_WORKERS: '1' }), startShiftwire(['ingest', ...reversed], { ...env, INGEST_WORKERS: '1' })];
    procs.push(...ingests);
    const { proc: serve, base } = await serving;
    procs.push(serve);
    const serveReady = at();
    const paths = ['/healthz', '/api/v1/feeds', '/api/v1/stories?limit=50', '/api/v1/stories?company=openai&limit=20', '/api/v1/stories?q=inference', '/api/v1/companies'];
    const poller = pollApi(base, paths, { intervalMs: 10, check: (_p, _s, body) => (LOCK_WORDS.test(body) ? 'body mentions a lock' : null) });
    // When each ingest run started fetching and when it ended: the runs must really overlap.
    const spans = ingests.map(async (p) => {
      await reached(p, /fetching/, 180_000);
      const start = Date.now();
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 180_000))]);
      return { start, end: Date.now(), code };
    });
    const runs = await Promise.all(spans);
    const codes = runs.map((r) => r.code);
    const overlapMs = Math.min(runs[0]!.end, runs[1]!.end) - Math.max(runs[0]!.start, runs[1]!.start);
    // serve's own start-up run may still be going; let it finish while polling goes on.
    await waitFor(() => (serve.output().includes('"msg":"ingestion run finished"') ? true : undefined), 120_000, serve.output);
    const serveRunDone = at();
    const stats = await poller.stop();
    serve.sampleRss();
    const feedsRes = (await (await fetch(`${base}/api/v1/feeds`)).json()) as { feeds: Array<{ id: string; status: string; storyCount: number; lastError: string | null }> };
    serve.child.kill('SIGTERM');
    const serveExit = await Promise.race([serve.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    await serve.kill();

    console.info(
      `[concurrency] API polled ${stats.requests} times during the runs: ${stats.failureCount} failures, p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms, max ${stats.maxMs} ms; ` +
        `ingest exits ${codes.join(', ')}, the two runs overlapped for ${(overlapMs / 1000).toFixed(1)} s ` +
        `(from the spawn: serve answering at ${serveReady} s, ingest runs ${runs.map((r) => `${((r.start - t0) / 1000).toFixed(1)}-${((r.end - t0) / 1000).toFixed(1)} s`).join(' and ')}, serve's run done at ${serveRunDone} s, stopped at ${at()} s); peak RSS serve ${Math.round(serve.peakRssKb() / 1024)} MB, ingest ${ingests.map((p) => Math.round(p.peakRssKb() / 1024)).join(' / ')} MB`,
    );
    expect(stats.failures).toEqual([]);
    expect(stats.requests).toBeGreaterThan(50);
    expect(codes).toEqual([0, 0]);
    expect(overlapMs).toBeGreaterThan(1000);
    for (const p of [...ingests, serve]) expect(p.output()).not.toMatch(LOCK_WORDS);
    for (const p of ingests) expect(p.output()).toMatch(new RegExp(`${corpus.feeds} feeds: \\d+ updated, \\d+ not modified, 0 failed; \\d+ new stories`));
    expect(serveExit).toBe(0);
    expect(feedsRes.feeds).toHaveLength(corpus.feeds);
    for (const f of feedsRes.feeds) expect(f, f.id).toMatchObject({ status: 'ok', storyCount: corpus.items, lastError: null });

    const report = checkDatabase(db, corpus);
    expect(report).toEqual({ stories: corpus.expectedStories, feedsComplete: corpus.feeds, feedsEmpty: 0, violations: [] });
    expect(feedsNotOk(db)).toBe(0);
    // Whoever wrote a story first, the writers together created each story exactly once.
    const created = ingests.map((p) => Number(/; (\d+) new stories/.exec(p.output())?.[1] ?? Number.NaN));
    const byServe = Number(/"newStories":(\d+)[^\n]*"msg":"ingestion run finished"/.exec(serve.output())?.[1] ?? Number.NaN);
    console.info(`[concurrency] new stories written by ingest A (first to last) ${created[0]}, ingest B (last to first) ${created[1]}, serve ${byServe}`);
    expect(created[0]! + created[1]! + byServe).toBe(corpus.expectedStories);
    // Who created which stories is reported, not asserted: it depends on CPU scheduling. For one, a parse worker
    // that falls behind its fetches keeps its feeds in one batch until its queue drains, so on a loaded
    // machine one writer can create every story while the others, overlapping it (asserted above), find
    // them all known (CI once saw 0 / 1400 / 0). That is correct behaviour, and what this test checks holds either way.
  });
});
