import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupDatabase, verifyBackup } from '../src/db/backup.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase, type Db } from '../src/db/open.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs a command function in a child process, as src/cli.ts would (errors → stderr, exit 1). */
function runCommand(fn: string, file: string, args: string[], env: Record<string, string>): Promise<Result> {
  const url = pathToFileURL(path.join(repoRoot, file)).href;
  const script = `import { ${fn} } from ${JSON.stringify(url)};
try { process.exitCode = await ${fn}(${JSON.stringify(args)}, process.stdout); }
catch (err) { process.stderr.write('shiftwire: ' + err.message + '\\n'); process.exitCode = 1; }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`timed out: ${stdout}\n${stderr}`))), 30_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

const backup = (args: string[], env: Record<string, string>) => runCommand('backupCommand', 'src/commands/backup.ts', args, env);

/**
 * Another connection, on another thread, committing stories (each with its key and source) in small
 * transactions until told to stop. `count` is the number of committed stories.
 */
function startWriter(file: string, firstId: number): { count: () => number; stop: () => Promise<number> } {
  const shared = new Int32Array(new SharedArrayBuffer(8)); // [0] = stop flag, [1] = committed stories
  const code = `
    const { workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 10000');
    const flags = workerData.shared;
    const story = db.prepare("INSERT INTO stories (id, title, summary, published_at, first_seen_at, feed_id, title_key) VALUES (?, ?, 'written during the backup', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 'w', 'k')");
    const key = db.prepare('INSERT INTO story_keys (key, story_id) VALUES (?, ?)');
    const source = db.prepare("INSERT INTO story_sources (story_id, feed_id, first_seen_at) VALUES (?, 'w', '2025-01-01T00:00:00.000Z')");
    let id = workerData.firstId;
    const batch = db.transaction(() => { for (let i = 0; i < 5; i++) { id++; story.run(id, 'concurrent ' + id); key.run('w:' + id, id); source.run(id); } });
    while (Atomics.load(flags, 0) === 0) { batch(); Atomics.add(flags, 1, 5); }
    db.close();`;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(code, { eval: true, workerData: { file, firstId, driver, shared } });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('exit', () => resolve());
    worker.once('error', reject);
  });
  return {
    count: () => Atomics.load(shared, 1),
    async stop() {
      Atomics.store(shared, 0, 1);
      await exited;
      return Atomics.load(shared, 1);
    },
  };
}

function seed(db: Db, stories: number): void {
  db.prepare("INSERT INTO feeds (id, name, url, created_at, updated_at) VALUES ('w', 'W', 'https://w.example/feed', '2025-01-01', '2025-01-01')").run();
  const insert = db.prepare(`INSERT INTO stories (id, title, summary, published_at, first_seen_at, feed_id, title_key) VALUES (?, ?, ?, '2024-06-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z', 'w', 'k')`);
  const key = db.prepare('INSERT INTO story_keys (key, story_id) VALUES (?, ?)');
  const filler = 'lorem ipsum dolor sit amet '.repeat(40);
  db.transaction(() => {
    for (let id = 1; id <= stories; id++) {
      insert.run(id, `seeded story ${id} ${id === 7 ? 'zanzibarite' : ''}`, filler);
      key.run(`seed:${id}`, id);
    }
  })();
}

function fullCount(file: string): { stories: number; keys: number; sources: number; fts: number; journal: string } {
  const db = openDatabase(file, { readonly: true });
  try {
    const one = (sql: string) => db.prepare(sql).pluck().get() as number;
    return {
      stories: one('SELECT count(*) FROM stories'),
      keys: one('SELECT count(*) FROM story_keys'),
      sources: one("SELECT count(*) FROM story_sources WHERE feed_id = 'w'"),
      fts: one("SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'concurrent OR seeded'"),
      journal: db.pragma('journal_mode', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

let t: { db: Db; file: string; dir: string };
beforeEach(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shiftwire-backup-'));
  const file = path.join(dir, 'shiftwire.db');
  t = { db: openDatabase(file), file, dir };
  migrate(t.db);
  seed(t.db, 4000);
});
afterEach(() => {
  t.db.close();
  rmSync(t.dir, { recursive: true, force: true });
});

describe('backup', { timeout: 90_000 }, () => {
  it('copies a consistent snapshot while another connection keeps inserting', async () => {
    const writer = startWriter(t.file, 1_000_000);
    while (writer.count() < 200) await new Promise((r) => setTimeout(r, 5));
    const reader = openDatabase(t.file, { readonly: true });
    const before = writer.count();
    const target = path.join(t.dir, 'copy.db');
    const result = backupDatabase(reader, target);
    const during = writer.count() - before;
    reader.close();
    const after = await writer.stop();

    expect(during).toBeGreaterThan(0); // the writer really committed while the copy was being made
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(verifyBackup(target).stories).toBe(result.stories);
    const copy = fullCount(target);
    expect(copy.journal).toBe('delete'); // self-contained: nothing lives in a -wal beside it
    expect(copy.stories).toBeGreaterThanOrEqual(4000 + before);
    expect(copy.stories).toBeLessThanOrEqual(4000 + after);
    expect(copy.stories % 5).toBe(0); // whole transactions only
    expect(copy.keys).toBe(copy.stories);
    expect(copy.sources).toBe(copy.stories - 4000);
    expect(copy.fts).toBe(copy.stories);

    // The copy is a working database: FTS5 agrees with its content table, search finds seeded words.
    const db = openDatabase(target);
    expect(() => db.exec("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")).not.toThrow();
    expect(db.prepare("SELECT rowid FROM stories_fts WHERE stories_fts MATCH 'zanzibarite'").pluck().all()).toEqual([7]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('`shiftwire backup` works against a live writer, prints size and time, and refuses to overwrite without --force', async () => {
    const env = { DATABASE_PATH: t.file, LOG_LEVEL: 'warn' };
    const target = path.join(t.dir, 'nightly.db');
    const writer = startWriter(t.file, 2_000_000);
    const r = await backup([target], env);
    const after = await writer.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backed up .*shiftwire\.db to .*nightly\.db: \d+(\.\d)? (KB|MB), \d+ stories, 1 feeds, in \d+\.\ds \(integrity ok\)/);
    const copy = fullCount(target);
    expect(copy.stories).toBeGreaterThanOrEqual(4000);
    expect(copy.stories).toBeLessThanOrEqual(4000 + after);
    expect(copy.keys).toBe(copy.stories);

    writeFileSync(target, 'precious');
    const refused = await backup([target], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/nightly\.db already exists.*--force/);
    expect(readFileSync(target, 'utf8')).toBe('precious');

    const forced = await backup([target, '--force'], env);
    expect(forced.code).toBe(0);
    expect(fullCount(target).stories).toBe(4000 + after);
  });

  it('explains a missing database or argument instead of creating anything', async () => {
    const missing = path.join(t.dir, 'nothing-here.db');
    const r = await backup([path.join(t.dir, 'x.db')], { DATABASE_PATH: missing });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no database at .*nothing-here\.db/);
    expect(existsSync(missing)).toBe(false);
    const usage = await backup([], { DATABASE_PATH: t.file });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage: shiftwire backup <file> \[--force\]/);
  });
});
