/**
 * Shiftwire's real API (buildApp with every plugin, schema and hook) over a bench database, with the
 * rate limit off and a silent logger. Prints {"port": n} and serves until killed.
 *
 *   npx tsx bench/api/app.ts <db file>
 */
import path from 'node:path';
import { buildApp } from '../../src/api/app.js';
import { openDatabase } from '../../src/db/open.js';
import type { Ingester } from '../../src/ingest/index.js';
import { silentLogger } from '../../src/shared/log.js';
import { createTagger, loadTaxonomy } from '../../src/tagging/index.js';
import { root } from './seed.js';

const db = openDatabase(process.argv[2]!);
const taxonomy = loadTaxonomy(path.join(root, 'taxonomy.yaml'));
const tagger = createTagger(taxonomy);
const log = silentLogger();
// The benchmark only reads: no feed is ever refreshed, so no ingestion pipeline stands behind this server.
const ingester = {
  runAfterCurrent: () => Promise.reject(new Error('the benchmark server does not ingest')),
} as unknown as Ingester;
const app = await buildApp({ db, config: { adminToken: undefined, rateLimitMax: 0, publicUrl: 'http://127.0.0.1' }, log, clock: () => new Date(), ingester, tagger });
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ port: (app.server.address() as { port: number }).port }));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0)); // exit hooks run (e.g. --cpu-prof)
