import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadEnv } from '../config/index.js';
import { backupDatabase } from '../db/backup.js';
import { openDatabase } from '../db/open.js';
import { AppError } from '../shared/errors.js';

export const BACKUP_USAGE = 'usage: shiftwire backup <file> [--force]\n';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * `shiftwire backup <file> [--force]`: a consistent copy of DATABASE_PATH, safe while `serve` runs
 * (see src/db/backup.ts). Reads the database through a read-only connection; needs only the environment.
 */
export async function backupCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { force: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`shiftwire backup: ${(err as Error).message}\n${BACKUP_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    process.stderr.write(BACKUP_USAGE);
    return 2;
  }
  const config = loadEnv(process.env);
  if (!existsSync(config.databasePath)) {
    throw new AppError('VALIDATION_FAILED', `there is no database at ${config.databasePath} (DATABASE_PATH) to back up`);
  }
  const db = openDatabase(config.databasePath, { readonly: true });
  try {
    const r = backupDatabase(db, file, { force: values.force ?? false });
    out.write(
      `backed up ${config.databasePath} to ${r.file}: ${formatBytes(r.bytes)}, ${r.stories} stories, ${r.feeds} feeds, ` +
        `in ${(r.durationMs / 1000).toFixed(1)}s (integrity ok)\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
