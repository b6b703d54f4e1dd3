/**
 * The validated taxonomy, cached in the database's `meta` table. Parsing taxonomy.yaml with the `yaml`
 * package and validating it takes about 0.3 s, on every start of every command (a scheduled
 * `shiftwire ingest` pays it each time); reading the cached JSON takes about 2 ms.
 *
 * The cache is keyed by the file's exact text and by the source of the modules that validate it (the
 * schema, whose defaults shape the result, and the phrase parser), so an edited taxonomy or a new version
 * of Shiftwire never reads a stale or unchecked entry. A missing, unreadable or stale entry is simply rebuilt; writing it is best effort (it is
 * skipped, not waited for, while another process holds the write lock).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withoutWaiting, type Db } from '../db/open.js';
import type { Taxonomy } from './schema.js';
import { parseTaxonomyText, readTaxonomyFile } from './taxonomy.js';

const META_KEY = 'taxonomy_cache';
const FORMAT = 1;

/** The modules whose code decides what a valid taxonomy is and what it parses to. */
const VALIDATORS = ['schema', 'phrase', 'taxonomy'];
let validatorSource: string | undefined;
function validatorFingerprint(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  validatorSource ??= VALIDATORS.map((name) => readFileSync(fileURLToPath(new URL(`./${name}${ext}`, import.meta.url)), 'utf8')).join('\0');
  return validatorSource;
}

function cacheKey(text: string): string {
  return createHash('sha256').update(`${FORMAT}\0${validatorFingerprint()}\0${text}`).digest('hex');
}

function readCache(db: Db, key: string): Taxonomy | undefined {
  try {
    const value = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(META_KEY) as string | undefined;
    if (value === undefined) return undefined;
    const entry = JSON.parse(value) as { key?: unknown; taxonomy?: unknown };
    return entry.key === key && entry.taxonomy !== null && typeof entry.taxonomy === 'object' ? (entry.taxonomy as Taxonomy) : undefined;
  } catch {
    return undefined; // no meta table yet (a database never migrated), or a damaged entry
  }
}

function writeCache(db: Db, key: string, taxonomy: Taxonomy): void {
  if (db.readonly) return;
  try {
    withoutWaiting(db, () =>
      db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(META_KEY, JSON.stringify({ key, taxonomy })),
    );
  } catch {
    // busy, read-only file system, or no meta table yet: the next start tries again
  }
}

/** loadTaxonomy with the database as cache: same result, same errors. */
export function loadTaxonomyCached(path: string, db: Db): Taxonomy {
  const text = readTaxonomyFile(path);
  const key = cacheKey(text);
  const cached = readCache(db, key);
  if (cached) return cached;
  const taxonomy = parseTaxonomyText(text, path);
  writeCache(db, key, taxonomy);
  return taxonomy;
}
