import { readFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import type { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { parseYaml } from '../shared/yaml.js';
import { EnvSchema, FeedsFileSchema, type FeedEntry, type FeedKind } from './schema.js';

export interface Config {
  databasePath: string;
  feedsFile: string;
  taxonomyFile: string;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  fetchSchedule: string;
  /** The usual gap between two ticks of FETCH_SCHEDULE: how long a fetched feed rests. */
  fetchIntervalMs: number;
  fetchConcurrency: number;
  fetchTimeoutMs: number;
  fetchMaxBytes: number;
  fetchMaxRedirects: number;
  allowPrivateNetwork: boolean;
  /** undefined: the command's default (defaultWorkerCount in ingest/processor.ts); 0: parse in the main thread. */
  ingestWorkers: number | undefined;
  /** undefined: the command's own choice (startRuntime's writesOnMainThread). */
  ingestWriter: 'main' | 'workers' | undefined;
  adminToken: string | undefined;
  rateLimitMax: number;
  retentionDays: number | undefined;
  digestSchedule: string;
  digestSendEmpty: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  feeds: FeedEntry[];
}

export type { FeedEntry, FeedKind };

function formatIssues(issues: z.core.$ZodIssue[], prefix: (p: PropertyKey[]) => string): string {
  return issues.map((i) => `  ${prefix(i.path)}: ${i.message}`).join('\n');
}

/** Reads the environment only; feeds.yaml is read separately so `migrate` works without it. */
export function loadEnv(env: NodeJS.ProcessEnv): Omit<Config, 'feeds'> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n${formatIssues(parsed.error.issues, (p) => String(p[0]))}`);
  }
  const e = parsed.data;
  return {
    databasePath: e.DATABASE_PATH,
    feedsFile: e.FEEDS_FILE,
    taxonomyFile: e.TAXONOMY_FILE,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST}:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    fetchSchedule: e.FETCH_SCHEDULE,
    fetchIntervalMs: scheduleIntervalMs(e.FETCH_SCHEDULE),
    fetchConcurrency: e.FETCH_CONCURRENCY,
    fetchTimeoutMs: e.FETCH_TIMEOUT_SECONDS * 1000,
    fetchMaxBytes: e.FETCH_MAX_BYTES,
    fetchMaxRedirects: e.FETCH_MAX_REDIRECTS,
    allowPrivateNetwork: e.ALLOW_PRIVATE_NETWORK,
    ingestWorkers: e.INGEST_WORKERS,
    ingestWriter: e.INGEST_WRITER,
    adminToken: e.ADMIN_TOKEN,
    rateLimitMax: e.RATE_LIMIT_MAX,
    retentionDays: e.RETENTION_DAYS,
    digestSchedule: e.DIGEST_SCHEDULE,
    digestSendEmpty: e.DIGEST_SEND_EMPTY,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
  };
}

/** The smallest gap between the next few ticks of a cron expression. */
export function scheduleIntervalMs(expression: string): number {
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(4).map((d) => d.getTime());
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
    return gaps.length > 0 ? Math.min(...gaps) : 15 * 60_000;
  } finally {
    void task.destroy();
  }
}

/** Reads and validates feeds.yaml; every problem is reported with the file and the entry's path. */
export function loadFeedsFile(file: string): FeedEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `cannot read feeds file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, file);
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = FeedsFileSchema.safeParse(doc ?? { feeds: [] });
  if (!parsed.success) {
    const where = (p: PropertyKey[]) => `${path.basename(file)} ${p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '')}`;
    throw new AppError('CONFIG_INVALID', `invalid feeds file ${file}:\n${formatIssues(parsed.error.issues, where)}`);
  }
  return parsed.data.feeds;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const base = loadEnv(env);
  return Object.freeze({ ...base, feeds: loadFeedsFile(base.feedsFile) });
}
