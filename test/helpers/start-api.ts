import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.js';
import type { Clock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import { ingestHarness, type IngestHarness } from './harness.js';

export const PUBLIC_URL = 'https://shiftwire.example';

export interface RunningApi {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  app: FastifyInstance;
  harness: IngestHarness;
  db: IngestHarness['db'];
  /** GET (or any method) against the API; `path` starts with "/". */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The real app over a fresh migrated temp database, listening on 127.0.0.1 with a free port. */
export async function startApi(options: { adminToken?: string; rateLimitMax?: number; clock?: Clock } = {}): Promise<RunningApi> {
  const harness = ingestHarness(options.clock ? { clock: options.clock } : {});
  const app = await buildApp({
    db: harness.db,
    config: { adminToken: options.adminToken, rateLimitMax: options.rateLimitMax ?? 0, publicUrl: PUBLIC_URL },
    log: silentLogger(),
    clock: options.clock ?? (() => new Date()),
    ingester: harness.ingester,
    tagger: harness.tagger,
    version: '0.0.0-test',
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    app,
    harness,
    db: harness.db,
    fetch: (path, init) => fetch(`${baseUrl}${path}`, init),
    async close() {
      await app.close();
      await harness.close();
    },
  };
}
