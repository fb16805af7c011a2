import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { decodeStageEnvironment, environmentRecord } from '../../contract/container-environment';
import { PlannedTableSchema, STAGE_NAMES, StageInputSchema } from '../../contract/stage';
import { STATE } from '../../infra/constructs/etl-state-machine';
import {
  type AslDefinition,
  type AslState,
  allStates,
  synthesizeDefinition,
} from '../../infra/local/definition';
import { polyfillWithResolvers } from '../../infra/local/local-runner';
import { arbitraryOf } from '../helpers/schema-arbitrary';

/**
 * The synthesized state machine hands each stage task its input twice: as the Lambda payload and
 * as the Fargate container's environment. Both are evaluated here by the local Step Functions
 * engine (as Pass states with the tasks' own Parameters) for generated plan items: the container
 * decodes exactly the input the Lambda gets.
 */
let definition: AslDefinition;
beforeAll(() => {
  definition = synthesizeDefinition(loadConfig({ env: {} }));
  polyfillWithResolvers();
});

function parametersOf(name: string): Record<string, unknown> {
  const state = allStates(definition).find(([n]) => n === name)?.[1] as AslState | undefined;
  if (!state) throw new Error(`no state ${name}`);
  return state.Parameters as Record<string, unknown>;
}

/** Both tasks' Parameters evaluated on one iteration state: `{ payload, container }`. */
async function evaluate(
  lambda: Record<string, unknown>,
  fargate: Record<string, unknown>,
  input: unknown,
): Promise<{ payload: unknown; container: { Overrides: unknown } }> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const machine = new StateMachine({
    StartAt: 'Lambda',
    States: {
      Lambda: { Type: 'Pass', Parameters: lambda, ResultPath: '$.payload', Next: 'Fargate' },
      Fargate: { Type: 'Pass', Parameters: fargate, ResultPath: '$.container', End: true },
    },
  } as never);
  return machine.run(input as never).result as never;
}

describe('stage task input in the state machine', () => {
  it.each(STAGE_NAMES)(
    'the Fargate %s task decodes the input its Lambda twin gets',
    async (stage) => {
      const lambda = parametersOf(STATE.lambda(stage));
      const fargate = { Overrides: parametersOf(STATE.ecs(stage)).Overrides };
      await fc.assert(
        fc.asyncProperty(
          arbitraryOf(PlannedTableSchema),
          fc.stringMatching(/^run-[0-9T]{1,20}$/),
          async (item, runId) => {
            const evaluated = await evaluate(lambda, fargate, { item, runId });
            const payload = StageInputSchema.parse(evaluated.payload);
            const { ContainerOverrides } = evaluated.container.Overrides as {
              ContainerOverrides: { Environment: { Name: string; Value: string }[] }[];
            };
            const environment = ContainerOverrides[0]?.Environment;
            expect(decodeStageEnvironment(environmentRecord(environment))).toEqual(payload);
            expect(payload).toEqual({
              runId,
              table: item.table,
              stage,
              mode: item.mode,
              strategy: item.strategy,
              reconcile: item.reconcile,
              compareRows: item.compareRows,
            });
          },
        ),
        { numRuns: 20 },
      );
    },
  );
});
