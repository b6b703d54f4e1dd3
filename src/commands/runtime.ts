import { loadConfig, loadEnv, type Config } from '../config/index.js';
import { createFeedStore } from '../db/feeds.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open.js';
import { createFeedProcessor, createIngester, type FeedProcessor, type FeedResult, type Ingester } from '../ingest/index.js';
import { defaultWorkerCount } from '../ingest/processor.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { Metrics } from '../ops/metrics.js';
import { loadTaxonomyCached } from '../tagging/cache.js';
import { createTagger } from '../tagging/tag.js';
import type { Tagger } from '../tagging/index.js';

export { version } from '../shared/version.js';

export interface Runtime {
  config: Config;
  log: Logger;
  db: Db;
  tagger: Tagger;
  processor: FeedProcessor;
  ingester: Ingester;
  /** Only when asked for (`serve`). */
  metrics: Metrics | undefined;
  clock: Clock;
  close(): Promise<void>;
}

/**
 * The shared start-up of every command that touches stories: configuration (env + feeds.yaml +
 * taxonomy, all validated before the database is changed), the parse workers (started as early as
 * possible: they load while the rest starts), the database at its latest schema with the feeds of
 * feeds.yaml synced in, and the ingestion pipeline. Metrics (prom-client) only for `serve`.
 * `writesOnMainThread`: ingestion writes on this thread, not in the parse workers (see defaultWorkerCount),
 * unless INGEST_WRITER says otherwise.
 */
export async function startRuntime(
  options: { logFd?: 1 | 2; defaultLogLevel?: string; workers?: number; metrics?: boolean; writesOnMainThread?: boolean } = {},
): Promise<Runtime> {
  const config = loadConfig(process.env);
  const level = process.env.LOG_LEVEL ? config.logLevel : (options.defaultLogLevel ?? config.logLevel);
  const log = createLogger({ level, format: config.logFormat, fd: options.logFd ?? 1 });
  const db = openDatabase(config.databasePath);
  const clock = systemClock;
  let processor: FeedProcessor | undefined;
  try {
    const taxonomy = loadTaxonomyCached(config.taxonomyFile, db);
    const writesOnMainThread = config.ingestWriter ? config.ingestWriter === 'main' : (options.writesOnMainThread ?? false);
    processor = createFeedProcessor({ taxonomy, workers: options.workers ?? config.ingestWorkers ?? defaultWorkerCount(writesOnMainThread) });
    const tagger = createTagger(taxonomy);
    const migrated = migrate(db);
    if (migrated.applied.length > 0) log.info({ from: migrated.from, to: migrated.to, applied: migrated.applied }, 'database migrated');
    createFeedStore(db).syncConfigFeeds(config.feeds, clock().toISOString());
    const metrics = options.metrics ? (await import('../ops/metrics.js')).createMetrics({ db }) : undefined;
    const ingester = createIngester({
      db,
      processor,
      writesOnMainThread,
      retentionDays: config.retentionDays,
      ...(metrics ? { onFeedResult: (r: FeedResult) => metrics.feedFetch(r) } : {}),
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
    const started = processor;
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
        await started.close();
        if (db.open) db.close();
      },
    };
  } catch (err) {
    await processor?.close();
    db.close();
    throw err;
  }
}

/** For commands that only need the database (migrate, backup): env only, no feeds.yaml or taxonomy. */
export function openDatabaseFromEnv(): { db: Db; config: ReturnType<typeof loadEnv> } {
  const config = loadEnv(process.env);
  return { db: openDatabase(config.databasePath), config };
}
