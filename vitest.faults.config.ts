import { defineConfig } from 'vitest/config';
import { TEST_DEFINITION_CACHE } from './vitest.config';

/**
 * The reliability suite (`npm run test:faults`, part of `npm test`): it restarts MariaDB and
 * PostgreSQL and kills processes, so it runs on its own, after the other tests, one file at a time.
 */
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    environment: 'node',
    env: TEST_DEFINITION_CACHE,
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 300_000,
  },
});
