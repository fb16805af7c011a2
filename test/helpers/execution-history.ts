import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import { type AslDefinition, type AslState, allStates } from '../../infra/local/definition';
import { polyfillWithResolvers } from '../../infra/local/local-runner';

/**
 * Execution histories (GetExecutionHistory's events) of the synthesized state machine, shaped as
 * the Step Functions API reference describes them (HistoryEvent and its `…EventDetails`):
 * - a Task state whose `Resource` is a Lambda function ARN (LambdaInvoke with
 *   `payloadResponseOnly`) records LambdaFunctionScheduled (`input`: its resolved Parameters),
 *   LambdaFunctionStarted, then LambdaFunctionSucceeded (`output`), LambdaFunctionFailed or
 *   LambdaFunctionTimedOut (`error`, `cause`);
 * - one on a service integration (`arn:aws:states:::ecs:runTask.sync`, `…:sns:publish`) records
 *   TaskScheduled (`resourceType`, `resource`, `parameters`), TaskStarted, TaskSubmitted (`.sync`),
 *   then TaskSucceeded, TaskFailed or TaskTimedOut;
 * - every event's `previousEventId` is the event before it in its own branch, so the Map's
 *   iterations interleave by time, as in AWS.
 * Each state's resource and Parameters come from the definition; the Parameters are evaluated by
 * the local Step Functions engine on the state's input.
 */
type Details = Omit<HistoryEvent, 'id' | 'type' | 'timestamp' | 'previousEventId'>;
interface Draft {
  type: HistoryEventType;
  at: number;
  after: Draft | null;
  details: Details;
}

/** One attempt of a Task state: `ms` running, after `waitMs` (the Retry interval), and its end. */
export type Attempt = { ms: number; waitMs?: number } & (
  | { output: unknown }
  | { error: string }
  | { timedOut: true }
  | { running: true }
  /** A Lambda function Step Functions could not schedule: no scheduled event, just the failure. */
  | { scheduleFailed: string }
);

/** A line of events (the top level, or one Map iteration), each after the one before. */
export class Branch {
  constructor(
    private readonly drafts: Draft[],
    private last: Draft | null,
    public clock: number,
  ) {}

  event(type: HistoryEventType, details: Details = {}, afterMs = 0): this {
    this.clock += afterMs;
    const draft = { type, at: this.clock, after: this.last, details };
    this.drafts.push(draft);
    this.last = draft;
    return this;
  }

  /** A state other than a Task, entered and left (`kind`: Choice, Pass, Map …). */
  state(kind: string, name: string, input: unknown): this {
    const data = JSON.stringify(input);
    return this.event(`${kind}StateEntered` as HistoryEventType, {
      stateEnteredEventDetails: { name, input: data },
    }).event(`${kind}StateExited` as HistoryEventType, {
      stateExitedEventDetails: { name, output: data },
    });
  }

  /** A new branch from here (a Map iteration), starting `offsetMs` later. */
  fork(offsetMs: number): Branch {
    return new Branch(this.drafts, this.last, this.clock + offsetMs);
  }

  /** Continues after the branch that ended last (the Map, once its iterations are done). */
  join(branches: Branch[]): this {
    const latest = branches.reduce((a, b) => (b.clock > a.clock ? b : a));
    this.clock = latest.clock;
    this.last = latest.last;
    return this;
  }
}

export class ExecutionHistory {
  private readonly drafts: Draft[] = [];
  private readonly states: Map<string, AslState>;

  constructor(
    definition: AslDefinition,
    private readonly start: Date,
  ) {
    this.states = new Map(allStates(definition));
    polyfillWithResolvers();
  }

  branch(): Branch {
    return new Branch(this.drafts, null, 0);
  }

  /** The definition's state of that name. */
  stateOf(name: string): AslState {
    const state = this.states.get(name);
    if (!state) throw new Error(`the definition has no state ${name}`);
    return state;
  }

  /** A Task state of the definition: entered, each attempt as its resource records it, left. */
  async task(branch: Branch, name: string, input: unknown, attempts: Attempt[]): Promise<void> {
    const state = this.stateOf(name);
    const resource = String(state.Resource);
    const effective = JSON.stringify(await evaluateParameters(state, input));
    const timeoutInSeconds = Number(state.TimeoutSeconds);
    branch.event('TaskStateEntered', {
      stateEnteredEventDetails: { name, input: JSON.stringify(input) },
    });
    const integration = /^arn:aws:states:::([^:]+):(.+)$/.exec(resource);
    for (const attempt of attempts) {
      if (integration) {
        const task = { resourceType: integration[1] ?? '', resource: integration[2] ?? '' };
        taskAttempt(branch, task, effective, timeoutInSeconds, attempt);
      } else lambdaAttempt(branch, resource, effective, timeoutInSeconds, attempt);
    }
    if (!attempts.some((a) => 'running' in a))
      branch.event('TaskStateExited', {
        stateExitedEventDetails: { name, output: JSON.stringify(input) },
      });
  }

  /** The events in the order GetExecutionHistory returns them: by time, numbered from 1. */
  events(): HistoryEvent[] {
    const ordered = this.drafts
      .map((draft, index) => ({ draft, index }))
      .sort((a, b) => a.draft.at - b.draft.at || a.index - b.index)
      .map(({ draft }) => draft);
    const ids = new Map(ordered.map((draft, i) => [draft, i + 1]));
    return ordered.map((draft) => ({
      id: ids.get(draft),
      previousEventId: draft.after ? ids.get(draft.after) : 0,
      type: draft.type,
      timestamp: new Date(this.start.getTime() + draft.at),
      ...draft.details,
    }));
  }
}

function lambdaAttempt(
  branch: Branch,
  resource: string,
  input: string,
  timeoutInSeconds: number,
  attempt: Attempt,
): void {
  if ('scheduleFailed' in attempt) {
    const error = attempt.scheduleFailed;
    branch.event(
      'LambdaFunctionScheduleFailed',
      { lambdaFunctionScheduleFailedEventDetails: { error, cause: causeOf(error) } },
      (attempt.waitMs ?? 0) + attempt.ms,
    );
    return;
  }
  branch
    .event(
      'LambdaFunctionScheduled',
      { lambdaFunctionScheduledEventDetails: { resource, input, timeoutInSeconds } },
      attempt.waitMs ?? 0,
    )
    .event('LambdaFunctionStarted');
  if ('output' in attempt)
    branch.event(
      'LambdaFunctionSucceeded',
      { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(attempt.output) } },
      attempt.ms,
    );
  else if ('error' in attempt)
    branch.event(
      'LambdaFunctionFailed',
      { lambdaFunctionFailedEventDetails: { error: attempt.error, cause: causeOf(attempt.error) } },
      attempt.ms,
    );
  else if ('timedOut' in attempt)
    branch.event(
      'LambdaFunctionTimedOut',
      { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout' } },
      attempt.ms,
    );
}

function taskAttempt(
  branch: Branch,
  task: { resourceType: string; resource: string },
  parameters: string,
  timeoutInSeconds: number,
  attempt: Attempt,
): void {
  branch
    .event(
      'TaskScheduled',
      {
        taskScheduledEventDetails: { ...task, region: 'us-east-1', parameters, timeoutInSeconds },
      },
      attempt.waitMs ?? 0,
    )
    .event('TaskStarted', { taskStartedEventDetails: task });
  if (task.resource.endsWith('.sync'))
    branch.event('TaskSubmitted', {
      taskSubmittedEventDetails: {
        ...task,
        output: JSON.stringify({ Tasks: [{ LastStatus: 'PROVISIONING' }] }),
      },
    });
  if ('output' in attempt)
    branch.event(
      'TaskSucceeded',
      { taskSucceededEventDetails: { ...task, output: JSON.stringify(attempt.output) } },
      attempt.ms,
    );
  else if ('error' in attempt)
    branch.event(
      'TaskFailed',
      { taskFailedEventDetails: { ...task, error: attempt.error, cause: causeOf(attempt.error) } },
      attempt.ms,
    );
  else if ('timedOut' in attempt)
    branch.event(
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
