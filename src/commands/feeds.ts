import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config/index.js';
import { createFeedStore } from '../db/feeds.js';
import { migrate } from '../db/migrate.js';
import { openDatabase, type Db } from '../db/open.js';
import { importOpmlFeeds, MAX_OPML_BYTES, parseOpml, planOpmlImport, renderOpml, type ImportPlan } from '../ops/opml.js';
import { AppError } from '../shared/errors.js';

export const FEEDS_USAGE = `usage: shiftwire feeds import <file.opml> [--dry-run]
       shiftwire feeds export [--output <file.opml>]
`;

/** The database at its latest schema with feeds.yaml synced in, as every command that serves sees it. */
function openSynced(config: Config, now: string): Db {
  const db = openDatabase(config.databasePath);
  try {
    migrate(db);
    createFeedStore(db).syncConfigFeeds(config.feeds, now);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Without writing anything: the feeds in the database (if there is one) plus those of feeds.yaml. */
function existingFeedsReadOnly(config: Config): Array<{ id: string; url: string }> {
  const listed = config.feeds.map((f) => ({ id: f.id, url: f.url }));
  if (!existsSync(config.databasePath)) return listed;
  const db = openDatabase(config.databasePath, { readonly: true });
  try {
    return [...createFeedStore(db).listFeeds(), ...listed];
  } finally {
    db.close();
  }
}

function readOpmlFile(file: string): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (size > MAX_OPML_BYTES) throw new AppError('VALIDATION_FAILED', `${file} is larger than ${MAX_OPML_BYTES / 1024 / 1024} MB; that is not an OPML feed list`);
  return readFileSync(file);
}

function printPlan(plan: ImportPlan, dryRun: boolean, out: NodeJS.WritableStream): void {
  const width = Math.max(8, ...plan.add.map((f) => f.id.length));
  for (const f of plan.add) {
    out.write(`${dryRun ? 'would add' : 'added'}  ${f.id.padEnd(width)}  ${f.url} (${f.kind}${f.enabled ? '' : ', disabled'})\n`);
  }
  for (const s of plan.skipped) {
    const what = s.url ?? (s.name ? `"${s.name}"` : 'an outline');
    out.write(`skipped  ${what}: ${s.reason}\n`);
  }
  const added = `${plan.add.length} ${plan.add.length === 1 ? 'feed' : 'feeds'}`;
  out.write(
    dryRun
      ? `dry run: ${added} would be added, ${plan.skipped.length} skipped; nothing was written\n`
      : `${added} added (origin opml), ${plan.skipped.length} skipped\n`,
  );
}

async function importFeeds(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { 'dry-run': { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) {
    process.stderr.write(FEEDS_USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const parsed = parseOpml(readOpmlFile(file));
  if (values['dry-run']) {
    printPlan(planOpmlImport(parsed, existingFeedsReadOnly(config)), true, out);
    return 0;
  }
  const now = new Date().toISOString();
  const db = openSynced(config, now);
  try {
    printPlan(importOpmlFeeds(db, parsed, now), false, out);
    return 0;
  } finally {
    db.close();
  }
}

async function exportFeeds(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { output: { type: 'string', short: 'o' } }, allowPositionals: true, strict: true });
  if (positionals.length > 0) {
    process.stderr.write(FEEDS_USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const now = new Date();
  const db = openSynced(config, now.toISOString());
  let text: string;
  let count: number;
  try {
    const feeds = createFeedStore(db).listFeeds();
    count = feeds.length;
    text = renderOpml(feeds, { now });
  } finally {
    db.close();
  }
  if (values.output === undefined) {
    out.write(text);
    return 0;
  }
  // Written beside the target, then renamed: a reader never sees half a file.
  const target = path.resolve(values.output);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  try {
    writeFileSync(temp, text);
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  out.write(`exported ${count} ${count === 1 ? 'feed' : 'feeds'} to ${target}\n`);
  return 0;
}

/** `shiftwire feeds import <file.opml> [--dry-run]` and `shiftwire feeds export [--output file]`. */
export async function feedsCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'import') return await importFeeds(rest, out);
    if (sub === 'export') return await exportFeeds(rest, out);
  } catch (err) {
    // parseArgs rejects unknown options with a TypeError: that is a usage problem, not a crash.
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`shiftwire feeds: ${err.message}\n${FEEDS_USAGE}`);
      return 2;
    }
    throw err;
  }
  process.stderr.write(sub === undefined ? FEEDS_USAGE : `shiftwire feeds: unknown subcommand "${sub}"\n${FEEDS_USAGE}`);
  return 2;
}
