/**
 * Issue 7, part 3 (the slow half): `shiftwire serve` meets every invalid and hostile document of the
 * shared fixture corpus, every generated attack (helpers/fault-hostile.ts: a 100 MB body, XML nested
 * 1,000,000 deep, a 1 MB title, endless streams, a 20-hop redirect chain, headers at one byte a second…)
 * and a set of good feeds, all in its start-up ingestion run. Throughout, /healthz and /api/v1/feeds are
 * polled: the API must keep answering (every answer 200; p99 latency reported and bounded), the process's
 * peak RSS (VmHWM) must stay bounded, and afterwards every feed must show a readable outcome.
 *
 * The gzip bomb (200 MB of spaces in 200 KB) must be refused as larger than 10 MB in the busy run too:
 * the decoders write 256 KB chunks (src/net/body.ts), so the limit is reached in some 40 turns of the
 * event loop. (With zlib's default 16 KB it took 640, and the busy run could time out first: the fault
 * this suite found.) A second serve with only the bomb checks its peak RSS alone.
 *
 * Redirects to 169.254.169.254 and localhost need ALLOW_PRIVATE_NETWORK=false with a test address
 * policy, which a child process cannot be given: they are in test/fault-hostile.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusEntries, startCorpus, writeFeedsFile, type Corpus } from '../helpers/fault-corpus.js';
import { isReadableError, startHostileServers, type HostileServers } from '../helpers/fault-hostile.js';
import { pollApi, startServe, waitFor, type PollStats } from '../helpers/fault-process.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { repoRoot, tempDir } from '../helpers/harness.js';

const fixturesDir = path.resolve(repoRoot, '../shared/fixtures/feeds');
interface Row { file: string; kind: string; traits: string[] }
const rows: Row[] = existsSync(fixturesDir) ? (JSON.parse(readFileSync(path.join(fixturesDir, 'MANIFEST.json'), 'utf8')) as Row[]) : [];
const fixtureId = (file: string) => `fx-${file.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63);

/** Bounds (generous for a loaded 2-core machine; the report prints the measured figures). */
const MAX_PEAK_RSS_MB = 900;
const MAX_P99_MS = 2_000;
/**
 * The lone bomb run: a serve parsing in its main thread peaks at about 170 MB with the 10 MB it may read;
 * the 200 MB of the bomb, decoded and held, would take it far past this.
 */
const MAX_BOMB_RSS_MB = 300;
const BOMB = 'atk-gzip-bomb';

interface ApiFeed { id: string; status: string; lastError: string | null; lastErrorCode: string | null; storyCount: number; lastFetchedAt: string | null }

describe('hostile and failing feeds against `shiftwire serve`', () => {
  let hostile: HostileServers;
  let fixtureServers: FeedServer[] = [];
  let corpus: Corpus;
  let dir: string;
  let cleanup: () => void;
  let stats: PollStats;
  let peakRssMb: number;
  let feeds: Map<string, ApiFeed>;
  let runMs: number;
  let serveExit: unknown;
  let bombAlone: { feed: ApiFeed | undefined; ms: number; peakRssMb: number };

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('shiftwire-hostile-'));
    hostile = await startHostileServers(20);
    corpus = await startCorpus({ feeds: 8, items: 20, shared: 0 });
    // The fixtures on four addresses, so four of them are fetched at a time.
    fixtureServers = await Promise.all([2, 3, 4, 5].map((n) => startFeedServer(`127.0.0.${n}`)));
    const fixtureEntries = rows.map((row, i) => {
      const server = fixtureServers[i % fixtureServers.length]!;
      server.route(`/${row.file}`, {
        body: readFileSync(path.join(fixturesDir, row.file)),
        headers: { 'content-type': row.file.endsWith('.json') ? 'application/feed+json' : 'application/xml', ...(row.traits.includes('gzip') ? { 'content-encoding': 'gzip' } : {}) },
      });
      return { id: fixtureId(row.file), url: server.url(`/${row.file}`) };
    });
    const feedsFile = writeFeedsFile(dir, [...hostile.attacks.map((a) => ({ id: a.id, url: a.url })), ...fixtureEntries, ...corpusEntries(corpus)]);
    const env = { FEEDS_FILE: feedsFile, DATABASE_PATH: path.join(dir, 'hostile.db'), ALLOW_PRIVATE_NETWORK: 'true', RATE_LIMIT_MAX: '0', FETCH_TIMEOUT_SECONDS: '8' };

    const started = Date.now();
    const { proc, base } = await startServe(env);
    try {
      const poller = pollApi(base, ['/healthz', '/api/v1/feeds'], { intervalMs: 25, timeoutMs: 15_000 });
      try {
        await waitFor(() => (proc.output().includes('"msg":"ingestion run finished"') ? true : undefined), 180_000, proc.output);
        runMs = Date.now() - started;
      } finally {
        stats = await poller.stop();
      }
      proc.sampleRss();
      peakRssMb = Math.round(proc.peakRssKb() / 1024);
      const list = (await (await fetch(`${base}/api/v1/feeds`)).json()) as { feeds: ApiFeed[] };
      feeds = new Map(list.feeds.map((f) => [f.id, f]));
      proc.child.kill('SIGTERM');
      serveExit = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    } finally {
      await proc.kill();
    }
    const sent = [...hostile.bytesSent].map(([id, n]) => `${id.replace(/^atk-/, '')} ${(n / 1048576).toFixed(1)} MB`).join(', ');

    // The gzip bomb again, alone, in a serve of its own whose peak RSS is read while it still runs.
    const bombEnv = { ...env, FEEDS_FILE: writeFeedsFile(dir, [{ id: BOMB, url: hostile.attacks.find((a) => a.id === BOMB)!.url }], 'bomb.yaml'), DATABASE_PATH: path.join(dir, 'bomb.db'), INGEST_WORKERS: '0' };
    const bombStarted = Date.now();
    const lone = await startServe(bombEnv);
    try {
      await waitFor(() => (lone.proc.output().includes('"msg":"ingestion run finished"') ? true : undefined), 180_000, lone.proc.output);
      lone.proc.sampleRss();
      const bombFeeds = (await (await fetch(`${lone.base}/api/v1/feeds`)).json()) as { feeds: ApiFeed[] };
      bombAlone = { feed: bombFeeds.feeds.find((f) => f.id === BOMB), ms: Date.now() - bombStarted, peakRssMb: Math.round(lone.proc.peakRssKb() / 1024) };
    } finally {
      await lone.proc.kill();
    }

    console.info(
      `[hostile] ${rows.length} fixture documents + ${hostile.attacks.length} generated attacks + ${corpus.feeds} good feeds in one serve run of ${(runMs / 1000).toFixed(1)} s; ` +
        `API polled ${stats.requests} times: ${stats.failureCount} failures, p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms, max ${stats.maxMs} ms; ` +
        `serve peak RSS ${peakRssMb} MB; bytes the attack servers got to send: ${sent}; ` +
        `gzip bomb in the run: ${feeds.get(BOMB)?.lastErrorCode} (${feeds.get(BOMB)?.lastError}), alone: ${bombAlone.feed?.lastErrorCode} in a serve run of ${(bombAlone.ms / 1000).toFixed(1)} s, peak RSS ${bombAlone.peakRssMb} MB`,
    );
  }, 240_000);

  afterAll(async () => {
    await hostile?.close();
    await Promise.all(fixtureServers.map((s) => s.close()));
    await corpus?.close();
    cleanup?.();
  });

  it('keeps answering throughout, quickly, in bounded memory, and stops cleanly', () => {
    expect(stats.failures).toEqual([]);
    expect(stats.requests).toBeGreaterThan(20);
    expect(stats.p99Ms).toBeLessThan(MAX_P99_MS);
    expect(peakRssMb).toBeLessThan(MAX_PEAK_RSS_MB);
    expect(serveExit).toBe(0);
  });

  it('gives every generated attack its expected, readable outcome', () => {
    for (const attack of hostile.attacks) {
      const feed = feeds.get(attack.id)!;
      if ('code' in attack.expect) {
        expect(feed.lastErrorCode, `${attack.id}: ${feed.lastError}`).toBe(attack.expect.code);
        expect(feed.lastError, attack.id).toMatch(attack.expect.message);
        expect(isReadableError(feed.lastError), `${attack.id}: ${feed.lastError}`).toBe(true);
        expect(feed.status).toBe('failing');
      } else {
        expect(feed, attack.id).toMatchObject({ status: 'ok', lastError: null });
        expect(feed.storyCount, attack.id).toBeGreaterThan(0);
      }
    }
    for (const id of ['atk-body-100mb', 'atk-length-100mb', 'atk-endless-fast']) expect(hostile.bytesSent.get(id) ?? 0, id).toBeLessThan(24 * 1048576);
  });

  it('refuses the gzip bomb alone as larger than 10 MB, in bounded memory', () => {
    expect(bombAlone.feed).toMatchObject({ status: 'failing', lastErrorCode: 'FEED_TOO_LARGE', lastError: expect.stringMatching(/larger than 10 MB/) });
    expect(isReadableError(bombAlone.feed!.lastError)).toBe(true);
    // 200 MB decoded and held would not fit: the reader stopped at the limit.
    expect(bombAlone.peakRssMb).toBeLessThan(MAX_BOMB_RSS_MB);
  });

  it.runIf(rows.length > 0)('gives every fixture document an outcome, and every failing one a readable reason', () => {
    for (const row of rows) {
      const feed = feeds.get(fixtureId(row.file))!;
      expect(feed.lastFetchedAt, row.file).not.toBeNull();
      if (feed.status === 'failing') expect(isReadableError(feed.lastError), `${row.file}: ${feed.lastError}`).toBe(true);
      if (row.traits.includes('entity_declaration')) expect(feed.lastErrorCode, row.file).toBe('FEED_UNSAFE');
      if (['rss2', 'atom', 'rdf', 'jsonfeed'].includes(row.kind)) expect(feed.status, `${row.file}: ${feed.lastError}`).toBe('ok');
    }
  });

  it('lets the good feeds beside the attacks through untouched', () => {
    for (const id of corpus.feedIds) expect(feeds.get(id), id).toMatchObject({ status: 'ok', storyCount: 20, lastError: null });
  });
});
