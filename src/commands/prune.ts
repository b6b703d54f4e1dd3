import { parseArgs } from 'node:util';
import { loadEnv } from '../config/index.js';
import { migrate } from '../db/migrate.js';
import { openDatabase } from '../db/open.js';
import { applyRetention, countPrunable, countStories, retentionCutoff } from '../db/retention.js';

export const PRUNE_USAGE = 'usage: shiftwire prune [--dry-run] [--days N] [--batch-size N]\n';

function parsePositiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new TypeError(`${name} must be a whole number of at least 1`);
  return Number(value);
}

/**
 * `shiftwire prune [--dry-run] [--days N] [--batch-size N]`: one retention pass with RETENTION_DAYS
 * (or --days). --dry-run only counts. Safe while `serve` runs: batches are short write transactions.
 */
export async function pruneCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  let options: { dryRun: boolean; days: number | undefined; batchSize: number | undefined };
  try {
    const { values } = parseArgs({
      args,
      options: { 'dry-run': { type: 'boolean', default: false }, days: { type: 'string' }, 'batch-size': { type: 'string' } },
      strict: true,
    });
    options = { dryRun: values['dry-run'] ?? false, days: parsePositiveInt(values.days, '--days'), batchSize: parsePositiveInt(values['batch-size'], '--batch-size') };
  } catch (err) {
    process.stderr.write(`shiftwire prune: ${(err as Error).message}\n${PRUNE_USAGE}`);
    return 2;
  }
  const config = loadEnv(process.env);
  const days = options.days ?? config.retentionDays;
  if (days === undefined) {
    process.stderr.write('shiftwire prune: RETENTION_DAYS is not set, so every story is kept; pass --days N to prune once\n');
    return 2;
  }
  const db = openDatabase(config.databasePath);
  try {
    migrate(db);
    const now = new Date();
    const cutoff = retentionCutoff(now, days);
    const span = `${days} ${days === 1 ? 'day' : 'days'}`;
    const held = (n: number) => (n > 0 ? ` (${n} held back for digests not yet delivered)` : '');
    if (options.dryRun) {
      const { prunable, held: kept } = countPrunable(db, cutoff);
      out.write(
        `dry run: ${prunable} ${prunable === 1 ? 'story' : 'stories'} published before ${cutoff.toISOString()} (${span}) would be pruned${held(kept)}; ` +
          `${countStories(db) - prunable} would remain\n`,
      );
      return 0;
    }
    const started = performance.now();
    const r = await applyRetention(db, { retentionDays: days, now, ...(options.batchSize ? { batchSize: options.batchSize } : {}) });
    out.write(
      `pruned ${r.pruned} ${r.pruned === 1 ? 'story' : 'stories'} published before ${r.cutoff} (${span})${held(r.held)}; ` +
        `${countStories(db)} remain; ${r.tombstones} keys remembered, ${r.tombstonesExpired} old ones forgotten; ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } finally {
    db.close();
  }
}
