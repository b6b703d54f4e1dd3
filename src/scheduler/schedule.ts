import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../shared/log.js';

export interface Job {
  name: string;
  /** A cron expression (validated at start-up by the config schema). */
  schedule: string;
  run: () => Promise<unknown>;
}

export interface Scheduler {
  stop(): Promise<void>;
  isAlive(): boolean;
  /** Resolves when no job is running (shutdown waits for in-flight work). */
  idle(): Promise<void>;
}

/**
 * No logic here: a schedule calls a function. A job never overlaps itself (a tick that comes while the
 * previous run is still going is skipped), and its failures are logged, never thrown.
 */
export function startScheduler(jobs: Job[], log: Logger): Scheduler {
  const running = new Map<string, Promise<unknown>>();
  let stopped = false;
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      () => {
        if (stopped || running.has(job.name)) return;
        const started = Date.now();
        const p = job
          .run()
          .then(() => log.debug({ job: job.name, durationMs: Date.now() - started }, 'scheduled job finished'))
          .catch((err: unknown) => log.error({ job: job.name, err }, 'scheduled job failed'))
          .finally(() => running.delete(job.name));
        running.set(job.name, p);
      },
      { name: job.name, suppressMissedWarning: true },
    ),
  );
  log.info({ jobs: jobs.map((j) => ({ name: j.name, schedule: j.schedule })) }, 'scheduler started');
  return {
    async stop() {
      stopped = true;
      await Promise.all(tasks.map((t) => t.destroy()));
    },
    isAlive: () => !stopped,
    async idle() {
      await Promise.all([...running.values()]);
    },
  };
}
