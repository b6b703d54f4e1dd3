import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens (and creates, with its folder) the SQLite file with the pragmas every connection needs:
 * WAL so readers never block the writer, a busy timeout so concurrent processes wait instead of failing,
 * foreign keys on, synchronous=NORMAL (safe with WAL: a crash loses at most the last transactions,
 * never consistency).
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Db {
  if (file !== ':memory:' && !options.readonly) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536'); // 64 MB page cache
  db.pragma('temp_store = MEMORY');
  return db;
}
