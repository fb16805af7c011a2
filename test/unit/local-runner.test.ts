import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { synthesizeDefinition } from '../../infra/local/definition';
import { unboundTasks } from '../../infra/local/local-runner';

describe('local runner bindings', () => {
  it('finds every Task state, inside the Map too, that has no local handler', () => {
    const definition = synthesizeDefinition(loadConfig({ env: {} }));
    expect(unboundTasks(definition, {})).toEqual(
      expect.arrayContaining([
        'Plan',
        'LambdaExtract',
        'FargateTransform',
        'AlertTableFailed',
        'Summarize',
        'NotifySummary',
      ]),
    );
    const all = Object.fromEntries(unboundTasks(definition, {}).map((n) => [n, () => null]));
    expect(unboundTasks(definition, all)).toEqual([]);
    const { LambdaLoad: _, ...missingOne } = all;
    expect(unboundTasks(definition, missingOne)).toEqual(['LambdaLoad']);
  });
});
