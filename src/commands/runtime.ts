import { createRequire } from 'node:module';
import { loadConfig, loadEnv, type Config } from '../config/index.js';
import { createFeedStore } from '../db/feeds.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open.js';
import { createFeedProcessor, createIngester, type FeedProcessor, type Ingester } from '../ingest/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createLogger, type Logger } from '../shared/log.js';
import { createMetrics, type Metrics } from '../ops/metrics.js';
import { createTagger, loadTaxonomy, type Tagger } from '../tagging/index.js';

export const version: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface Runtime {
  config: Config;
  log: Logger;
  db: Db;
  tagger: Tagger;
  processor: FeedProcessor;
  ingester: Ingester;
  metrics: Metrics;
  clock: Clock;
  close(): Promise<void>;
}

/**
 * The shared start-up of every command that touches stories: configuration (env + feeds.yaml +
 * taxonomy, all validated before anything else happens), the database at its latest schema with the
 * feeds of feeds.yaml synced in, and the ingestion pipeline.
 */
export function startRuntime(options: { logFd?: 1 | 2; defaultLogLevel?: string; workers?: number } = {}): Runtime {
  const config = loadConfig(process.env);
  const level = process.env.LOG_LEVEL ? config.logLevel : (options.defaultLogLevel ?? config.logLevel);
  const log = createLogger({ level, format: config.logFormat, fd: options.logFd ?? 1 });
  const taxonomy = loadTaxonomy(config.taxonomyFile);
  const tagger = createTagger(taxonomy);
  const db = openDatabase(config.databasePath);
  const clock = systemClock;
  try {
    const migrated = migrate(db);
    if (migrated.applied.length > 0) log.info({ from: migrated.from, to: migrated.to, applied: migrated.applied }, 'database migrated');
    createFeedStore(db).syncConfigFeeds(config.feeds, clock().toISOString());
  } catch (err) {
    db.close();
    throw err;
  }
  const processor = createFeedProcessor({ taxonomy, workers: options.workers ?? config.ingestWorkers });
  const metrics = createMetrics({ db });
  const ingester = createIngester({
    db,
    processor,
    retentionDays: config.retentionDays,
    onFeedResult: (r) => metrics.feedFetch(r),
    log: log.child({ module: 'ingest' }),
    clock,
    tagsHash: tagger.hash,
    settings: {
      fetchConcurrency: config.fetchConcurrency,
      fetchTimeoutMs: config.fetchTimeoutMs,
      fetchMaxBytes: config.fetchMaxBytes,
      fetchMaxRedirects: config.fetchMaxRedirects,
      allowPrivateNetwork: config.allowPrivateNetwork,
      fetchIntervalMs: config.fetchIntervalMs,
    },
  });
  return {
    config,
    log,
    db,
    tagger,
    processor,
    ingester,
    metrics,
    clock,
    async close() {
      await processor.close();
      if (db.open) db.close();
    },
  };
}

/** For commands that only need the database (migrate, backup): env only, no feeds.yaml or taxonomy. */
export function openDatabaseFromEnv(): { db: Db; config: ReturnType<typeof loadEnv> } {
  const config = loadEnv(process.env);
  return { db: openDatabase(config.databasePath), config };
}
