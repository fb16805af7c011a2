import { decideRule, iterationInput } from './choice-rules';

/**
 * The worst-case length of a Standard execution's history, counted from the ASL itself: Step
 * Functions stops an execution at 25,000 events, and an inline Map writes every iteration's
 * events into its parent's history.
 *
 * The event model (the `HistoryEvent` types of the Step Functions API, checked against recorded
 * histories):
 * - an execution: `ExecutionStarted` … `ExecutionSucceeded|Failed|TimedOut|Aborted`;
 * - Pass, Choice, Wait, Succeed: `<Type>StateEntered`, `<Type>StateExited`; Fail: `FailStateEntered`;
 * - Task: `TaskStateEntered`, then per attempt (the first and each retry) `LambdaFunctionScheduled,
 *   Started, Succeeded|Failed|TimedOut` for a Lambda ARN, `ActivityScheduled, Started, …` for an
 *   activity, `TaskScheduled, TaskStarted, TaskSucceeded|Failed` for a request-response
 *   integration and `TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded|Failed|TimedOut` for
 *   `.sync` and `.waitForTaskToken`; then `TaskStateExited` (also when a Catch takes over);
 * - inline Map: `MapStateEntered`, `MapStateStarted`, per item `MapIterationStarted`, the
 *   iteration's states, `MapIterationSucceeded|Failed`, then `MapStateSucceeded`, `MapStateExited`;
 * - distributed Map: `MapStateEntered, MapStateStarted, MapRunStarted, MapRunSucceeded,
 *   MapStateSucceeded, MapStateExited`; each item runs as a child execution with its own history;
 * - Parallel: `ParallelStateEntered, ParallelStateStarted`, every branch, `ParallelStateSucceeded`
 *   (counted, though recorded histories may omit it: the count is an upper bound),
 *   `ParallelStateExited`.
 * Each retrier counts its own attempts (`MaxAttempts`, default 3), so a state may be retried the
 * sum of its retriers' `MaxAttempts`; a Map or Parallel state that is retried runs again whole.
 */

/** Step Functions' limit on the events of one Standard execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;

type State = Record<string, unknown> & { Type: string };
interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

export interface HistoryCount {
  /** Worst-case events in the execution's own history. */
  events: number;
  /** Worst-case events of one child execution (distributed Map items); 0 without one. */
  childEvents: number;
}

/**
 * The worst-case history of one execution of `definition`, with `items` as the items of every
 * Map. A Choice is decided from an item where the iteration's input decides it (before any state
 * changed that input); everywhere else every branch is followed and the longest path counts.
 * Throws on a cycle (the history would be unbounded) and on a Task whose resource it cannot
 * classify (a count that guessed would be worthless).
 */
export function worstCaseHistory(definition: Machine, items: readonly unknown[]): HistoryCount {
  const counter = new PathCounter(items);
  const events = 2 + counter.longestPath(definition, undefined);
  return { events, childEvents: counter.childEvents };
}

const KNOWN_TYPES = new Set([
  'Task',
  'Pass',
  'Choice',
  'Wait',
  'Succeed',
  'Fail',
  'Map',
  'Parallel',
]);

class PathCounter {
  childEvents = 0;

  constructor(private readonly items: readonly unknown[]) {}

  /**
   * Events on the longest path through `machine`, from StartAt to an end. `input` is the data the
   * machine starts with when it is known (a Map iteration's item), else `undefined`.
   */
  longestPath(machine: Machine, input: unknown): number {
    const memo = new Map<string, number>();
    const visiting = new Set<string>();
    const walk = (name: string, known: unknown): number => {
      const key = `${name}|${known === undefined ? '' : 'known'}`;
      const cached = memo.get(key);
      if (cached !== undefined) return cached;
      if (visiting.has(name)) {
        throw new Error(`state ${name} is on a cycle: the execution history has no upper bound`);
      }
      const state = machine.States[name];
      if (!state) throw new Error(`state ${name} is not defined`);
      visiting.add(name);
      // Only a Choice that reshapes nothing passes the known input on unchanged.
      const keepsInput =
        state.Type === 'Choice' && state.InputPath === undefined && state.OutputPath === undefined;
      const next = this.successors(state, known).map((n) =>
        walk(n, keepsInput ? known : undefined),
      );
      visiting.delete(name);
      const total = this.stateEvents(name, state) + Math.max(0, ...next);
      memo.set(key, total);
      return total;
    };
    return walk(machine.StartAt, input);
  }

  /** The states that may follow `state` (an end, or an uncaught error, adds none). */
  private successors(state: State, known: unknown): string[] {
    const catches = ((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next);
    const next = typeof state.Next === 'string' ? [state.Next] : [];
    if (state.Type !== 'Choice') return [...next, ...catches];
    const rules = (state.Choices as Record<string, unknown>[] | undefined) ?? [];
    const reachable: string[] = [];
    for (const rule of rules) {
      const decision = known === undefined ? undefined : decideRule(rule, known);
      if (decision === false) continue;
      reachable.push(rule.Next as string);
      if (decision === true) return reachable;
    }
    if (typeof state.Default === 'string') reachable.push(state.Default);
    return reachable;
  }

  /** The events `state` itself writes on its worst path (its inner executions included). */
  private stateEvents(name: string, state: State): number {
    if (!KNOWN_TYPES.has(state.Type)) throw new Error(`state ${name}: unknown type ${state.Type}`);
    const attempts = 1 + retries(state);
    switch (state.Type) {
      case 'Fail':
        return 1;
      case 'Task':
        return 2 + attempts * eventsPerAttempt(name, state.Resource);
      case 'Map':
        return 2 + attempts * (2 + this.mapBody(state));
      case 'Parallel': {
        const branches = (state.Branches as Machine[]).map((b) => this.longestPath(b, undefined));
        return 2 + attempts * (2 + branches.reduce((a, b) => a + b, 0));
      }
      default:
        return 2;
    }
  }

  /** Between MapStateStarted and MapStateSucceeded. */
  private mapBody(state: State): number {
    const processor = (state.ItemProcessor ?? state.Iterator) as Machine & {
      ProcessorConfig?: { Mode?: string };
    };
    const iteration = (item: unknown, index: number) =>
      this.longestPath(processor, iterationInput(state, item, index));
    if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED') {
      for (const [index, item] of this.items.entries()) {
        this.childEvents = Math.max(this.childEvents, 2 + iteration(item, index));
      }
      return 2; // MapRunStarted, MapRunSucceeded|Failed
    }
    return this.items.reduce<number>((sum, item, index) => sum + 2 + iteration(item, index), 0);
  }
}

/** Retries a state may make in the worst case: every retrier spends all its attempts. */
function retries(state: State): number {
  const retriers = (state.Retry as { MaxAttempts?: number }[] | undefined) ?? [];
  return retriers.reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
}

/** History events of one attempt of a Task, by the kind of its resource. */
export function eventsPerAttempt(name: string, resource: unknown): number {
  const arn = typeof resource === 'string' ? resource : '';
  if (/^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:/.test(arn)) return 3;
  if (/^arn:[\w-]+:states:[\w-]+:\d{12}:activity:/.test(arn)) return 3;
  if (/^arn:[\w-]+:states:::[\w.-]+:[\w.-]+$/.test(arn)) {
    return /\.(sync(:\d+)?|waitForTaskToken)$/.test(arn) ? 4 : 3;
  }
  throw new Error(`state ${name}: cannot tell the history events of resource ${String(resource)}`);
}
