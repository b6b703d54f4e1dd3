import { parseArgs } from 'node:util';
import { createDigestService, digestSettings, type DeliveryOutcome, type DigestOutcome } from '../digests/index.js';
import { describeError } from '../shared/errors.js';
import { startRuntime } from './runtime.js';

const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

export const DIGEST_USAGE = 'usage: shiftwire digest run [--subscription ID] [--now ISO-8601]\n';

function digestLine(o: DigestOutcome): string {
  const window = o.windowStart && o.windowEnd ? `${o.windowStart} → ${o.windowEnd}` : '';
  switch (o.outcome) {
    case 'built':
      return `digest   ${o.name}: ${plural(o.groups, 'story', 'stories')} from ${plural(o.stories, 'article')}, ${window}; digest ${o.digestId}, next at ${o.nextDigestAt ?? 'never'}`;
    case 'empty':
      return `empty    ${o.name}: nothing new ${window}; no digest sent, next at ${o.nextDigestAt ?? 'never'}`;
    case 'not-due':
      return `not due  ${o.name}: ${o.nextDigestAt ? `next digest at ${o.nextDigestAt}` : 'the subscription is off'}`;
    default:
      return `FAILED   ${o.name}: ${o.error ?? 'unknown error'}`;
  }
}

function deliveryLine(d: DeliveryOutcome): string {
  const attempt = `attempt ${d.attempts}/${d.maxAttempts}`;
  const head = `${d.channel.padEnd(8)} ${d.target}`;
  if (d.status === 'delivered') return `${head}: delivered (${attempt}, delivery ${d.deliveryId})`;
  if (d.status === 'pending') return `${head}: failed (${attempt}), retry at ${d.nextAttemptAt}: ${d.error}`;
  if (d.status === 'cancelled') return `${head}: cancelled: ${d.error}`;
  return `${head}: FAILED for good (${attempt}): ${d.error}`;
}

/**
 * `shiftwire digest run`: builds every digest due now (or at --now), then attempts every pending
 * delivery, printing a line for each. For cron-less setups and tests; `serve` does the same on its
 * DIGEST_SCHEDULE. Exit 0 even when deliveries fail (they are retried later); 1 when a build failed.
 */
export async function digestCommand(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { subscription: { type: 'string' }, now: { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1 || positionals[0] !== 'run') {
    process.stderr.write(DIGEST_USAGE);
    return 2;
  }
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now && (Number.isNaN(now.getTime()) || !/T\d{2}:\d{2}/.test(values.now!))) {
    process.stderr.write(`shiftwire: --now "${values.now}" is not an ISO 8601 date-time (e.g. 2025-02-03T08:00:00Z)\n`);
    return 2;
  }
  const rt = await startRuntime({ logFd: 2, defaultLogLevel: 'error', workers: 0 });
  const service = createDigestService({ db: rt.db, log: rt.log.child({ module: 'digests' }), clock: rt.clock, ...digestSettings(rt.config) });
  try {
    const at = now ?? rt.clock();
    const built = await service.runDue(at, values.subscription === undefined ? {} : { subscriptionId: values.subscription });
    if (built.length === 0) out.write(`no digest is due at ${at.toISOString()}\n`);
    for (const o of built) out.write(`${digestLine(o)}\n`);
    const deliveries = await service.deliverPending(at);
    for (const d of deliveries) out.write(`${deliveryLine(d)}\n`);
    const count = (s: DeliveryOutcome['status']) => deliveries.filter((d) => d.status === s).length;
    out.write(
      `${plural(built.filter((o) => o.outcome === 'built').length, 'digest')} built, ${built.filter((o) => o.outcome === 'empty').length} empty; ` +
        `${plural(deliveries.length, 'delivery', 'deliveries')}: ${count('delivered')} delivered, ${count('pending')} to retry, ${count('failed')} failed\n`,
    );
    return built.some((o) => o.outcome === 'error') ? 1 : 0;
  } catch (err) {
    process.stderr.write(`shiftwire: ${describeError(err)}\n`);
    return 1;
  } finally {
    service.close();
    await rt.close();
  }
}
