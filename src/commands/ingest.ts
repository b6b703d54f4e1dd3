import type { FeedResult } from '../ingest/index.js';
import { startRuntime } from './runtime.js';

function line(r: FeedResult, index: number, total: number): string {
  const width = String(total).length;
  const counter = `[${String(index).padStart(width)}/${total}]`;
  const status = r.httpStatus === null ? '' : ` HTTP ${r.httpStatus},`;
  const detail =
    r.outcome === 'failed'
      ? `FAILED  ${r.error}`
      : r.outcome === 'not-modified'
        ? 'not modified'
        : `${r.newStories} new, ${r.knownStories} known`;
  return `${counter} ${r.feedId.padEnd(28)} ${detail}  (${status.trim()} ${r.durationMs} ms)`.replace(/\( /, '(') + '\n';
}

/**
 * One pass over the enabled feeds (or only the due ones with --due). Exit 0 even when some feeds fail:
 * that is news about the feeds, not a failure of the command.
 */
export async function ingestCommand(opts: { due: boolean; feedIds: string[] }, out: NodeJS.WritableStream): Promise<number> {
  // Nothing else runs here: fetch and write on this thread, parse on the others (defaultWorkerCount).
  const rt = await startRuntime({ logFd: 2, defaultLogLevel: 'error', writesOnMainThread: true });
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let index = 0;
    let total = 0;
    const summary = await rt.ingester.run({
      dueOnly: opts.due,
      ...(opts.feedIds.length > 0 ? { feedIds: opts.feedIds } : {}),
      signal: controller.signal,
      onStart: (n) => {
        total = n;
        out.write(n === 0 ? 'no feeds to fetch\n' : `fetching ${n} feed${n === 1 ? '' : 's'}…\n`);
      },
      onFeed: (r) => out.write(line(r, ++index, total)),
    });
    out.write(
      `${summary.aborted ? 'interrupted: ' : ''}${summary.feeds} feeds: ${summary.updated} updated, ${summary.notModified} not modified, ` +
        `${summary.failed} failed; ${summary.newStories} new stories in ${(summary.durationMs / 1000).toFixed(1)}s\n`,
    );
    return summary.aborted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rt.close();
  }
}
