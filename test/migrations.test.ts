import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, latestVersion, listMigrations, migrate, schemaVersion } from '../src/db/migrate.js';
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

  it('0004 rebuilds the search index of an existing database without prefix indexes, and search keeps working', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const upTo3 = path.join(t.dir, 'migrations-1-3');
    mkdirSync(upTo3);
    for (const m of listMigrations().filter((m) => m.version <= 3)) copyFileSync(path.join(defaultMigrationsDir, m.name), path.join(upTo3, m.name));
    db = openDatabase(path.join(t.dir, 'old.db'));
    expect(migrate(db, upTo3).to).toBe(3);
    db.prepare(`INSERT INTO feeds (id, name, url, created_at, updated_at) VALUES ('wire', 'Wire', 'https://example.com/feed', 'now', 'now')`).run();
    const addStory = db.prepare(`INSERT INTO stories (id, title, summary, published_at, first_seen_at, feed_id, title_key)
      VALUES (?, ?, ?, '2025-01-27T00:00:00.000Z', '2025-01-27T00:00:00.000Z', 'wire', ?)`);
    addStory.run(1, 'DeepSeek R1 rattles Nvidia', 'Export controls and efficient training', 'a');
    addStory.run(2, 'Meta opens Llama weights', 'Open-source models from Meta', 'b');
    const ftsSql = () => db!.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'stories_fts'`).pluck().get() as string;
    expect(ftsSql()).toContain("prefix = '2 3'");

    expect(migrate(db).applied).toEqual(['0004_fts_without_prefix_indexes.sql']);
    expect(ftsSql()).not.toContain('prefix');
    const search = db.prepare(`SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rowid`).pluck();
    expect(search.all('"deepseek"')).toEqual([1]);
    expect(search.all('"de"*')).toEqual([1]); // a 2-letter prefix, now from the main index
    expect(search.all('"efficiency"')).toEqual([1]); // porter stemming kept
    expect(search.all('"open"*')).toEqual([2]);
    // The triggers of 0001 keep the rebuilt index in step with the stories.
    addStory.run(3, 'Nvidia answers DeepSeek', 'Chips', 'c');
    db.prepare(`UPDATE stories SET summary = 'Open weights again' WHERE id = 1`).run();
    db.prepare(`DELETE FROM stories WHERE id = 2`).run();
    expect(search.all('"deepseek"')).toEqual([1, 3]);
    expect(search.all('"open"*')).toEqual([1]);
    // FTS5 checks the index against the stories table and throws if they differ.
    expect(() => db!.prepare(`INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();
  });
});
