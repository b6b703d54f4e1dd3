import { buildApp } from '../api/app.js';
import { applyRetention } from '../db/retention.js';
import { createDigestService, digestSettings } from '../digests/index.js';
import { retagStories, taxonomyChanged } from '../ingest/retag.js';
import { startScheduler, type Job } from '../scheduler/schedule.js';
import { startRuntime, version } from './runtime.js';

/**
 * `shiftwire serve`: the API and the scheduler in one process. SIGTERM/SIGINT stop it cleanly: no new
 * runs start, in-flight fetches are abandoned (their feeds keep their previous state; every write is one
 * transaction, so nothing is half-written), the server drains, and the database is closed.
 */
export async function serveCommand(): Promise<number> {
  const rt = await startRuntime({ metrics: true });
  const { config, log } = rt;
  const metrics = rt.metrics!; // asked for above
  const shutdown = new AbortController();

  const digests = createDigestService({ db: rt.db, log: log.child({ module: 'digests' }), clock: rt.clock, ...digestSettings(config) });
  const jobs: Job[] = [
    { name: 'ingest', schedule: config.fetchSchedule, run: () => rt.ingester.run({ dueOnly: true, signal: shutdown.signal }) },
    {
      name: 'digests',
      schedule: config.digestSchedule,
      run: async () => {
        const { deliveries } = await digests.tick(rt.clock());
        for (const d of deliveries) metrics.digestDelivery(d.channel, d.status);
      },
    },
  ];
  const retentionDays = config.retentionDays;
  if (retentionDays !== undefined) {
    jobs.push({
      name: 'retention',
      schedule: '7 * * * *',
      run: async () => {
        const r = await applyRetention(rt.db, { retentionDays, now: rt.clock(), signal: shutdown.signal });
        metrics.storiesPruned(r.pruned);
        log.info({ ...r }, 'retention pass finished');
      },
    });
  }
  const scheduler = startScheduler(jobs, log.child({ module: 'scheduler' }));
  const app = await buildApp({ db: rt.db, config, log, clock: rt.clock, ingester: rt.ingester, tagger: rt.tagger, scheduler, metrics, version });
  await app.listen({ port: config.port, host: config.host });
  log.info({ url: `http://${config.host}:${(app.server.address() as { port: number }).port}`, feeds: config.feeds.length, version }, 'shiftwire is serving');

  // Stories tagged with an older taxonomy are re-tagged in the background, a batch at a time.
  const retag = taxonomyChanged(rt.db, rt.tagger)
    ? retagStories(rt.db, rt.tagger, { signal: shutdown.signal, onProgress: (p) => log.debug(p, 'retag progress') })
        .then((r) => r.total > 0 && log.info(r, 'stories retagged with the current taxonomy'))
        .catch((err: unknown) => log.error({ err }, 'retag failed'))
    : Promise.resolve();

  // A first pass at start-up, so a fresh install has stories without waiting for the first tick.
  void rt.ingester.run({ dueOnly: true, signal: shutdown.signal }).catch((err: unknown) => log.error({ err }, 'start-up ingestion failed'));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      shutdown.abort(new Error(`received ${signal}`));
      const force = setTimeout(() => {
        log.error('shutdown took longer than 20s; exiting');
        process.exit(1);
      }, 20_000);
      force.unref();
      try {
        await scheduler.stop();
        await app.close();
        await scheduler.idle();
        digests.close();
        await retag;
        await rt.close();
        log.info('stopped');
        resolve(0);
      } catch (err) {
        log.error({ err }, 'shutdown failed');
        resolve(1);
      }
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
