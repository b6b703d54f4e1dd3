import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { latestVersion, listMigrations, migrate, schemaVersion } from '../src/db/migrate.js';
import { openDatabase, type Db } from '../src/db/open.js';
import { tempDir } from './helpers/harness.js';

let cleanup: (() => void) | undefined;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  cleanup?.();
});

describe('migrations', () => {
  it('migrates an empty database from zero to the latest version, once', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    db = openDatabase(path.join(t.dir, 'nested', 'folder', 'fresh.db'));
    expect(schemaVersion(db)).toBe(0);
    const first = migrate(db);
    expect(first.from).toBe(0);
    expect(first.to).toBe(latestVersion());
    expect(first.applied).toEqual(listMigrations().map((m) => m.name));
    expect(migrate(db).applied).toEqual([]);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table') ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['feeds', 'stories', 'story_keys', 'story_sources', 'story_tags', 'stories_fts', 'meta']));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('numbers migrations without gaps', () => {
    const versions = listMigrations().map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
});
