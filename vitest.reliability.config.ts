import { defineConfig } from 'vitest/config';

/** The slow fault and abuse suite (issue 7): `npm run test:reliability`, also run by CI. */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
