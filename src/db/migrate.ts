import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './open.js';

/** migrations/ sits at the package root, beside src/ and dist/. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface Migration { version: number; name: string; sql: string }

export function listMigrations(dir: string = defaultMigrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }));
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration numbered above PRAGMA user_version, each in its own transaction together
 * with the version bump, so a crash leaves the database at a whole version. Forward-only.
 * BEGIN IMMEDIATE takes the write lock first, so two processes starting at once do not both migrate.
 */
export function migrate(db: Db, dir: string = defaultMigrationsDir): { from: number; to: number; applied: string[] } {
  const migrations = listMigrations(dir);
  const from = schemaVersion(db);
  const applied: string[] = [];
  for (const m of migrations) {
    const apply = db.transaction(() => {
      if (schemaVersion(db) >= m.version) return false; // another process got there first
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    if (apply.immediate()) applied.push(m.name);
  }
  return { from, to: schemaVersion(db), applied };
}

export function latestVersion(dir: string = defaultMigrationsDir): number {
  return listMigrations(dir).at(-1)?.version ?? 0;
}
