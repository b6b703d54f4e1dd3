/**
 * The taxonomy cache (src/tagging/cache.ts): what it returns is exactly what parsing the file returns,
 * an edited file is never answered from the cache, a damaged entry or a database without the meta table
 * is no obstacle, and an invalid file fails the same way with or without a cache.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { openDatabase, type Db } from '../src/db/open.js';
import { isAppError } from '../src/shared/errors.js';
import { loadTaxonomyCached } from '../src/tagging/cache.js';
import { createTagger, loadTaxonomy, taxonomyHash } from '../src/tagging/index.js';
import { tempDir } from './helpers/harness.js';

const TAXONOMY_PATH = fileURLToPath(new URL('../taxonomy.yaml', import.meta.url));
const base = readFileSync(TAXONOMY_PATH, 'utf8');
const { dir, cleanup } = tempDir('shiftwire-taxcache-');
afterAll(cleanup);

function migrated(name: string): Db {
  const db = openDatabase(path.join(dir, name));
  migrate(db);
  return db;
}
const cacheRow = (db: Db) => db.prepare(`SELECT value FROM meta WHERE key = 'taxonomy_cache'`).pluck().get() as string | undefined;

describe('taxonomy cache in the database', () => {
  it('gives exactly what parsing gives, first from the file, then from the cache', () => {
    const db = migrated('a.db');
    const file = path.join(dir, 'taxonomy.yaml');
    writeFileSync(file, base);
    const parsed = loadTaxonomy(file);
    const first = loadTaxonomyCached(file, db);
    expect(cacheRow(db)).toBeDefined();
    const second = loadTaxonomyCached(file, db);
    expect(first).toEqual(parsed);
    expect(second).toEqual(parsed);
    expect(taxonomyHash(second)).toBe(taxonomyHash(parsed));
    // The tagger built from the cached copy tags like the one built from the file.
    const title = "DeepSeek's cheap open-weight R1 rattles Nvidia as export controls tighten";
    expect(createTagger(second).tag({ title })).toEqual(createTagger(parsed).tag({ title }));
    db.close();
  });

  it('never answers an edited file from the cache', () => {
    const db = migrated('b.db');
    const file = path.join(dir, 'edited.yaml');
    writeFileSync(file, base);
    const before = loadTaxonomyCached(file, db);
    writeFileSync(file, base.replace('    name: Anthropic\n', '    name: Anthropic PBC\n'));
    const after = loadTaxonomyCached(file, db);
    expect(after.companies.find((c) => c.id === 'anthropic')?.name).toBe('Anthropic PBC');
    expect(taxonomyHash(after)).not.toBe(taxonomyHash(before));
    db.close();
  });

  it('rebuilds a damaged entry and works on a database without the meta table', () => {
    const db = migrated('c.db');
    const file = path.join(dir, 'damaged.yaml');
    writeFileSync(file, base);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('taxonomy_cache', '{not json')`).run();
    expect(loadTaxonomyCached(file, db)).toEqual(loadTaxonomy(file));
    expect(() => JSON.parse(cacheRow(db)!)).not.toThrow();
    db.close();
    const bare = openDatabase(path.join(dir, 'bare.db')); // never migrated: no meta table
    expect(loadTaxonomyCached(file, bare)).toEqual(loadTaxonomy(file));
    bare.close();
  });

  it('fails an invalid file with the same error, and caches nothing for it', () => {
    const db = migrated('d.db');
    const file = path.join(dir, 'invalid.yaml');
    writeFileSync(file, base.replace('"GPT-{num}"', '"GPT-{nmu}"'));
    let error: unknown;
    try {
      loadTaxonomyCached(file, db);
    } catch (err) {
      error = err;
    }
    expect(isAppError(error) && error.code).toBe('TAXONOMY_INVALID');
    expect((error as Error).message).toMatch(/invalid\.yaml: companies\[0\] \(openai\)\.aliases\[2\]: .*unknown placeholder \{nmu\}/);
    expect(cacheRow(db)).toBeUndefined();
    db.close();
  });
});
