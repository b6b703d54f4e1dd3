import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rss, startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { repoRoot, tempDir } from './helpers/harness.js';
import { parseDockerfile } from './helpers/dockerfile.js';

/**
 * What the Dockerfile does, without Docker (no engine on our machines): a clean install from the lockfile,
 * the build, dev dependencies removed, the runtime stage's files laid out, then the image's CMD started with
 * the image's ENV. It must serve, ingest, answer queries and stop cleanly on SIGTERM.
 */
const run = promisify(execFile);
const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));

let work: { dir: string; cleanup: () => void };
let server: FeedServer;
let app: string;

beforeAll(async () => {
  work = tempDir('shiftwire-smoke-');
  server = await startFeedServer();
  const build = path.join(work.dir, 'build');
  app = path.join(work.dir, 'app');
  // Build stage: the files the Dockerfile copies before building.
  for (const file of dockerfile.stages.build!.copies) cpSync(path.join(repoRoot, file), path.join(build, file), { recursive: true });
  const npm = (args: string[]) => run('npm', args, { cwd: build, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' }, maxBuffer: 64 * 1024 * 1024 });
  await npm(['ci', '--prefer-offline']);
  await npm(['run', 'build']);
  await npm(['prune', '--omit=dev', '--prefer-offline']);
  // Runtime stage: what it copies from the build stage and from the context.
  mkdirSync(app, { recursive: true });
  for (const file of dockerfile.stages.runtime!.fromBuild) renameSync(path.join(build, file), path.join(app, file));
  for (const file of dockerfile.stages.runtime!.copies) cpSync(path.join(repoRoot, file), path.join(app, file), { recursive: true });
}, 600_000);

afterAll(async () => {
  await server?.close();
  work?.cleanup();
});

describe('production build (the Dockerfile steps without Docker)', () => {
  it('leaves no dev dependencies and no TypeScript sources in the runtime', () => {
    expect(existsSync(path.join(app, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(path.join(app, 'src'))).toBe(false);
    for (const dev of ['vitest', 'typescript', 'tsx', 'smtp-server']) expect(existsSync(path.join(app, 'node_modules', dev))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules', 'better-sqlite3'))).toBe(true);
  });

  it('starts with the image CMD and ENV, ingests a feed, answers queries, and exits cleanly on SIGTERM', async () => {
    server.route('/feed.xml', { body: rss([{ title: 'DeepSeek R1 rattles Nvidia', link: 'https://news.example/r1', guid: 'r1', pubDate: 'Mon, 27 Jan 2025 10:00:00 GMT' }]) });
    const feeds = path.join(work.dir, 'feeds.yaml');
    writeFileSync(feeds, `feeds:\n  - { id: local, name: Local, url: "${server.url('/feed.xml')}" }\n`);
    const [cmd, ...args] = dockerfile.cmd;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...dockerfile.env,
      // The test's own differences from the image: a free port, the volume in a temp folder, a loopback feed.
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_PATH: path.join(work.dir, 'data', 'shiftwire.db'),
      FEEDS_FILE: feeds,
      ALLOW_PRIVATE_NETWORK: 'true',
      TAXONOMY_FILE: path.join(app, 'taxonomy.yaml'),
    };
    const child = spawn(cmd === 'node' ? process.execPath : cmd!, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const base = await poll(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1], () => out);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const stories = await poll(async () => {
        const body = (await (await fetch(`${base}/api/v1/stories?company=deepseek`)).json()) as { stories?: Array<{ title: string }> };
        return body.stories?.length ? body.stories : undefined;
      }, () => out);
      expect(stories[0]!.title).toBe('DeepSeek R1 rattles Nvidia');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/"msg":"stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

async function poll<T>(probe: () => T | undefined | Promise<T | undefined>, context: () => string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out; output:\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
