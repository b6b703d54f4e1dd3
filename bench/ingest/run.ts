/**
 * Ingestion benchmark: 200 feeds × 50 items served on loopback, ingested end to end by Shiftwire's
 * compiled CLI (`node dist/cli.js ingest`: fetch, decode, parse, sanitize, tag, dedupe, SQLite + FTS),
 * side by side with newsboat (`newsboat -u urls -c cache.db -x reload`, which also stores into SQLite).
 * Reports items/second (wall clock, process start to exit) and peak RSS, median of several rounds.
 *
 *   npm run build && npx tsx bench/ingest/run.ts [--rounds 3] [--feeds 200] [--items 50] [--only shiftwire|newsboat]
 *
 * Needs Debian's `newsboat` and `time` packages (apt-get install -y newsboat time).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeFeed } from './generate.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, feeds: { type: 'string', default: '200' }, items: { type: 'string', default: '50' }, hosts: { type: 'string', default: '16' }, only: { type: 'string' } } });
const rounds = Number(values.rounds);
const feedCount = Number(values.feeds);
const itemCount = Number(values.items);
const hostCount = Number(values.hosts);
const root = path.resolve(import.meta.dirname, '../..');

interface Measure { seconds: number; cpuSeconds: number; peakRssMb: number; stored: number }

async function startServers(): Promise<{ urls: string[]; close: () => void }> {
  const bodies = Array.from({ length: feedCount }, (_, i) => Buffer.from(makeFeed(i, itemCount)));
  const servers: Server[] = [];
  const origins: string[] = [];
  // Feeds spread over several loopback addresses, as real feeds are spread over hosts (Shiftwire fetches
  // one request at a time per host).
  for (let h = 1; h <= hostCount; h++) {
    const server = createServer((req, res) => {
      const n = Number(/\/feed\/(\d+)\.xml/.exec(req.url ?? '')?.[1] ?? -1);
      const body = bodies[n];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, `127.0.0.${h}`, resolve));
    servers.push(server);
    origins.push(`http://127.0.0.${h}:${(server.address() as AddressInfo).port}`);
  }
  const urls = Array.from({ length: feedCount }, (_, i) => `${origins[i % origins.length]}/feed/${i}.xml`);
  return { urls, close: () => servers.forEach((s) => s.close()) };
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ seconds: number; cpuSeconds: number; peakRssMb: number; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M CPU_SECONDS=%U+%S', cmd, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${output.slice(-2000)}`));
      const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(output)?.[1] ?? NaN);
      const cpu = /CPU_SECONDS=([\d.]+)\+([\d.]+)/.exec(output);
      resolve({ seconds, cpuSeconds: Number(cpu?.[1] ?? NaN) + Number(cpu?.[2] ?? NaN), peakRssMb: kb / 1024, output });
    });
  });
}

async function runShiftwire(urls: string[], dir: string): Promise<Measure> {
  const feeds = path.join(dir, 'feeds.yaml');
  writeFileSync(feeds, `feeds:\n${urls.map((u, i) => `  - { id: f${i}, name: Feed ${i}, url: "${u}" }`).join('\n')}\n`);
  const db = path.join(dir, 'shiftwire.db');
  const env = { ...process.env, FEEDS_FILE: feeds, DATABASE_PATH: db, ALLOW_PRIVATE_NETWORK: 'true', FETCH_CONCURRENCY: '16', LOG_LEVEL: 'error' };
  const r = await timed(process.execPath, [path.join(root, 'dist/cli.js'), 'ingest'], env, root);
  const stored = Number(/(\d+) new stories/.exec(r.output)?.[1] ?? 0);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb, stored };
}

async function runNewsboat(urls: string[], dir: string): Promise<Measure> {
  writeFileSync(path.join(dir, 'urls'), urls.join('\n') + '\n');
  writeFileSync(path.join(dir, 'config'), 'reload-threads 16\nsuppress-first-reload yes\n');
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, LANG: 'C.UTF-8', TERM: 'dumb' };
  const r = await timed('newsboat', ['-u', path.join(dir, 'urls'), '-c', path.join(dir, 'cache.db'), '-C', path.join(dir, 'config'), '-x', 'reload'], env, dir);
  const stored = Number(execFileSync('sqlite3', [path.join(dir, 'cache.db'), 'SELECT count(*) FROM rss_item'], { encoding: 'utf8' }).trim() || 0);
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb, stored };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main() {
  if (!existsSync(path.join(root, 'dist/cli.js'))) throw new Error('run `npm run build` first: the benchmark measures the compiled CLI');
  const { urls, close } = await startServers();
  const items = feedCount * itemCount;
  const results: Record<'shiftwire' | 'newsboat', Measure[]> = { shiftwire: [], newsboat: [] };
  const hasNewsboat = (() => {
    try {
      execFileSync('newsboat', ['--version'], { stdio: 'ignore' });
      execFileSync('sqlite3', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const name of (hasNewsboat ? (['shiftwire', 'newsboat'] as const) : (['shiftwire'] as const)).filter((n) => !values.only || n === values.only)) {
        const dir = mkdtempSync(path.join(tmpdir(), `bench-${name}-`));
        try {
          const m = name === 'shiftwire' ? await runShiftwire(urls, dir) : await runNewsboat(urls, dir);
          results[name].push(m);
          console.log(`round ${r + 1} ${name.padEnd(9)} ${m.seconds.toFixed(2)} s  ${(items / m.seconds).toFixed(0)} items/s  CPU ${m.cpuSeconds.toFixed(2)} s  peak RSS ${m.peakRssMb.toFixed(0)} MB  stored ${m.stored}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    close();
  }
  console.log(`\n${feedCount} feeds × ${itemCount} items = ${items} items, ${hostCount} loopback hosts, median of ${rounds}:`);
  console.log('| reader | items/s | seconds | CPU (user+sys) | peak RSS |\n|---|---|---|---|---|');
  const row = (name: string, ms: Measure[]) => {
    const s = median(ms.map((m) => m.seconds));
    console.log(`| ${name} | ${(items / s).toFixed(0)} | ${s.toFixed(2)} | ${median(ms.map((m) => m.cpuSeconds)).toFixed(2)} s | ${median(ms.map((m) => m.peakRssMb)).toFixed(0)} MB |`);
    return items / s;
  };
  const ours = row('Shiftwire (node dist/cli.js ingest)', results.shiftwire);
  if (results.newsboat.length > 0) {
    const theirs = row('newsboat -x reload', results.newsboat);
    console.log(`\nShiftwire / newsboat: ${(ours / theirs).toFixed(2)}×`);
  } else {
    console.log('\n(newsboat or sqlite3 not installed: apt-get install -y newsboat sqlite3 time)');
  }
}

await main();
