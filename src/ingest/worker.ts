/**
 * A parse worker. It receives fetched bodies and answers with prepared stories, or, when the job says
 * so, writes them itself through its own connection to the database file and answers with what it
 * wrote (ingest/processor.ts decides; ingest/commit.ts does the writing).
 *
 * Jobs queue up here (the processor keeps several in flight per worker). Parsed feeds wait in a batch
 * that is written in one transaction when there is nothing left to parse, when it is big, or when it is
 * worth trying and no other worker is writing at that moment: the workers take turns writing while the
 * others parse, and each commit carries many feeds. The turns are taken with a lock shared by the pool
 * (a SharedArrayBuffer word), so a waiting worker starts the moment the other is done, instead of
 * polling SQLite's lock with sleeps; SQLite's own lock still guards against every other writer.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { openDatabase } from '../db/open.js';
import { isAppError, type ErrorCode } from '../shared/errors.js';
import { systemClock } from '../shared/clock.js';
import { createTagger } from '../tagging/tag.js'; // not index.js: the worker needs neither yaml nor zod
import type { Tagger } from '../tagging/types.js';
import { createFeedCommitter, describeCommitError, type CommitEntry, type CommitOutcome, type FeedCommitter } from './commit.js';
import { prepareFeed, type PreparedFeed } from './prepare.js';
import type { WorkerCommit, WorkerMessage, WorkerReply, WorkerSetup } from './processor.js';

const setup = workerData as WorkerSetup;
/** From the `setup` message, the first the processor sends (the worker may start before the taxonomy is read). */
let tagger: Tagger | undefined;
const port = parentPort as MessagePort;
const lockWord = new Int32Array(setup.writeLock);
/** Past this, a worker stops waiting for its turn and leaves the waiting to SQLite's busy timeout. */
const LOCK_PATIENCE_MS = 30_000;

/** A batch is written at once past these sizes, and tried (if the lock is free) past the first. */
const TRY_STORIES = 600;
const MAX_STORIES = 2000;
const MAX_FEEDS = 64;

const queue: WorkerMessage[] = [];
let batch: Array<{ jobId: number; commit: WorkerCommit; entry: CommitEntry }> = [];
let batchStories = 0;
let running = false;
const committers = new Map<string, FeedCommitter>();

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

function failure(err: unknown): { code: ErrorCode; message: string } {
  return { code: isAppError(err) ? err.code : 'FEED_PARSE_FAILED', message: err instanceof Error ? err.message : String(err) };
}

function committerFor(commit: WorkerCommit): FeedCommitter {
  const { file, tagsHash, retentionDays } = commit.database;
  const key = JSON.stringify([file, tagsHash, retentionDays]);
  let committer = committers.get(key);
  if (!committer) {
    const db = openDatabase(file, { cacheMb: 16, secondary: true });
    db.pragma('busy_timeout = 60000'); // a worker waiting for the other's commit has nothing else to do
    committer = createFeedCommitter(db, { clock: systemClock, tagsHash, retentionDays: retentionDays ?? undefined });
    committers.set(key, committer);
  }
  return committer;
}

/** Takes the pool's write turn; `wait` off: only if free. True when this worker holds it. */
function takeTurn(wait: boolean): boolean {
  const deadline = Date.now() + LOCK_PATIENCE_MS;
  for (;;) {
    const holder = Atomics.compareExchange(lockWord, 0, 0, setup.token);
    if (holder === 0) return true;
    if (!wait) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    Atomics.wait(lockWord, 0, holder, left);
  }
}

function endTurn(): void {
  if (Atomics.compareExchange(lockWord, 0, setup.token, 0) === setup.token) Atomics.notify(lockWord, 0);
}

/** Writes the batch in one turn; false when `wait` is off and another worker is writing. */
function writeBatch(wait: boolean): boolean {
  if (!takeTurn(wait) && !wait) return false;
  try {
    return writeGroups(wait);
  } finally {
    endTurn();
  }
}

/** The batch per database (normally one); false when `wait` is off and the database was busy. */
function writeGroups(wait: boolean): boolean {
  const groups = new Map<FeedCommitter, typeof batch>();
  const done: Array<{ jobId: number; outcome: CommitOutcome }> = [];
  for (const item of batch) {
    try {
      const committer = committerFor(item.commit);
      groups.set(committer, [...(groups.get(committer) ?? []), item]);
    } catch (err) {
      done.push({ jobId: item.jobId, outcome: { ok: false, error: describeCommitError(err) } }); // cannot open the database
    }
  }
  for (const [committer, items] of groups) {
    let outcomes: CommitOutcome[] | null;
    try {
      const entries = items.map((i) => i.entry);
      outcomes = wait ? committer.commit(entries) : committer.tryCommit(entries);
    } catch (err) {
      const error = describeCommitError(err);
      outcomes = items.map(() => ({ ok: false, error }));
    }
    if (outcomes === null) {
      if (done.length === 0) return false;
      continue; // another database's feeds went through: keep these for the next round
    }
    items.forEach((item, i) => done.push({ jobId: item.jobId, outcome: outcomes[i]! }));
  }
  const written = new Set(done.map((d) => d.jobId));
  batch = batch.filter((item) => !written.has(item.jobId));
  batchStories = batch.reduce((n, item) => n + (item.entry.prepared?.stories.length ?? 0), 0);
  for (const d of done) reply({ type: 'done', jobId: d.jobId, result: d.outcome });
  return true;
}

async function handle(job: WorkerMessage): Promise<void> {
  if (job.kind === 'setup') {
    tagger = createTagger(job.taxonomy);
    return;
  }
  if (job.kind === 'commit') {
    batch.push({ jobId: job.jobId, commit: job.commit, entry: { request: job.commit } });
    return;
  }
  let prepared: PreparedFeed;
  try {
    if (!tagger) throw new Error('the worker was given a document before its taxonomy');
    prepared = await prepareFeed(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength), job.contentType, job.opts, tagger);
  } catch (err) {
    reply({ type: 'done', jobId: job.jobId, error: failure(err) });
    return;
  }
  if (job.kind === 'prepare') {
    reply({ type: 'done', jobId: job.jobId, result: prepared });
    return;
  }
  reply({ type: 'parsed', jobId: job.jobId });
  batch.push({ jobId: job.jobId, commit: job.commit, entry: { request: job.commit, prepared } });
  batchStories += prepared.stories.length;
}

function drainPort(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) queue.push(m.message as WorkerMessage);
}

async function run(): Promise<void> {
  running = true;
  try {
    for (;;) {
      drainPort();
      if (batch.length > 0) {
        const mustWrite = queue.length === 0 || batchStories >= MAX_STORIES || batch.length >= MAX_FEEDS;
        if (mustWrite && writeBatch(true)) continue;
        if (batchStories >= TRY_STORIES && writeBatch(false)) continue;
      }
      const job = queue.shift();
      if (!job) break;
      await handle(job);
    }
  } finally {
    running = false;
  }
}

port.on('message', (job: WorkerMessage) => {
  queue.push(job);
  if (!running) void run();
});
