import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The few files that take far longer than the rest start first, so they run beside everything else
 * instead of after it (a fresh clone has no timing cache for vitest's own longest-first order). The
 * production smoke test alone (npm ci, build, prune, start) takes about as long as all other files on
 * one core.
 */
const SLOW_FIRST = ['test/production-smoke.test.ts', 'test/ops-opml.test.ts', 'test/cli.test.ts'];

class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((slow) => f.moduleId.replaceAll('\\', '/').endsWith(slow));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one fork fewer than there are cores: a single fork on a 2-core machine. Most
    // files wait on child processes, sockets and disk, so two forks share two cores well.
    maxWorkers: 2,
    sequence: { sequencer: SlowFilesFirst },
  },
});
