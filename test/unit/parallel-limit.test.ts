import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { rejectParallelAboveLimit } from '../../core/pipeline/plan-run';

const config = (general: Record<string, number>) => PipelineConfigSchema.parse({ general });

describe('the parallelism a run may ask for', () => {
  it('accepts no parallel (the default) and any value up to general.max_parallel_jobs', () => {
    const sized = config({ parallel_jobs: 2, max_parallel_jobs: 6 });
    for (const parallel of [undefined, 1, 2, 6]) {
      expect(() => rejectParallelAboveLimit(sized, { parallel })).not.toThrow();
    }
  });

  it('refuses more than general.max_parallel_jobs with a ConfigError naming the limit', () => {
    const sized = config({ parallel_jobs: 2, max_parallel_jobs: 6 });
    let error: unknown;
    try {
      rejectParallelAboveLimit(sized, { parallel: 7 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /parallel 7 is above general\.max_parallel_jobs \(6\), the most tables at once this deployment is sized for/,
    );
  });

  it('without general.max_parallel_jobs, the limit is parallel_jobs: a run may lower it, not raise it', () => {
    const plain = config({ parallel_jobs: 3 });
    expect(() => rejectParallelAboveLimit(plain, { parallel: 3 })).not.toThrow();
    expect(() => rejectParallelAboveLimit(plain, { parallel: 4 })).toThrow(
      /general\.max_parallel_jobs \(3\)/,
    );
  });
});
