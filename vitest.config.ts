import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Local runs in the tests (and the CLI they start, which is handed this variable) keep their
 * cached state machine definitions here, not in the user's ~/.cache (infra/local/definition-cache.ts).
 */
export const TEST_DEFINITION_CACHE = {
  ETL_DEFINITION_CACHE_DIR: join(tmpdir(), 'etl-pipeline-test-definitions'),
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          testTimeout: 60_000,
          // Synthesizing the stack takes seconds, more on a busy 2-core machine.
          hookTimeout: 120_000,
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          environment: 'node',
          env: TEST_DEFINITION_CACHE,
          // Each file creates its own databases/schemas; files still run one at a time so
          // a 2-core machine is not oversubscribed by several database-heavy files at once.
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // The offline AWS conformance suite (npm run test:aws): permissions simulated against
          // the synthesized template, the Lambda bundles and the Fargate image run as deployed,
          // the template's limits. Bundling and image builds are heavy: one file at a time.
          name: 'aws',
          include: ['test/aws/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
