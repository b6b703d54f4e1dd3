import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../shared/errors.js';
import { createTagger, type Taxonomy } from '../tagging/index.js';
import { prepareFeed, type PreparedFeed, type PrepareOptions } from './prepare.js';

export interface FeedProcessor {
  process(body: Buffer, contentType: string | null, opts: PrepareOptions): Promise<PreparedFeed>;
  close(): Promise<void>;
}

export interface ProcessorOptions {
  taxonomy: Taxonomy;
  /** undefined: one worker per core; 0: everything in the calling thread. */
  workers?: number | undefined;
  /** A document that takes longer than this to parse fails its feed and its worker is replaced. */
  jobTimeoutMs?: number;
  /** Heap limit per worker, so a hostile document cannot take the whole process down. */
  workerHeapMb?: number;
}

interface Pending {
  jobId: number;
  resolve: (r: PreparedFeed) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** tsx's ESM API entry (its CommonJS entry cannot register the ESM loader). */
function tsxEsmApi(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/index\.cjs$/, 'index.mjs')).href;
}

function spawn(taxonomy: Taxonomy, heapMb: number): Worker {
  const options = { workerData: { taxonomy }, resourceLimits: { maxOldGenerationSizeMb: heapMb } };
  // Under tsx or vitest the worker is TypeScript: a small bootstrap registers tsx's loader in the worker
  // first. A production build runs the compiled worker.js directly.
  const worker = workerUrl.pathname.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(workerUrl, options);
  worker.unref();
  return worker;
}

/** Parses fetched feeds on worker threads (both cores busy), one document per worker at a time. */
export function createFeedProcessor(options: ProcessorOptions): FeedProcessor {
  const count = options.workers ?? availableParallelism();
  if (count === 0) {
    const tagger = createTagger(options.taxonomy);
    return { process: (body, contentType, opts) => prepareFeed(body, contentType, opts, tagger), close: async () => {} };
  }
  const jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
  const heapMb = options.workerHeapMb ?? 512;
  const slots: Slot[] = [];
  const queue: Array<{ job: { body: Buffer; contentType: string | null; opts: PrepareOptions }; pending: Omit<Pending, 'timer'> }> = [];
  let nextJobId = 1;
  let closed = false;

  function attach(slot: Slot) {
    slot.worker.on('message', (msg: { jobId: number; result?: PreparedFeed; error?: { code: ErrorCode; message: string } }) => {
      const pending = slot.busy;
      if (!pending || pending.jobId !== msg.jobId) return;
      clearTimeout(pending.timer);
      slot.busy = null;
      if (msg.error) pending.reject(new AppError(msg.error.code, msg.error.message));
      else pending.resolve(msg.result!);
      pump();
    });
    slot.worker.on('error', (err) => fail(slot, describeWorkerError(err)));
    slot.worker.on('exit', () => fail(slot, new AppError('FEED_PARSE_FAILED', 'the parser stopped unexpectedly')));
  }

  function describeWorkerError(err: Error & { code?: string }): AppError {
    if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return new AppError('FEED_PARSE_FAILED', `parsing this document needed more than ${heapMb} MB of memory`);
    }
    return new AppError('FEED_PARSE_FAILED', `the parser failed: ${err.message}`);
  }

  /** A worker died or hung: its job fails, and a fresh worker takes its place. */
  function fail(slot: Slot, error: AppError) {
    const pending = slot.busy;
    slot.busy = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    if (closed) return;
    slot.worker = spawn(options.taxonomy, heapMb);
    attach(slot);
    pump();
  }

  function pump() {
    for (const slot of slots) {
      if (slot.busy || queue.length === 0) continue;
      const { job, pending } = queue.shift()!;
      const timer = setTimeout(
        () => fail(slot, new AppError('FEED_PARSE_FAILED', `parsing took longer than ${Math.round(jobTimeoutMs / 1000)}s`)),
        jobTimeoutMs,
      );
      slot.busy = { ...pending, timer };
      slot.worker.postMessage({ jobId: pending.jobId, body: job.body, contentType: job.contentType, opts: job.opts });
    }
  }

  for (let i = 0; i < count; i++) {
    const slot: Slot = { worker: spawn(options.taxonomy, heapMb), busy: null };
    attach(slot);
    slots.push(slot);
  }

  return {
    process(body, contentType, opts) {
      if (closed) return Promise.reject(new AppError('INTERNAL', 'the feed processor is closed'));
      return new Promise<PreparedFeed>((resolve, reject) => {
        queue.push({ job: { body, contentType, opts }, pending: { jobId: nextJobId++, resolve, reject } });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const { pending } of queue.splice(0)) pending.reject(new AppError('INTERNAL', 'the feed processor is closed'));
      await Promise.all(
        slots.map(async (slot) => {
          slot.worker.removeAllListeners();
          if (slot.busy) {
            clearTimeout(slot.busy.timer);
            slot.busy.reject(new AppError('INTERNAL', 'the feed processor is closed'));
          }
          await slot.worker.terminate();
        }),
      );
    },
  };
}
