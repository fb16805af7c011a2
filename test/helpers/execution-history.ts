import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { type AslDefinition, type AslState, allStates } from '../../infra/local/definition';
import { polyfillWithResolvers } from '../../infra/local/local-runner';

/**
 * The history of one execution (GetExecutionHistory's events) of the synthesized state machine:
 * the parent's, or one table's child execution of the distributed Map. Shaped as the Step
 * Functions API reference describes HistoryEvent and its `…EventDetails`:
 * - a Task state whose `Resource` is a Lambda function ARN (LambdaInvoke with
 *   `payloadResponseOnly`) records LambdaFunctionScheduled (`input`: its resolved Parameters),
 *   LambdaFunctionStarted, then LambdaFunctionSucceeded (`output`), LambdaFunctionFailed or
 *   LambdaFunctionTimedOut (`error`, `cause`);
 * - one on a service integration (`arn:aws:states:::ecs:runTask.sync`, `…:sns:publish`) records
 *   TaskScheduled (`resourceType`, `resource`, `parameters`), TaskStarted, TaskSubmitted (`.sync`),
 *   then TaskSucceeded, TaskFailed or TaskTimedOut;
 * - TaskStateExited follows the last attempt when it succeeded or the state's Catch takes over;
 * - events are numbered from 1 in time order, each `previousEventId` the event before it.
 * Each state's resource and Parameters come from the definition; the Parameters are evaluated by
 * the local Step Functions engine on the state's input.
 */
type Details = Omit<HistoryEvent, 'id' | 'type' | 'timestamp' | 'previousEventId'>;

/** One attempt of a Task state: `ms` running, after `waitMs` (the Retry interval), and its end. */
export type Attempt = { ms: number; waitMs?: number } & (
  | { output: unknown }
  /** `relaunch`: a Fargate task that stopped on a transient failure (its Parallel relaunches it). */
  | { error: string; relaunch?: true }
  | { timedOut: true }
  | { running: true }
  /** A Lambda function Step Functions could not schedule: no scheduled event, just the failure. */
  | { scheduleFailed: string }
);

export class ExecutionHistory {
  private readonly drafts: { type: HistoryEventType; at: number; details: Details }[] = [];
  private readonly states: Map<string, AslState>;
  /** Milliseconds since the execution started. */
  clock = 0;

  constructor(
    definition: AslDefinition,
    readonly start: Date,
  ) {
    this.states = new Map(allStates(definition));
    polyfillWithResolvers();
  }

  event(type: HistoryEventType, details: Details = {}, afterMs = 0): this {
    this.clock += afterMs;
    this.drafts.push({ type, at: this.clock, details });
    return this;
  }

  /** A state other than a Task, entered and left (`kind`: Choice, Pass, Succeed …). */
  state(kind: string, name: string, input: unknown): this {
    const data = JSON.stringify(input);
    return this.event(`${kind}StateEntered` as HistoryEventType, {
      stateEnteredEventDetails: { name, input: data },
    }).event(`${kind}StateExited` as HistoryEventType, {
      stateExitedEventDetails: { name, output: data },
    });
  }

  /** The definition's state of that name. */
  stateOf(name: string): AslState {
    const state = this.states.get(name);
    if (!state) throw new Error(`the definition has no state ${name}`);
    return state;
  }

  /** A Task state of the definition: entered, each attempt as its resource records it, left. */
  async task(name: string, input: unknown, attempts: Attempt[]): Promise<void> {
    const state = this.stateOf(name);
    const resource = String(state.Resource);
    const effective = JSON.stringify(await evaluateParameters(state, input));
    const timeoutInSeconds = Number(state.TimeoutSeconds);
    this.event('TaskStateEntered', {
      stateEnteredEventDetails: { name, input: JSON.stringify(input) },
    });
    const integration = /^arn:aws:states:::([^:]+):(.+)$/.exec(resource);
    for (const attempt of attempts) {
      if (integration) {
        const task = { resourceType: integration[1] ?? '', resource: integration[2] ?? '' };
        taskAttempt(this, task, effective, timeoutInSeconds, attempt);
      } else lambdaAttempt(this, resource, effective, timeoutInSeconds, attempt);
    }
    const last = attempts.at(-1);
    if (last && ('output' in last || caught(state, errorOfAttempt(last))))
      this.event('TaskStateExited', {
        stateExitedEventDetails: { name, output: JSON.stringify(input) },
      });
  }

  /** The events in the order GetExecutionHistory returns them. */
  events(): HistoryEvent[] {
    return this.drafts.map((draft, i) => ({
      id: i + 1,
      previousEventId: i,
      type: draft.type,
      timestamp: new Date(this.start.getTime() + draft.at),
      ...draft.details,
    }));
  }
}

/** The error an attempt ended with (null: it succeeded or still runs). */
export function errorOfAttempt(attempt: Attempt): string | null {
  if ('error' in attempt) return attempt.error;
  if ('scheduleFailed' in attempt) return attempt.scheduleFailed;
  if ('timedOut' in attempt) return 'States.Timeout';
  return null;
}

/** Whether the state's Catch takes that error (`States.TaskFailed`: any but a timeout). */
function caught(state: AslState, error: string | null): boolean {
  const catchers = (state.Catch ?? []) as { ErrorEquals: string[] }[];
  return (
    error !== null &&
    catchers.some((c) =>
      c.ErrorEquals.some(
        (e) =>
          e === error ||
          e === 'States.ALL' ||
          (e === 'States.TaskFailed' && error !== 'States.Timeout'),
      ),
    )
  );
}

function lambdaAttempt(
  history: ExecutionHistory,
  resource: string,
  input: string,
  timeoutInSeconds: number,
  attempt: Attempt,
): void {
  if ('scheduleFailed' in attempt) {
    const error = attempt.scheduleFailed;
    history.event(
      'LambdaFunctionScheduleFailed',
      { lambdaFunctionScheduleFailedEventDetails: { error, cause: causeOf(error) } },
      (attempt.waitMs ?? 0) + attempt.ms,
    );
    return;
  }
  history
    .event(
      'LambdaFunctionScheduled',
      { lambdaFunctionScheduledEventDetails: { resource, input, timeoutInSeconds } },
      attempt.waitMs ?? 0,
    )
    .event('LambdaFunctionStarted');
  if ('output' in attempt)
    history.event(
      'LambdaFunctionSucceeded',
      { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(attempt.output) } },
      attempt.ms,
    );
  else if ('error' in attempt)
    history.event(
      'LambdaFunctionFailed',
      { lambdaFunctionFailedEventDetails: { error: attempt.error, cause: causeOf(attempt.error) } },
      attempt.ms,
    );
  else if ('timedOut' in attempt)
    history.event(
      'LambdaFunctionTimedOut',
      { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } },
      attempt.ms,
    );
}

function taskAttempt(
  history: ExecutionHistory,
  task: { resourceType: string; resource: string },
  parameters: string,
  timeoutInSeconds: number,
  attempt: Attempt,
): void {
  history
    .event(
      'TaskScheduled',
      {
        taskScheduledEventDetails: { ...task, region: 'us-east-1', parameters, timeoutInSeconds },
      },
      attempt.waitMs ?? 0,
    )
    .event('TaskStarted', { taskStartedEventDetails: task });
  if (task.resource.endsWith('.sync'))
    history.event('TaskSubmitted', {
      taskSubmittedEventDetails: {
        ...task,
        output: JSON.stringify({ Tasks: [{ LastStatus: 'PROVISIONING' }] }),
      },
    });
  if ('output' in attempt)
    history.event(
      'TaskSucceeded',
      { taskSucceededEventDetails: { ...task, output: JSON.stringify(attempt.output) } },
      attempt.ms,
    );
  else if ('error' in attempt)
    history.event(
      'TaskFailed',
      { taskFailedEventDetails: { ...task, error: attempt.error, cause: causeOf(attempt.error) } },
      attempt.ms,
    );
  else if ('timedOut' in attempt)
    history.event(
      'TaskTimedOut',
      { taskTimedOutEventDetails: { ...task, error: 'States.Timeout' } },
      attempt.ms,
    );
}

/** A Lambda error's cause, as Step Functions records it: the function's error as JSON. */
function causeOf(error: string): string {
  return JSON.stringify({ errorType: error, errorMessage: `${error} in stage`, trace: [] });
}

/** A state's Parameters evaluated on its input (no Parameters: the input itself). */
async function evaluateParameters(state: AslState, input: unknown): Promise<unknown> {
  if (!state.Parameters) return input;
  const { StateMachine } = await import('aws-local-stepfunctions');
  const machine = new StateMachine({
    StartAt: 'Evaluate',
    States: { Evaluate: { Type: 'Pass', Parameters: state.Parameters, End: true } },
  } as never);
  return machine.run(input as never).result;
}
