import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '../shared/errors.js';
import { createTagger, type Taxonomy } from '../tagging/index.js';
import { prepareFeed, type PrepareOptions } from './prepare.js';

/** A parse worker: receives fetched bodies, answers with prepared stories or a plain error. */
const tagger = createTagger((workerData as { taxonomy: Taxonomy }).taxonomy);

interface Job { jobId: number; body: Uint8Array; contentType: string | null; opts: PrepareOptions }

parentPort?.on('message', (job: Job) => {
  prepareFeed(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength), job.contentType, job.opts, tagger).then(
    (result) => parentPort?.postMessage({ jobId: job.jobId, result }),
    (err: unknown) =>
      parentPort?.postMessage({
        jobId: job.jobId,
        error: {
          code: isAppError(err) ? err.code : 'FEED_PARSE_FAILED',
          message: err instanceof Error ? err.message : String(err),
        },
      }),
  );
});
