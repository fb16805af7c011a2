import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { GroupStageInputSchema, STAGE_NAMES } from '../../contract/stage';
import { LAMBDA_TASK_CAP_SECONDS } from '../../infra/constructs/etl-state-machine';
import { groupLambdaPayload } from '../../infra/constructs/stage-task-input';
import { STATE } from '../../infra/constructs/state-names';
import { type AslDefinition, allStates, synthesizeDefinition } from '../../infra/local/definition';
import { unboundTasks } from '../../infra/local/local-runner';
import { plannedTable } from '../helpers/table-scripts';

let asl: AslDefinition;
const state = (name: string) => {
  const found = allStates(asl).find(([n]) => n === name)?.[1];
  if (!found) throw new Error(`no state ${name}`);
  return found as Record<string, unknown>;
};

beforeAll(() => {
  asl = synthesizeDefinition(loadConfig({ env: {} }));
});

describe('the states of a group of tiny tables', () => {
  it('has one Lambda task per stage on the stage function, with a Lambda stage’s Retry and timeout', () => {
    for (const stage of STAGE_NAMES) {
      const group = state(STATE.group(stage));
      const single = state(STATE.lambda(stage));
      expect(group.Resource).toBe(single.Resource);
      expect((group.Parameters as { FunctionName: unknown }).FunctionName).toEqual(
        (single.Parameters as { FunctionName: unknown }).FunctionName,
      );
      expect(group.Retry).toEqual(single.Retry);
      expect(group.TimeoutSeconds).toBe(LAMBDA_TASK_CAP_SECONDS);
      expect(group.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: STATE.groupFailed(stage) },
      ]);
    }
    expect(state(STATE.group('extract')).Next).toBe(STATE.group('load'));
    expect(state(STATE.group('transform')).Next).toBe(STATE.groupFinished);
  });

  it('alerts each failed table with the table failure text, retrying SNS as the table alert does', () => {
    for (const name of [STATE.groupFailureAlert, STATE.groupLostAlert]) {
      const alert = state(name);
      expect(alert.Retry).toEqual(state(STATE.alert).Retry);
      expect(JSON.stringify(alert.Parameters)).toContain('failed in stage {} with {}');
    }
    expect(state(STATE.groupFailures)).toMatchObject({ Type: 'Map', ItemsPath: '$.failed' });
    expect(state(STATE.groupLost)).toMatchObject({ Type: 'Map', ItemsPath: '$.remaining' });
  });

  it('hands each stage task the contract’s group input', async () => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const tables = [plannedTable('alpha', 'lambda'), plannedTable('beta', 'lambda')];
    for (const stage of STAGE_NAMES) {
      const machine = new StateMachine({
        StartAt: 'P',
        States: { P: { Type: 'Pass', Parameters: groupLambdaPayload(stage), End: true } },
      } as never);
      const failed = [{ status: 'failed', table: 'gamma', stage: 'extract', error: 'E' }];
      const input = {
        runId: 'run-1',
        item: { group: 'group-01', runner: 'lambda', tables },
        batch: { tables: tables.slice(1), failed },
      };
      const payload = GroupStageInputSchema.parse(await machine.run(input as never).result);
      expect(payload).toEqual({
        runId: 'run-1',
        group: 'group-01',
        stage,
        tables: stage === 'extract' ? tables : tables.slice(1),
        failed: stage === 'extract' ? [] : failed,
      });
    }
  });

  it('is bound by the local runner: no group state would call AWS', () => {
    const unbound = unboundTasks(asl, {});
    const groupTasks = unbound.filter((n) => /^(Group|AlertGroup)/.test(n));
    expect(groupTasks.sort()).toEqual(
      [...STAGE_NAMES.map(STATE.group), STATE.groupFailureAlert, STATE.groupLostAlert].sort(),
    );
  });
});
