import { retagStories } from '../ingest/retag.js';
import { startRuntime } from './runtime.js';

export async function retagCommand(out: NodeJS.WritableStream): Promise<number> {
  const rt = await startRuntime({ logFd: 2, defaultLogLevel: 'error', workers: 0 });
  try {
    let lastPrinted = 0;
    const result = await retagStories(rt.db, rt.tagger, {
      batchSize: 1000,
      onProgress: ({ done, total }) => {
        if (done - lastPrinted >= 10_000 || done === total) {
          lastPrinted = done;
          out.write(`retagged ${done}/${total}\n`);
        }
      },
    });
    out.write(result.total === 0 ? 'every story is tagged with the current taxonomy\n' : `done: ${result.done} stories retagged\n`);
    return 0;
  } finally {
    await rt.close();
  }
}
