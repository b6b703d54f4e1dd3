import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeedEntry } from '../../src/config/index.js';
import { createFeedStore } from '../../src/db/feeds.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { createFeedProcessor, createIngester, type FeedProcessor, type Ingester, type IngestSettings } from '../../src/ingest/index.js';
import type { Clock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import { createTagger, loadTaxonomy, type Tagger } from '../../src/tagging/index.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const taxonomyPath = path.join(repoRoot, 'taxonomy.yaml');

let cachedTagger: Tagger | undefined;
export function realTagger(): Tagger {
  cachedTagger ??= createTagger(loadTaxonomy(taxonomyPath));
  return cachedTagger;
}

export function tempDir(prefix = 'shiftwire-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A migrated SQLite file in a fresh temp folder. */
export function tempDb(): { db: Db; file: string; dir: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, 'shiftwire.db');
  const db = openDatabase(file);
  migrate(db);
  return { db, file, dir, cleanup: () => (db.open && db.close(), cleanup()) };
}

export interface IngestHarness {
  db: Db;
  file: string;
  dir: string;
  tagger: Tagger;
  processor: FeedProcessor;
  ingester: Ingester;
  addFeeds(feeds: Array<Partial<FeedEntry> & { id: string; url: string }>): void;
  close(): Promise<void>;
}

/** The real ingestion pipeline over a temp database; loopback feeds are allowed unless told otherwise. */
export function ingestHarness(options: { settings?: Partial<IngestSettings>; clock?: Clock; workers?: number } = {}): IngestHarness {
  const { db, file, dir, cleanup } = tempDb();
  const tagger = realTagger();
  const processor = createFeedProcessor({ taxonomy: loadTaxonomy(taxonomyPath), workers: options.workers ?? 0 });
  const ingester = createIngester({
    db,
    processor,
    log: silentLogger(),
    clock: options.clock ?? (() => new Date()),
    tagsHash: tagger.hash,
    settings: {
      fetchConcurrency: 4,
      fetchTimeoutMs: 5_000,
      fetchMaxBytes: 10 * 1024 * 1024,
      fetchMaxRedirects: 5,
      allowPrivateNetwork: true,
      fetchIntervalMs: 15 * 60_000,
      ...options.settings,
    },
  });
  const feeds = createFeedStore(db);
  const configured: FeedEntry[] = [];
  return {
    db,
    file,
    dir,
    tagger,
    processor,
    ingester,
    addFeeds(list) {
      configured.push(...list.map((f) => ({ name: f.name ?? f.id, kind: f.kind ?? 'news', enabled: f.enabled ?? true, ...f })));
      feeds.syncConfigFeeds(configured, new Date().toISOString());
    },
    async close() {
      await processor.close();
      cleanup();
    },
  };
}
