import { defineConfig } from 'vitest/config';

/**
 * The reliability suite (`npm run test:faults`, part of `npm test`): it restarts MariaDB and
 * PostgreSQL and kills processes, so it runs on its own, after the other tests, one file at a time.
 */
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
