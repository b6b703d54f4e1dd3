/**
 * API benchmark on a 1,000,000-story database (seeded by bench/api/seed.ts when missing).
 *
 *   npx tsx bench/api/run.ts [--db bench/.out/api-1m.db] [--stories 1000000] [--duration 10] [--connections 10]
 *                            [--warmup 2] [--no-readme] [--sql-only]
 *
 * 1. The main SQL shapes: EXPLAIN QUERY PLAN and single-query timings (median and p99 of repeated runs),
 *    beside the naive queries the schema is designed to avoid.
 * 2. HTTP with autocannon on loopback (10 connections, ~10 s each, after a warm-up), each server in its
 *    own process: a Fastify hello-world, the bare reference (bench/api/bare.ts), and Shiftwire's API on
 *    a company filter, a company + theme filter, an FTS query and a deep cursor page. Bare-reference
 *    rounds alternate with Shiftwire's; each ratio is against the mean of the bare rounds beside it.
 * The table is printed and written to the "API" section of bench/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCursor } from '../../src/api/cursor.js';
import { createStoryFinder, RELEVANCE_WINDOW } from '../../src/api/story-filter.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { buildListQuery, buildRelevanceQuery, type StoryFilter } from '../../src/db/story-query.js';
import { createStoryReader } from '../../src/db/story-read.js';
import { DEFAULT_DB, ensureSeeded, root } from './seed.js';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: DEFAULT_DB },
    stories: { type: 'string', default: '1000000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'no-readme': { type: 'boolean', default: false },
    'sql-only': { type: 'boolean', default: false },
  },
});
const dbFile = path.resolve(values.db!);
const duration = Number(values.duration);
const connections = Number(values.connections);

// ── 1. SQL shapes ──────────────────────────────────────────────────────────────────────────────────
function timeQuery(db: Db, sql: string, params: Record<string, unknown>, runs: number): { median: number; p99: number; rows: number } {
  const stmt = db.prepare(sql);
  let rows = 0;
  for (let i = 0; i < 3; i++) rows = stmt.all(params).length; // warm the page cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    stmt.all(params);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!, rows };
}

function sqlSection(db: Db, deepId: number, depth: number): string[] {
  const lines: string[] = [];
  // As the API does for combined filters: the shorter timeline drives.
  const counts = new Map(db.prepare(`SELECT kind || ':' || tag_id, count(*) FROM story_tags GROUP BY kind, tag_id`).raw().all() as Array<[string, number]>);
  for (const [key, n] of db.prepare(`SELECT 'source:' || feed_id, count(*) FROM story_sources GROUP BY feed_id`).raw().all() as Array<[string, number]>) counts.set(key, n);
  const list = (filter: StoryFilter) => buildListQuery(filter, 51, (key) => counts.get(key));
  const shapes: Array<[string, { sql: string; params: Record<string, unknown> }, number]> = [
    ['company=openai, newest 50', list({ companies: ['openai'] }), 300],
    ['company=softbank (rare), newest 50', list({ companies: ['softbank'] }), 300],
    ['company=nvidia AND theme=geopolitics', list({ companies: ['nvidia'], themes: ['geopolitics'] }), 300],
    ['company=cohere (rare) AND theme=regulation', list({ companies: ['cohere'], themes: ['regulation'] }), 100],
    ['company=openai,anthropic (any of)', list({ companies: ['openai', 'anthropic'] }), 300],
    ['theme=regulation AND kind=policy', list({ themes: ['regulation'], kinds: ['policy'] }), 100],
    ['source=news-1', list({ sources: ['news-1'] }), 300],
    ['everything, newest 50', list({}), 300],
    ['q="export controls", newest 50', list({ match: '"export controls"' }), 300],
    ['q="export controls" AND company=nvidia', list({ match: '"export controls"', companies: ['nvidia'] }), 100],
    [`company=openai, page at depth ${depth.toLocaleString('en')}`, list({ companies: ['openai'], maxIdExclusive: deepId }), 300],
    ['q="export controls", sort=relevance: bm25 over all 280k matches', buildRelevanceQuery({ match: '"export controls"' }, 51, 0), 5],
    ['q=deepseek, sort=relevance: bm25 over all matches', buildRelevanceQuery({ match: '"deepseek"' }, 51, 0), 10],
    ['naive: JOIN tags, ORDER BY published_at', { sql: `SELECT s.id FROM stories s JOIN story_tags t ON t.story_id = s.id WHERE t.kind = 'company' AND t.tag_id = 'openai' ORDER BY s.published_at DESC LIMIT 50`, params: {} }, 5],
    ['naive: FTS JOIN stories, ORDER BY published_at', { sql: `SELECT s.id FROM stories_fts JOIN stories s ON s.id = stories_fts.rowid WHERE stories_fts MATCH '"export controls"' ORDER BY s.published_at DESC LIMIT 50`, params: {} }, 5],
  ];
  lines.push('| query | median ms | p99 ms | plan |', '|---|---:|---:|---|');
  for (const [name, { sql, params }, runs] of shapes) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>).map((r) => r.detail);
    const t = timeQuery(db, sql, params, runs);
    lines.push(`| ${name} | ${t.median.toFixed(3)} | ${t.p99.toFixed(3)} | ${plan.join('; ')} |`);
  }
  // What the API runs for sort=relevance: the newest RELEVANCE_WINDOW matches, then bm25 among them.
  const finder = createStoryFinder(db, { companies: [], themes: [] });
  for (const q of ['"export controls"', 'deepseek']) {
    const times: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = process.hrtime.bigint();
      finder.findIds({ q, sort: 'relevance' });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    lines.push(`| API: q=${q}, sort=relevance (bm25 among the newest ${RELEVANCE_WINDOW.toLocaleString('en')} matches) | ${times[6]!.toFixed(3)} | ${times[11]!.toFixed(3)} | newest-matches walk, then ORDER BY bm25 within that id range |`);
  }
  const reader = createStoryReader(db);
  const ids = db.prepare(`SELECT story_id FROM story_tags WHERE kind = 'company' AND tag_id = 'openai' ORDER BY story_id DESC LIMIT 50`).pluck().all() as number[];
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    reader.getStories(ids);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  lines.push(`| read 50 whole stories as objects (feeds out) | ${times[100]!.toFixed(3)} | ${times[197]!.toFixed(3)} | story-read.ts getStories: three json_each IN lookups |`);
  const jsonTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    reader.getStoriesJson(ids, false);
    jsonTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  jsonTimes.sort((a, b) => a - b);
  lines.push(`| read 50 stories as API JSON (the list endpoint) | ${jsonTimes[100]!.toFixed(3)} | ${jsonTimes[197]!.toFixed(3)} | story-read.ts getStoriesJson: json_object in SQLite |`);
  return lines;
}

// ── 2. HTTP ────────────────────────────────────────────────────────────────────────────────────────
async function startServer(script: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/api', script), dbFile], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { port, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Row {
  name: string;
  path: string;
  rps: number;
  p50: number;
  p99: number;
  /** CPU time (user + system, all threads) the server spent per request: what the machine's other load does not change much. */
  cpuMs: number;
  bytes?: number;
}

/** user + system CPU time of a process so far, in ms (Linux /proc; 0 elsewhere). */
function cpuTimeMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

async function measure(server: { port: number; child: ChildProcess }, name: string, urlPath: string): Promise<Row> {
  const url = `http://127.0.0.1:${server.port}${urlPath}`;
  const check = await fetch(url);
  const body = await check.text();
  if (check.status !== 200) throw new Error(`${name}: ${url} answered ${check.status}: ${body.slice(0, 300)}`);
  await autocannon({ url, connections, duration: Number(values.warmup) });
  const cpuBefore = cpuTimeMs(server.child.pid!);
  const r = (await autocannon({ url, connections, duration })) as AutocannonResult & { requests: { total: number } };
  const cpuMs = (cpuTimeMs(server.child.pid!) - cpuBefore) / Math.max(1, r.requests.total);
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  const row = { name, path: urlPath, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuMs, bytes: Buffer.byteLength(body) };
  console.log(`  ${name.padEnd(34)} ${row.rps.toFixed(0).padStart(7)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  ${cpuMs.toFixed(2)} ms CPU/req  (${(row.bytes / 1024).toFixed(1)} KB)`);
  return row;
}

/**
 * All three servers stay up; the rounds alternate between the bare reference and Shiftwire's queries,
 * so each Shiftwire row is compared with the bare rounds just before and after it (this machine may
 * be busy with other work, and its speed drifts).
 */
async function httpSection(deepCursor: string): Promise<Row[]> {
  const started: ChildProcess[] = [];
  const start = async (script: string) => {
    const server = await startServer(script);
    started.push(server.child);
    return server;
  };
  const rows: Row[] = [];
  try {
    const hello = await start('hello.ts');
    const bare = await start('bare.ts');
    const app = await start('app.ts');
    rows.push(await measure(hello, 'hello-world', '/'));
    const ours: Array<[string, string]> = [
      ['shiftwire: company filter', '/api/v1/stories?company=openai'],
      ['shiftwire: company + theme', '/api/v1/stories?company=nvidia&theme=geopolitics'],
      ['shiftwire: FTS "export controls"', `/api/v1/stories?q=${encodeURIComponent('"export controls"')}`],
      ['shiftwire: deep cursor page', `/api/v1/stories?company=openai&cursor=${deepCursor}`],
    ];
    let round = 1;
    rows.push(await measure(bare, `bare reference #${round++}`, '/stories?company=openai'));
    for (const [name, p] of ours) {
      rows.push(await measure(app, name, p));
      rows.push(await measure(bare, `bare reference #${round++}`, '/stories?company=openai'));
    }
  } finally {
    await Promise.all(started.map(stop));
  }
  return rows;
}

function table(rows: Row[]): string[] {
  const lines = [
    '| server / query | req/s | p50 ms | p99 ms | req/s vs bare | server CPU ms/req | CPU: bare / ours | response |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  rows.forEach((r, i) => {
    let ratio = '';
    let cpuRatio = '';
    if (r.name.startsWith('shiftwire')) {
      const around = [rows[i - 1], rows[i + 1]].filter((x): x is Row => x !== undefined && x.name.startsWith('bare'));
      const mean = (f: (x: Row) => number) => around.reduce((sum, x) => sum + f(x), 0) / around.length;
      ratio = `${((r.rps / mean((x) => x.rps)) * 100).toFixed(0)}%`;
      cpuRatio = `${((mean((x) => x.cpuMs) / r.cpuMs) * 100).toFixed(0)}%`;
    }
    lines.push(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${ratio} | ${r.cpuMs.toFixed(2)} | ${cpuRatio} | ${r.bytes ? `${(r.bytes / 1024).toFixed(1)} KB` : ''} |`);
  });
  return lines;
}

function writeReadme(section: string): void {
  const file = path.join(root, 'bench/README.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## API\b.*$/m);
  if (start === -1) {
    writeFileSync(file, `${current.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = current.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? current.length : start + 1 + next;
  writeFileSync(file, `${current.slice(0, start)}${section}${next === -1 ? '' : '\n'}${current.slice(end)}`);
}

ensureSeeded(dbFile, Number(values.stories));
const db = openDatabase(dbFile, { readonly: true });
const count = db.prepare('SELECT count(*) FROM stories').pluck().get() as number;
// A page deep into the biggest timeline: 100,000 stories in (or half-way on a small database).
const openaiCount = db.prepare(`SELECT count(*) FROM story_tags WHERE kind = 'company' AND tag_id = 'openai'`).pluck().get() as number;
const depth = Math.min(100_000, Math.floor(openaiCount / 2));
const deepId = db.prepare(`SELECT story_id FROM story_tags WHERE kind = 'company' AND tag_id = 'openai' ORDER BY story_id DESC LIMIT 1 OFFSET ?`).pluck().get(depth) as number;
console.log(`\nSQL on ${count.toLocaleString('en')} stories`);
const sql = sqlSection(db, deepId, depth);
db.close();
console.log(sql.join('\n'));
if (values['sql-only']) process.exit(0);
console.log(`\nHTTP: autocannon, ${connections} connections, ${duration} s each (after ${values.warmup} s of warm-up)`);
const rows = await httpSection(encodeCursor({ sort: 'published', lastId: deepId }));
const http = table(rows);
console.log(`\n${http.join('\n')}`);

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const section = `## API

Measured by \`npx tsx bench/api/run.ts\` on ${new Date().toISOString().slice(0, 10)}: ${count.toLocaleString('en')} stories (bench/api/seed.ts:
~40 feeds, zipf company tags, ~35% with a theme, ~1.2 KB of JSON per story), Node ${process.version}, ${os.cpus().length} × ${cpu}, load average
${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end of the run. autocannon on loopback, ${connections} connections, ${duration} s per row after a
${values.warmup} s warm-up; every server in its own process. The bare reference (Fastify + better-sqlite3 returning the same
50 stories, same JSON, no validation, schemas, ETag or hooks) runs between Shiftwire's rounds; "vs bare" compares with the
mean of the bare rounds just before and after. "server CPU ms/req" is the CPU time (all threads) the server process spent
per request during the round, read from /proc: on a machine shared with other work it is the steadier measure, and
"CPU: bare / ours" is the throughput ratio the two would have on an otherwise idle core.

${http.join('\n')}

Single queries on the same database (better-sqlite3, warm cache; the list queries ask for 51 rows, one more than a page):

${sql.join('\n')}
`;
if (!values['no-readme']) {
  writeReadme(section);
  console.log('\nwritten to bench/README.md (## API)');
}
