/**
 * Issue 7, part 1: crash consistency. `shiftwire ingest` runs as a child process over a generated feed set
 * (60 feeds × 30 items on loopback, 5 items of each feed also carried by the next one) and is killed
 * with SIGKILL at seeded random moments. After every kill the database must be whole (see
 * checkDatabase: integrity, FTS, no duplicates, tags, search rows, sources, each feed all-or-nothing),
 * and a normal run afterwards must complete what was left.
 *
 * Trials run in chains on one database: a fresh file, then kill after kill (each restart meets the state
 * the previous kill left, including feeds whose ETag is already stored), until a run gets to the end;
 * then one more uninterrupted run must find everything in place, and the next chain starts afresh.
 * Two lanes of chains run side by side, each on its own databases and feed server, one per write path:
 * - "main thread": INGEST_WORKERS=0, the process parses and writes on its main thread;
 * - "workers": a parse worker parses the feeds and writes them through its own connection
 *   (INGEST_WORKERS=1, INGEST_WRITER=workers: `ingest` writes on its main thread by default). What was fetched while the worker started is written in batches (up to 600 stories);
 *   after that its feed server's 25 ms per answer lets feeds arrive, and be written, one by one.
 * Replay a failure with FAULT_SEED=<seed printed in the report>; FAULT_VERBOSE=1 logs every trial.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatabase, corpusEntries, faultSeed, feedsNotOk, startCorpus, writeFeedsFile, type Corpus } from '../helpers/fault-corpus.js';
import { createRandom } from '../helpers/random.js';
import { runToEnd, startShiftwire, storedFeeds, waitFor, type Proc } from '../helpers/fault-process.js';
import { tempDir } from '../helpers/harness.js';

const SEED = faultSeed(20250701);
/** SIGKILLs per lane: fewer where each trial waits for a worker to start. */
const KILLS = { 'main thread': 13, workers: 9 } as const;
const TOTAL_KILLS = KILLS['main thread'] + KILLS.workers;

interface Lane {
  name: 'main thread' | 'workers';
  corpus: Corpus;
  env: (db: string) => Record<string, string>;
}

interface Trial {
  lane: Lane['name'];
  chain: number;
  phase: 'start-up' | 'ingesting';
  /** Newly stored feeds the run reported before the kill's delay started (0 in start-up). */
  feedsFirst: number;
  delayMs: number;
  /** Feeds fully stored before and after the kill. */
  before: number;
  after: number;
  exit: number | string;
}

let lanes: Lane[] = [];
const procs: Proc[] = [];
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('shiftwire-crash-'));
  const setups = [
    { name: 'main thread', delayMs: 0, workers: '0', writer: 'main' },
    { name: 'workers', delayMs: 25, workers: '1', writer: 'workers' },
  ] as const;
  lanes = await Promise.all(
    setups.map(async ({ name, delayMs, workers, writer }, i) => {
      const corpus = await startCorpus({ feeds: 60, items: 30, shared: 5, delayMs });
      const feedsFile = writeFeedsFile(dir, corpusEntries(corpus), `feeds-${i}.yaml`);
      return { name, corpus, env: (db: string) => ({ FEEDS_FILE: feedsFile, DATABASE_PATH: db, ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn', INGEST_WORKERS: workers, INGEST_WRITER: writer }) };
    }),
  );
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill())); // whatever a failed trial left running
  await Promise.all(lanes.map((l) => l.corpus.close()));
  cleanup?.();
});

/** The random wait after the chosen progress line: up to a few feeds' parse and write time. */
const MAX_DELAY_MS = 60;

/** One lane: chains of kills until it has its share of `KILLS`. */
async function runLane(lane: Lane, index: number) {
  const { corpus } = lane;
  const random = createRandom(SEED + index);
  const file = (name: string) => path.join(dir, `lane-${index}-chain-${name}.db`);
  const trials: Trial[] = [];
  const violations: string[] = [];
  /** Spawn to the first newly stored feed, as the last trial that got there took (none yet: no start-up kill). */
  let startupMs: number | undefined;
  let chain = 0;
  let before = 0;
  const finishChain = async () => {
    const db = file(String(chain));
    const finish = await runToEnd(['ingest'], lane.env(db));
    expect(finish.code, finish.out).toBe(0);
    expect(finish.out).toMatch(new RegExp(`${corpus.feeds} feeds: \\d+ updated, \\d+ not modified, 0 failed`));
    const final = checkDatabase(db, corpus);
    expect(final.violations, `${lane.name} chain ${chain}`).toEqual([]);
    expect(final.stories, `${lane.name} chain ${chain}`).toBe(corpus.expectedStories);
    expect(final.feedsComplete).toBe(corpus.feeds);
    expect(feedsNotOk(db), `${lane.name} chain ${chain}: feeds not ok after the final run`).toBe(0);
  };
  while (trials.filter((t) => t.exit === 'SIGKILL').length < KILLS[lane.name]) {
    // Every fifth kill (the 3rd, 8th, …) lands in start-up (migrations, feeds.yaml sync, workers
    // starting, the 304s of the feeds already stored), at a random time between the spawn and when the
    // last trial saw its first stored feed. The others land while feeds are written: after 1-3 of this run's newly stored
    // feeds, plus a random 0-60 ms, so the kill falls anywhere between two commits or inside one.
    // (Timing these from the spawn alone would waste most trials on a loaded machine, where start-up
    // time varies by seconds.)
    const db = file(String(chain));
    const inStartup = trials.length % 5 === 2 && startupMs !== undefined;
    const feedsFirst = inStartup ? 0 : 1 + Math.floor(random() * 3);
    const delayMs = Math.round(random() * (inStartup ? startupMs! : MAX_DELAY_MS));
    const spawned = Date.now();
    const proc = startShiftwire(['ingest'], lane.env(db));
    procs.push(proc);
    const storedAtLeast = (n: number) => waitFor(() => (storedFeeds(proc) >= n || proc.child.exitCode !== null ? true : undefined), 120_000, proc.output, 5);
    if (!inStartup) {
      await storedAtLeast(1);
      if (proc.child.exitCode === null) startupMs = Date.now() - spawned;
      await storedAtLeast(feedsFirst);
    }
    await new Promise((r) => setTimeout(r, delayMs));
    const exit = await proc.kill('SIGKILL');
    const report = checkDatabase(db, corpus);
    const phase = inStartup ? 'start-up' : 'ingesting';
    trials.push({ lane: lane.name, chain, phase, feedsFirst, delayMs, before, after: report.feedsComplete, exit });
    violations.push(...report.violations.map((v) => `${lane.name} chain ${chain} trial ${trials.length} (${phase}, ${feedsFirst} feeds +${delayMs} ms): ${v}`));
    if (process.env.FAULT_VERBOSE) console.info(`[crash] ${lane.name} chain ${chain} ${phase} ${feedsFirst} feeds +${delayMs} ms -> ${String(exit)}, feeds ${before} -> ${report.feedsComplete}`);
    before = report.feedsComplete;
    if (before >= corpus.feeds - 2 || exit !== 'SIGKILL') {
      await finishChain();
      chain++;
      before = 0;
    }
  }
  await finishChain();
  return { trials, violations, chains: chain + 1, startupMs: startupMs ?? 0 };
}

describe('crash consistency: SIGKILL during `shiftwire ingest`', () => {
  it(`keeps the database whole after ${TOTAL_KILLS} kills at random moments, and the next run completes it`, { timeout: 300_000 }, async () => {
    const settled = await Promise.allSettled(lanes.map(runLane));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const results = settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof runLane>>>).value);
    const trials = results.flatMap((r) => r.trials);
    const violations = results.flatMap((r) => r.violations);
    const feeds = lanes[0]!.corpus.feeds;
    const killed = trials.filter((t) => t.exit === 'SIGKILL');
    const midway = killed.filter((t) => t.after > t.before && t.after < feeds);
    const describeLane = (lane: Lane, r: (typeof results)[number]) => {
      const k = r.trials.filter((t) => t.exit === 'SIGKILL');
      return (
        `${lane.name}: ${r.trials.length} trials in ${r.chains} chains, ${k.length} killed (${k.filter((t) => t.phase === 'start-up').length} in start-up, ` +
        `${k.filter((t) => t.after > t.before && t.after < feeds).length} after storing some feeds and before others; spawn to first stored feed ${r.startupMs} ms in its last trial)`
      );
    };
    console.info(
      `[crash] seed ${SEED}: ${trials.length} trials, ${killed.length} killed by SIGKILL, ${midway.length} of them after storing some feeds and before others; ` +
        `${lanes.map((l, i) => describeLane(l, results[i]!)).join('; ')}; violations: ${violations.length}`,
    );
    expect(violations).toEqual([]);
    expect(killed.length).toBeGreaterThanOrEqual(20);
    // The kills really landed while feeds were being written, not only before or after, on both paths.
    expect(midway.length).toBeGreaterThanOrEqual(8);
    for (const lane of lanes) expect(midway.filter((t) => t.lane === lane.name).length, lane.name).toBeGreaterThanOrEqual(3);
  });
});
