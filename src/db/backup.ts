/**
 * Online backup of the SQLite file, safe while `serve` is writing.
 *
 * Why VACUUM INTO rather than better-sqlite3's db.backup() (the SQLite online-backup API):
 *  - VACUUM INTO copies from ONE read transaction. In WAL mode that is a snapshot: the copy is exactly
 *    the database at one instant, and writers are never blocked while it runs. The backup API instead
 *    copies pages in steps and restarts from scratch whenever another connection writes between two
 *    steps, so against a busy `serve` it can take much longer or never finish;
 *  - the result is one self-contained file in rollback-journal mode (no -wal/-shm to carry along),
 *    compacted (no free pages), with every table and index including the full-text index;
 *  - it works from a read-only connection, so `backup` never writes to the live database.
 * The copy is written under a temporary name beside the target, checked (PRAGMA integrity_check),
 * fsynced, and only then given its final name, so a failed or interrupted backup never leaves a
 * half-written file where a good backup is expected.
 */
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { AppError, describeError } from '../shared/errors.js';
import { openDatabase, type Db } from './open.js';

export interface BackupResult {
  file: string;
  bytes: number;
  durationMs: number;
  stories: number;
  feeds: number;
}

function fsyncPath(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens a backup file read-only and checks it is a whole, healthy database. */
export function verifyBackup(file: string): { stories: number; feeds: number } {
  const copy = openDatabase(file, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new AppError('INTERNAL', `the backup failed its integrity check: ${String(check)}`);
    return {
      stories: copy.prepare('SELECT count(*) FROM stories').pluck().get() as number,
      feeds: copy.prepare('SELECT count(*) FROM feeds').pluck().get() as number,
    };
  } finally {
    copy.close();
  }
}

/**
 * Writes a consistent copy of `db` to `file`. Refuses to replace an existing file unless `force`.
 * `db` may be a read-only connection (the backup command opens one).
 */
export function backupDatabase(db: Db, file: string, options: { force?: boolean } = {}): BackupResult {
  const target = path.resolve(file);
  if (!options.force && existsSync(target)) {
    throw new AppError('VALIDATION_FAILED', `${file} already exists; choose another name or pass --force to replace it`);
  }
  if (path.resolve(db.name) === target) throw new AppError('VALIDATION_FAILED', 'the backup file cannot be the database itself');
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  const started = performance.now();
  rmSync(temp, { force: true });
  try {
    try {
      db.prepare('VACUUM INTO ?').run(temp);
    } catch (err) {
      throw new AppError('INTERNAL', `could not write the backup: ${describeError(err)}`, { cause: err });
    }
    const counts = verifyBackup(temp);
    fsyncPath(temp);
    if (options.force) {
      renameSync(temp, target);
    } else {
      // link() fails if the name was taken meanwhile: never overwrite without --force, even in a race.
      // (Filesystems without hard links fall back to check-then-rename.)
      try {
        linkSync(temp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' || existsSync(target)) {
          throw new AppError('VALIDATION_FAILED', `${file} already exists; pass --force to replace it`);
        }
        renameSync(temp, target);
      }
    }
    try {
      fsyncPath(path.dirname(target)); // the new name itself survives a power cut
    } catch {
      // some platforms cannot open a directory; the file's own data is already synced
    }
    return { file: target, bytes: statSync(target).size, durationMs: Math.round(performance.now() - started), ...counts };
  } finally {
    rmSync(temp, { force: true });
  }
}
