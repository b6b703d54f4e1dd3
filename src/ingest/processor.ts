import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../shared/errors.js';
import type { Taxonomy } from '../tagging/schema.js';
import type { CommitOutcome, CommitRequest } from './commit.js';
import type { PreparedFeed, PrepareOptions } from './prepare.js';

/** Where and how a worker writes what it parsed (see FeedProcessor.writeInWorker). */
export interface WorkerCommit extends CommitRequest {
  database: { file: string; tagsHash: string; retentionDays: number | null };
}

export interface FeedProcessor {
  process(body: Buffer, contentType: string | null, opts: PrepareOptions): Promise<PreparedFeed>;
  /**
   * Worker pools only: the worker parses the body and writes the feed itself, through its own
   * connection to the database file, batched with other feeds (ingest/commit.ts); `commitState`
   * writes a 304's state the same way. Parse errors reject; write errors resolve as failed outcomes.
   */
  writeInWorker?: {
    processAndCommit(body: Buffer, contentType: string | null, opts: PrepareOptions, commit: WorkerCommit): Promise<CommitOutcome>;
    commitState(commit: WorkerCommit): Promise<CommitOutcome>;
  };
  close(): Promise<void>;
}

export interface ProcessorOptions {
  taxonomy: Taxonomy;
  /** undefined: one worker per core (defaultWorkerCount for workers that write); 0: everything in the calling thread. */
  workers?: number | undefined;
  /** A worker that makes no progress for this long fails the document it is on and is replaced. */
  jobTimeoutMs?: number;
  /** Heap limit per worker, so a hostile document cannot take the whole process down. */
  workerHeapMb?: number;
  /** Jobs handed to one worker ahead of time, so it never waits for the next body. */
  jobsPerWorker?: number;
}

/** Jobs for a worker (worker.ts). */
export type WorkerJob =
  | { kind: 'prepare'; jobId: number; body: Uint8Array; contentType: string | null; opts: PrepareOptions }
  | { kind: 'prepare-commit'; jobId: number; body: Uint8Array; contentType: string | null; opts: PrepareOptions; commit: WorkerCommit }
  | { kind: 'commit'; jobId: number; commit: WorkerCommit };

/** Everything sent to a worker: `setup` (the taxonomy to tag with) first, then jobs. */
export type WorkerMessage = { kind: 'setup'; taxonomy: Taxonomy } | WorkerJob;

/** Messages from a worker: `parsed` is progress (the feed waits in the worker's write batch). */
export type WorkerReply =
  | { type: 'parsed'; jobId: number }
  | { type: 'done'; jobId: number; result?: PreparedFeed | CommitOutcome; error?: { code: ErrorCode; message: string } };

interface Task {
  job: WorkerJob;
  resolve: (r: never) => void;
  reject: (e: Error) => void;
  parsed: boolean;
}

interface Slot {
  worker: Worker;
  /** This worker's token for the write lock. */
  token: number;
  /** Jobs sent and not answered, in the order the worker takes them. */
  tasks: Task[];
  watchdog: NodeJS.Timeout | null;
}

const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** tsx's ESM API entry (its CommonJS entry cannot register the ESM loader). */
function tsxEsmApi(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/index\.cjs$/, 'index.mjs')).href;
}

/** What a worker gets at start (the taxonomy follows in a `setup` message): see worker.ts for the write lock. */
export interface WorkerSetup {
  /** One Int32: 0 when free, else the token of the worker that is writing. Shared by the pool's workers. */
  writeLock: SharedArrayBuffer;
  token: number;
}

function spawn(setup: WorkerSetup, heapMb: number): Worker {
  const options = { workerData: setup, resourceLimits: { maxOldGenerationSizeMb: heapMb } };
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

const closedError = () => new AppError('INTERNAL', 'the feed processor is closed');

const DEFAULT_HEAP_MB = 512;

/**
 * How many parse workers a command starts when INGEST_WORKERS is unset. `serve` keeps its main thread
 * for the API, so its workers parse and also write (one per core). `ingest` has nothing else to do on its
 * main thread: it fetches and writes there, through one warm connection, and parses on the other cores
 * (one worker per core but one, at least one). On two cores that is one worker instead of two, and the
 * parsers and the tagger are compiled by one isolate instead of two (bench/README.md, "Ingest").
 */
export function defaultWorkerCount(writesOnMainThread: boolean): number {
  const cores = availableParallelism();
  return writesOnMainThread ? Math.max(1, cores - 1) : cores;
}

/** Workers started ahead of the processor that will use them (prestartWorkers). */
let prestarted: { writeLock: SharedArrayBuffer; workers: Array<{ worker: Worker; token: number; alive: boolean }> } | undefined;

/**
 * Starts `count` parse workers now, for the next createFeedProcessor to adopt. A worker takes about
 * 0.2 s to load its modules; started before the configuration and the taxonomy are read, it loads on
 * the core the main thread leaves idle meanwhile. Workers nobody adopts are unref'd: they never keep
 * the process alive.
 */
export function prestartWorkers(count: number): void {
  if (prestarted || count <= 0) return;
  const writeLock = new SharedArrayBuffer(4);
  const workers = Array.from({ length: count }, (_, i) => {
    const entry = { worker: spawn({ writeLock, token: i + 1 }, DEFAULT_HEAP_MB), token: i + 1, alive: true };
    // Until a processor adopts it, a worker that fails to start is only left out (never an unhandled error).
    entry.worker.on('error', () => {});
    entry.worker.once('exit', () => (entry.alive = false));
    return entry;
  });
  prestarted = { writeLock, workers };
}

/** The prestarted workers, if their settings fit; the processor takes what it needs and ends the rest. */
function adoptPrestarted(count: number, heapMb: number): NonNullable<typeof prestarted> | undefined {
  const taken = prestarted;
  prestarted = undefined;
  if (!taken) return undefined;
  if (heapMb !== DEFAULT_HEAP_MB) {
    for (const { worker } of taken.workers) void worker.terminate();
    return undefined;
  }
  const alive = taken.workers.filter((w) => w.alive);
  for (const { worker } of alive.splice(count)) void worker.terminate();
  return { writeLock: taken.writeLock, workers: alive };
}

/** Parses fetched feeds on worker threads (both cores busy), several documents queued per worker. */
export function createFeedProcessor(options: ProcessorOptions): FeedProcessor {
  const count = options.workers ?? defaultWorkerCount(false);
  if (count === 0) {
    // Loaded on first use: with workers, the main thread never needs the parsers or the tagger.
    const ready = Promise.all([import('./prepare.js'), import('../tagging/tag.js')]).then(([prepare, tag]) => ({
      prepareFeed: prepare.prepareFeed,
      tagger: tag.createTagger(options.taxonomy),
    }));
    ready.catch(() => {}); // reported by process() when it is used
    return {
      process: async (body, contentType, opts) => {
        const { prepareFeed, tagger } = await ready;
        return prepareFeed(body, contentType, opts, tagger);
      },
      close: async () => {},
    };
  }
  const jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
  const heapMb = options.workerHeapMb ?? DEFAULT_HEAP_MB;
  const perWorker = Math.max(1, options.jobsPerWorker ?? 16);
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextJobId = 1;
  let closed = false;
  const adopted = adoptPrestarted(count, heapMb);
  let nextToken = Math.max(0, ...(adopted?.workers ?? []).map((w) => w.token)) + 1;
  const writeLock = adopted?.writeLock ?? new SharedArrayBuffer(4);
  const lockWord = new Int32Array(writeLock);

  function launch(): Pick<Slot, 'worker' | 'token'> {
    const started = adopted?.workers.shift() ?? spawnNew();
    started.worker.postMessage({ kind: 'setup', taxonomy: options.taxonomy } satisfies WorkerMessage);
    return started;
  }

  function spawnNew(): Pick<Slot, 'worker' | 'token'> {
    const token = nextToken++;
    return { worker: spawn({ writeLock, token }, heapMb), token };
  }

  /** A worker that dies while writing must not leave the others waiting for it. */
  function releaseLockOf(slot: Slot) {
    if (Atomics.compareExchange(lockWord, 0, slot.token, 0) === slot.token) Atomics.notify(lockWord, 0);
  }

  function attach(slot: Slot) {
    slot.worker.on('message', (msg: WorkerReply) => {
      arm(slot);
      const index = slot.tasks.findIndex((t) => t.job.jobId === msg.jobId);
      const task = slot.tasks[index];
      if (!task) return;
      if (msg.type === 'parsed') {
        task.parsed = true;
        return;
      }
      slot.tasks.splice(index, 1);
      if (slot.tasks.length === 0) disarm(slot);
      if (msg.error) task.reject(new AppError(msg.error.code, msg.error.message));
      else task.resolve(msg.result as never);
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

  /** The watchdog: restarted by every message of the worker while it has work. */
  function arm(slot: Slot) {
    disarm(slot);
    if (slot.tasks.length === 0) return;
    slot.watchdog = setTimeout(
      () => fail(slot, new AppError('FEED_PARSE_FAILED', `parsing took longer than ${Math.round(jobTimeoutMs / 1000)}s`)),
      jobTimeoutMs,
    );
  }

  function disarm(slot: Slot) {
    if (slot.watchdog) clearTimeout(slot.watchdog);
    slot.watchdog = null;
  }

  /**
   * A worker died or hung: the document it was on fails (the first not yet parsed; the first of its
   * write batch if it was writing), its other jobs go back to the queue, and a fresh worker takes its
   * place. Nothing of an unfinished write batch is in the database: the transaction never committed.
   */
  function fail(slot: Slot, error: AppError) {
    disarm(slot);
    const tasks = slot.tasks.splice(0);
    const culprit = tasks.find((t) => !t.parsed) ?? tasks[0];
    culprit?.reject(error);
    const others = tasks.filter((t) => t !== culprit);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    releaseLockOf(slot); // its transaction, if any, rolls back when its connection closes
    if (closed) {
      for (const t of others) t.reject(closedError());
      return;
    }
    for (const t of others) t.parsed = t.job.kind === 'commit';
    queue.unshift(...others);
    Object.assign(slot, launch());
    attach(slot);
    pump();
  }

  function pump() {
    while (queue.length > 0) {
      let slot: Slot | undefined;
      for (const s of slots) if (s.tasks.length < perWorker && (!slot || s.tasks.length < slot.tasks.length)) slot = s;
      if (!slot) return;
      const task = queue.shift()!;
      slot.tasks.push(task);
      if (!slot.watchdog) arm(slot);
      slot.worker.postMessage(task.job);
    }
  }

  function submit<T>(make: (jobId: number) => WorkerJob): Promise<T> {
    if (closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      const job = make(nextJobId++);
      // A state-only write has nothing to parse: never the culprit when a worker dies (see fail).
      queue.push({ job, resolve: resolve as (r: never) => void, reject, parsed: job.kind === 'commit' });
      pump();
    });
  }

  for (let i = 0; i < count; i++) {
    const slot: Slot = { ...launch(), tasks: [], watchdog: null };
    attach(slot);
    slots.push(slot);
  }

  return {
    process: (body, contentType, opts) => submit<PreparedFeed>((jobId) => ({ kind: 'prepare', jobId, body, contentType, opts })),
    writeInWorker: {
      processAndCommit: (body, contentType, opts, commit) =>
        submit<CommitOutcome>((jobId) => ({ kind: 'prepare-commit', jobId, body, contentType, opts, commit })),
      commitState: (commit) => submit<CommitOutcome>((jobId) => ({ kind: 'commit', jobId, commit })),
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(closedError());
      await Promise.all(
        slots.map(async (slot) => {
          slot.worker.removeAllListeners();
          disarm(slot);
          for (const task of slot.tasks.splice(0)) task.reject(closedError());
          await slot.worker.terminate();
          releaseLockOf(slot);
        }),
      );
    },
  };
}
