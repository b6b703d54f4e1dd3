/**
 * Runs tasks with a global concurrency limit and never two at once for the same key (host), keeping
 * the queue order otherwise. Each task's failure is its own: the pool never rejects.
 */
export async function runKeyedPool<T>(items: T[], options: { concurrency: number; keyOf: (item: T) => string; signal?: AbortSignal | undefined }, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const busyKeys = new Set<string>();
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      if (options.signal?.aborted) queue.length = 0;
      if (queue.length === 0 && active === 0) return resolve();
      for (let i = 0; i < queue.length && active < options.concurrency; ) {
        const item = queue[i]!;
        const key = options.keyOf(item);
        if (busyKeys.has(key)) {
          i++;
          continue;
        }
        queue.splice(i, 1);
        busyKeys.add(key);
        active++;
        task(item)
          .catch(() => {})
          .finally(() => {
            busyKeys.delete(key);
            active--;
            pump();
          });
      }
    };
    pump();
  });
}

/** The politeness key: one machine, whatever the port. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return url;
  }
}
