import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (and creates, with its folder) the SQLite file with the pragmas every connection needs:
 * WAL so readers never block the writer, a busy timeout so concurrent processes wait instead of failing,
 * foreign keys on, synchronous=NORMAL (safe with WAL: a crash loses at most the last transactions,
 * never consistency). `cacheMb` sizes the page cache (the ingestion workers' extra connections use less).
 * `secondary`: another connection already opened the file and switched it to WAL (which is persistent);
 * this one skips that step, which would otherwise wait for (or fail against) a writer.
 */
export function openDatabase(file: string, options: { readonly?: boolean; cacheMb?: number; secondary?: boolean } = {}): Db {
  const setUp = !options.readonly && !options.secondary;
  if (file !== ':memory:' && setUp) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.secondary ?? false });
  db.pragma('busy_timeout = 10000');
  if (setUp) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma(`cache_size = -${(options.cacheMb ?? 64) * 1024}`); // page cache, 64 MB unless told otherwise
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * Runs `fn` with the busy timeout at 0, so a write that would wait for another connection's lock fails at
 * once with SQLITE_BUSY instead; the connection's own timeout is restored afterwards.
 */
export function withoutWaiting<T>(db: Db, fn: () => T): T {
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    return fn();
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}
