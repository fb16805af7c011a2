import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  decodeStageEnvironment,
  encodeStageEnvironment,
  STAGE_ENVIRONMENT,
  stageInputOfTask,
} from '../../contract/container-environment';
import { StageInputSchema } from '../../contract/stage';
import { arbitraryOf } from '../helpers/schema-arbitrary';

describe('the container-environment codec', () => {
  it('round-trips every valid stage input through the container environment', () => {
    fc.assert(
      fc.property(arbitraryOf(StageInputSchema), (input) => {
        const env = encodeStageEnvironment(input);
        // Environment variables are text without NUL bytes.
        for (const value of Object.values(env)) expect(value).not.toContain('\0');
        expect(decodeStageEnvironment(env)).toEqual(input);
      }),
      { numRuns: 500 },
    );
  });

  it('gives every field of the stage input its own variable', () => {
    const fields = Object.keys(StageInputSchema.shape).sort();
    expect(Object.keys(STAGE_ENVIRONMENT).sort()).toEqual(fields);
    const names = Object.values(STAGE_ENVIRONMENT).map((c) => c.name);
    expect(new Set(names).size).toBe(fields.length);
    expect(names.every((n) => /^ETL_[A-Z_]+$/.test(n))).toBe(true);
  });

  it('rejects an environment that is not a stage input, instead of guessing', () => {
    const valid = encodeStageEnvironment({
      runId: 'run-1',
      table: 'patient',
      stage: 'extract',
      mode: 'incremental',
      reconcile: true,
      compareRows: 250_000,
    });
    expect(decodeStageEnvironment(valid).reconcile).toBe(true);
    expect(decodeStageEnvironment(valid).compareRows).toBe(250_000);
    for (const broken of [
      { ...valid, ETL_RECONCILE: 'yes' },
      { ...valid, ETL_COMPARE_ROWS: '25e4' },
      { ...valid, ETL_COMPARE_ROWS: '-1' },
      { ...valid, ETL_STAGE: 'publish' },
      { ...valid, ETL_TABLE: 'patient; DROP TABLE x' },
      { ...valid, ETL_RUN_ID: '' },
    ]) {
      expect(() => decodeStageEnvironment(broken)).toThrow(ZodError);
    }
  });

  it('reads the stage input of a Lambda payload and of ECS container overrides alike', () => {
    const input = StageInputSchema.parse({
      runId: 'run-2',
      table: 'claim',
      stage: 'load',
      strategy: 'timestamp',
      reconcile: false,
    });
    const environment = Object.entries(encodeStageEnvironment(input)).map(([Name, Value]) => ({
      Name,
      Value,
    }));
    expect(stageInputOfTask({ Payload: input })).toEqual(input);
    expect(stageInputOfTask(input)).toEqual(input);
    expect(
      stageInputOfTask({ Overrides: { ContainerOverrides: [{ Environment: environment }] } }),
    ).toEqual(input);
    expect(stageInputOfTask({ Payload: { table: 'claim' } })).toBeNull();
  });
});
