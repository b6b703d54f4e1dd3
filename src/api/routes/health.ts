import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { latestVersion, schemaVersion } from '../../db/migrate.js';
import type { AppDeps } from '../app.js';

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string() });

export const healthRoutes = (deps: AppDeps): FastifyPluginAsync => async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const expectedVersion = latestVersion();

  // Liveness: the process answers. Cheap on purpose (Docker HEALTHCHECK polls it).
  r.get('/healthz', {
    schema: { summary: 'Liveness', tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' as const };
  });

  // Readiness: the database answers, its schema is current and the scheduler is alive.
  r.get('/readyz', {
    schema: {
      summary: 'Readiness',
      tags: ['health'],
      response: { 200: z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), CheckSchema) }), 503: z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), CheckSchema) }) },
    },
  }, async (_request, reply) => {
    const checks: Record<string, z.infer<typeof CheckSchema>> = {};
    try {
      const version = schemaVersion(deps.db);
      checks.database = { ok: true, detail: 'reachable' };
      checks.migrations = version >= expectedVersion
        ? { ok: true, detail: `schema version ${version}` }
        : { ok: false, detail: `schema version ${version}, expected ${expectedVersion}` };
    } catch (err) {
      checks.database = { ok: false, detail: (err as Error).message };
    }
    if (deps.scheduler) {
      const alive = deps.scheduler.isAlive();
      checks.scheduler = { ok: alive, detail: alive ? 'running' : 'stopped' };
    }
    const ready = Object.values(checks).every((c) => c.ok);
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store');
    return { status: ready ? ('ready' as const) : ('not-ready' as const), checks };
  });
};
