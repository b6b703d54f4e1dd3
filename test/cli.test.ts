import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { bin, runCli } from './helpers/cli.js';
import { repoRoot, tempDir } from './helpers/harness.js';

const run = runCli;

let server: FeedServer;
let dir: string;
let cleanup: () => void;
let env: Record<string, string>;

beforeEach(async () => {
  server = await startFeedServer();
  ({ dir, cleanup } = tempDir());
  server.route('/good.xml', { body: rss([{ title: 'Anthropic releases Claude 3.5 Sonnet', link: 'https://news.example/claude', guid: 'c' }]) });
  server.route('/gone.xml', { status: 404, body: 'no' });
  const feeds = path.join(dir, 'feeds.yaml');
  writeFileSync(
    feeds,
    `feeds:\n  - { id: good, name: Good, url: "${server.url('/good.xml')}" }\n  - { id: gone, name: Gone, url: "${server.url('/gone.xml')}" }\n`,
  );
  env = { FEEDS_FILE: feeds, DATABASE_PATH: path.join(dir, 'db', 'shiftwire.db'), ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn' };
});

afterEach(async () => {
  await server.close();
  cleanup();
});

describe('shiftwire CLI', () => {
  it('explains itself with --help', async () => {
    const r = await run(['--help'], env);
    expect(r.code).toBe(0);
    for (const command of ['serve', 'ingest', 'migrate', 'tag', 'retag']) expect(r.stdout).toContain(command);
  });

  it('ingest prints a line per feed and a total, and exits 0 even when a feed fails', async () => {
    const r = await run(['ingest'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fetching 2 feeds/);
    expect(r.stdout).toMatch(/good\s+1 new, 0 known/);
    expect(r.stdout).toMatch(/gone\s+FAILED\s+.*404/);
    expect(r.stdout).toMatch(/2 feeds: 1 updated, 0 not modified, 1 failed; 1 new stories/);
    const again = await run(['ingest', '--due'], env);
    expect(again.stdout).toMatch(/no feeds to fetch/);
    const db = openDatabase(env.DATABASE_PATH!, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM stories').pluck().get()).toBe(1);
    db.close();
  });

  it('ingest finishes its run and exits 0 when its reader stops early (ingest | head -1)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    server.route('/late.xml', async (_req, res) => {
      await released; // answers only once the reader has gone: its line meets a closed pipe
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss([{ title: 'Nvidia ships Blackwell', link: 'https://news.example/late', guid: 'l' }]));
    });
    const feeds = path.join(dir, 'late.yaml');
    writeFileSync(feeds, `feeds:\n  - { id: good, name: Good, url: "${server.url('/good.xml')}" }\n  - { id: late, name: Late, url: "${server.url('/late.xml')}" }\n`);
    const child = spawn(process.execPath, [bin, 'ingest'], { cwd: repoRoot, env: { ...process.env, ...env, FEEDS_FILE: feeds }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    release();
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    const db = openDatabase(env.DATABASE_PATH!, { readonly: true });
    expect(db.prepare('SELECT url FROM stories ORDER BY url').pluck().all()).toEqual(['https://news.example/claude', 'https://news.example/late']);
    db.close();
  });

  it('refuses to start on invalid configuration and names the culprit', async () => {
    const badPort = await run(['ingest'], { ...env, PORT: 'abc' });
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/PORT: must be a whole number/);
    const badFeeds = path.join(dir, 'bad.yaml');
    writeFileSync(badFeeds, 'feeds:\n  - { id: ok, name: x, url: "https://a.example/" }\n  - { id: x, name: y, url: "not a url" }\n');
    const r = await run(['ingest'], { ...env, FEEDS_FILE: badFeeds });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).toMatch(/feeds\[1\]\.url/);
  });

  it('migrate creates the database and reports the schema version', async () => {
    const r = await run(['migrate'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/migrated from version 0 to \d+/);
    expect((await run(['migrate'], env)).stdout).toMatch(/schema is current/);
  });

  it('serve answers /healthz and lists feeds with their state, and stops cleanly on SIGTERM mid-run', async () => {
    let hanging = 0;
    server.route('/hang.xml', () => {
      hanging++; // never answers: the start-up run is still in flight when SIGTERM comes
    });
    const feeds = path.join(dir, 'serve.yaml');
    writeFileSync(feeds, `feeds:\n  - { id: good, name: Good, url: "${server.url('/good.xml')}" }\n  - { id: hang, name: Hang, url: "${server.url('/hang.xml')}" }\n`);
    const child: ChildProcess = spawn(process.execPath, [bin, 'serve'], {
      cwd: repoRoot,
      env: { ...process.env, ...env, FEEDS_FILE: feeds, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const base = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*shiftwire is serving/.exec(out)?.[1], 20_000, () => out);
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      await waitFor(() => (hanging > 0 ? true : undefined), 10_000, () => out);
      const list = (await (await fetch(`${base}/api/v1/feeds`)).json()) as { feeds: Array<{ id: string; status: string; storyCount: number }> };
      await waitFor(async () => {
        const l = (await (await fetch(`${base}/api/v1/feeds`)).json()) as typeof list;
        return l.feeds.find((f) => f.id === 'good')?.storyCount === 1 ? l : undefined;
      }, 10_000, () => out);
      expect(list.feeds.map((f) => f.id).sort()).toEqual(['good', 'hang']);
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code).toBe(0);
      expect(out).toMatch(/"msg":"stopped"/);
      const db = openDatabase(env.DATABASE_PATH!, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare("SELECT last_fetched_at FROM feeds WHERE id = 'hang'").pluck().get()).toBeNull();
      db.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; output:\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
