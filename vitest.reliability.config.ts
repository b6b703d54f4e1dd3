import { defineConfig } from 'vitest/config';

/**
 * The slow fault and abuse suite (issue 7): `npm run test:reliability`, also run by CI (.ci/run). Its
 * files run one after another (each starts processes and servers of its own); together they take about
 * two and a half minutes on a loaded 2-core machine, which CI's ten minutes must leave room for.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
