import { describe, expect, it } from 'vitest';
import { worstCaseHistory } from '../../infra/limits/execution-history';

/**
 * The history counter on small definitions whose histories are known. The expected sequences are
 * the ones Step Functions records (GetExecutionHistory), e.g. for a Lambda task retried three
 * times and caught: ExecutionStarted, TaskStateEntered, 4 × (LambdaFunctionScheduled,
 * LambdaFunctionStarted, LambdaFunctionFailed), TaskStateExited, PassStateEntered,
 * PassStateExited, ExecutionSucceeded = 18 events.
 */

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:Stage';
const ECS_SYNC = 'arn:aws:states:::ecs:runTask.sync';
const SNS = 'arn:aws:states:::sns:publish';
type States = Record<string, Record<string, unknown> & { Type: string }>;
const machine = (StartAt: string, States: States) => ({ StartAt, States });
const count = (m: ReturnType<typeof machine>, items: unknown[] = []) => worstCaseHistory(m, items);

describe('the worst-case history counter, on definitions with known histories', () => {
  it('counts a Pass, a Wait and a Succeed as entered and exited, a Fail as entered', () => {
    // ExecutionStarted, Pass ×2, Wait ×2, Succeed ×2, ExecutionSucceeded.
    const ok = machine('P', {
      P: { Type: 'Pass', Next: 'W' },
      W: { Type: 'Wait', Seconds: 1, Next: 'S' },
      S: { Type: 'Succeed' },
    });
    expect(count(ok).events).toBe(8);
    // ExecutionStarted, ChoiceStateEntered/Exited, FailStateEntered, ExecutionFailed.
    const fail = machine('C', {
      C: { Type: 'Choice', Choices: [], Default: 'F' },
      F: { Type: 'Fail', Error: 'E' },
    });
    expect(count(fail).events).toBe(5);
  });

  it('counts each kind of Task resource by its own events', () => {
    const one = (Resource: string) => machine('T', { T: { Type: 'Task', Resource, End: true } });
    expect(count(one(LAMBDA)).events).toBe(7); // LambdaFunctionScheduled, Started, Succeeded
    expect(count(one(SNS)).events).toBe(7); // TaskScheduled, TaskStarted, TaskSucceeded
    expect(count(one(ECS_SYNC)).events).toBe(8); // … TaskSubmitted before TaskSucceeded
    expect(count(one('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).events).toBe(8);
    expect(() => count(one('StageFunctionLogicalId'))).toThrow(/cannot tell the history events/);
  });

  it('adds every attempt of every retrier, and the catch path', () => {
    const retried = (Retry: unknown[]) =>
      machine('T', {
        T: {
          Type: 'Task',
          Resource: LAMBDA,
          Retry,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handle' }],
          End: true,
        },
        Handle: { Type: 'Pass', End: true },
      });
    expect(count(retried([{ ErrorEquals: ['E'], MaxAttempts: 3 }])).events).toBe(18);
    // MaxAttempts defaults to 3; each retrier keeps its own count; 0 never retries.
    expect(count(retried([{ ErrorEquals: ['E'] }])).events).toBe(18);
    expect(count(retried([{ ErrorEquals: ['E'], MaxAttempts: 0 }])).events).toBe(9);
    const two = [
      { ErrorEquals: ['A'], MaxAttempts: 2 },
      { ErrorEquals: ['B'], MaxAttempts: 5 },
    ];
    expect(count(retried(two)).events).toBe(2 + 2 + 8 * 3 + 2);
    const ecs = machine('T', {
      T: { Type: 'Task', Resource: ECS_SYNC, Retry: [{ ErrorEquals: ['E'], MaxAttempts: 2 }] },
    });
    (ecs.States.T as Record<string, unknown>).End = true;
    expect(count(ecs).events).toBe(2 + 2 + 3 * 4);
  });

  it('takes the longest of the branches a Choice or a Catch may lead to', () => {
    const m = machine('C', {
      C: {
        Type: 'Choice',
        Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Long' }],
        Default: 'Short',
      },
      Long: { Type: 'Task', Resource: ECS_SYNC, Next: 'Short' },
      Short: { Type: 'Pass', End: true },
    });
    expect(count(m).events).toBe(2 + 2 + 6 + 2);
  });

  it('writes an inline Map’s iterations into the execution, per item', () => {
    // ExecutionStarted, Pass ×2, MapStateEntered, MapStateStarted, 3 × (MapIterationStarted,
    // PassStateEntered, PassStateExited, MapIterationSucceeded), MapStateSucceeded,
    // MapStateExited, ExecutionSucceeded.
    const m = machine('Start', {
      Start: { Type: 'Pass', Next: 'Map' },
      Map: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
        End: true,
      },
    });
    expect(count(m, [1, 2, 3])).toEqual({ events: 20, childEvents: 0 });
    expect(count(m, []).events).toBe(8);
  });

  it('keeps a distributed Map’s iterations in child executions', () => {
    const m = machine('Map', {
      Map: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Item',
          States: { Item: { Type: 'Task', Resource: LAMBDA, End: true } },
        },
        End: true,
      },
    });
    // Parent: MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
    // MapStateSucceeded, MapStateExited; each child: ExecutionStarted, the task (5), ExecutionSucceeded.
    expect(
      count(
        m,
        Array.from({ length: 5000 }, (_, i) => i),
      ),
    ).toEqual({
      events: 8,
      childEvents: 7,
    });
  });

  it('decides a Choice from each item while the iteration’s input is unchanged', () => {
    const m = machine('Map', {
      Map: {
        Type: 'Map',
        ItemSelector: { 'item.$': '$$.Map.Item.Value', 'runId.$': '$.runId' },
        ItemProcessor: {
          StartAt: 'Which',
          States: {
            Which: {
              Type: 'Choice',
              Choices: [{ Variable: '$.item.runner', StringEquals: 'fargate', Next: 'Big' }],
              Default: 'Small',
            },
            Big: { Type: 'Task', Resource: ECS_SYNC, Next: 'Again' },
            Small: { Type: 'Pass', Next: 'Again' },
            // After a Task the data may have changed: this Choice is not decided from the item.
            Again: {
              Type: 'Choice',
              Choices: [{ Variable: '$.item.runner', StringEquals: 'lambda', Next: 'Extra' }],
              Default: 'Done',
            },
            Extra: { Type: 'Task', Resource: LAMBDA, Next: 'Done' },
            Done: { Type: 'Succeed' },
          },
        },
        End: true,
      },
    });
    const base = count(m, []).events;
    const small = count(m, [{ runner: 'lambda' }]).events - base;
    const big = count(m, [{ runner: 'fargate' }]).events - base;
    const unknown = count(m, [{}]).events - base;
    // MapIteration ×2, Which 2, Small 2 | Big 6, Again 2, Extra 5, Done 2.
    expect([small, big, unknown]).toEqual([15, 19, 19]);
    expect(count(m, [{ runner: 'lambda' }, { runner: 'fargate' }]).events).toBe(base + 34);
  });

  it('runs a retried Map or Parallel state again whole', () => {
    const inner = { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } };
    const map = machine('M', {
      M: {
        Type: 'Map',
        ItemProcessor: inner,
        Retry: [{ ErrorEquals: ['E'], MaxAttempts: 1 }],
        End: true,
      },
    });
    expect(count(map, [1]).events).toBe(2 + 2 + 2 * (2 + 4));
    const parallel = machine('P', {
      P: { Type: 'Parallel', Branches: [inner, inner], End: true },
    });
    expect(count(parallel).events).toBe(2 + 2 + 2 + 4);
  });

  it('refuses a definition with a cycle: its history has no bound', () => {
    const loop = machine('Poll', {
      Poll: { Type: 'Task', Resource: LAMBDA, Next: 'Done?' },
      'Done?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Poll' }],
        Default: 'End',
      },
      End: { Type: 'Succeed' },
    });
    expect(() => count(loop)).toThrow(/cycle/);
  });
});
