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
 * top-level Map. A Choice is decided from an item where the iteration's input decides it (before
 * any state changed that input); everywhere else every branch is followed and the longest path
 * counts. An inline Map within a Map's iteration (a group's alerts, one per failed table) runs at
 * most as many items as the longest array of that iteration's item (the group's tables). Throws
 * on a cycle (the history would be unbounded) and on a Task whose resource it cannot classify (a
 * count that guessed would be worthless).
 */
export function worstCaseHistory(definition: Machine, items: readonly unknown[]): HistoryCount {
  const counter = new PathCounter(items, true);
  const events = 2 + counter.longestPath(definition, undefined).events;
  return { events, childEvents: counter.childEvents };
}

/** What a run without a retry or a failure writes and costs, in all its executions. */
export interface NominalRun {
  /** Events of the run's own execution. */
  events: number;
  /** State transitions (states entered) of the run's own execution. */
  transitions: number;
  /** Child executions (distributed Map items). */
  children: number;
  /** Events of all its child executions together. */
  childEvents: number;
  /** State transitions of all its child executions together. */
  childTransitions: number;
}

/**
 * The history and state transitions of a run in which nothing fails and nothing is retried:
 * every Task succeeds at its first attempt, no Catch is taken, and an inline Map within an
 * iteration (a group's failure alerts) has no item. A Choice not decided by the item takes its
 * longest branch. Step Functions bills Standard executions by state transition (each state
 * entered, a Map's iterations' states included, child executions' too).
 */
export function nominalRun(definition: Machine, items: readonly unknown[]): NominalRun {
  const counter = new PathCounter(items, false);
  const own = counter.longestPath(definition, undefined);
  return {
    events: 2 + own.events,
    transitions: own.transitions,
    children: counter.children,
    childEvents: counter.childEventsTotal,
    childTransitions: counter.childTransitionsTotal,
  };
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

interface PathCost {
  events: number;
  transitions: number;
}

class PathCounter {
  childEvents = 0;
  children = 0;
  childEventsTotal = 0;
  childTransitionsTotal = 0;
  /** Items an inline Map within the current iteration may run (undefined: not in an iteration). */
  private innerItems: number | undefined;

  constructor(
    private readonly items: readonly unknown[],
    /** Every retry and every Catch (the worst case), or none (a run where all succeeds). */
    private readonly worstCase: boolean,
  ) {}

  /**
   * The longest path through `machine` (by events), from StartAt to an end. `input` is the data
   * the machine starts with when it is known (a Map iteration's item), else `undefined`.
   */
  longestPath(machine: Machine, input: unknown): PathCost {
    const memo = new Map<string, PathCost>();
    const visiting = new Set<string>();
    const walk = (name: string, known: unknown): PathCost => {
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
      const own = this.stateCost(name, state);
      const longest = next.reduce<PathCost>((best, c) => (c.events > best.events ? c : best), {
        events: 0,
        transitions: 0,
      });
      const total = {
        events: own.events + longest.events,
        transitions: own.transitions + longest.transitions,
      };
      memo.set(key, total);
      return total;
    };
    return walk(machine.StartAt, input);
  }

  /** The states that may follow `state` (an end, or an uncaught error, adds none). */
  private successors(state: State, known: unknown): string[] {
    const catches = this.worstCase
      ? ((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next)
      : [];
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

  /** The events and transitions `state` itself writes on its worst path (inner ones included). */
  private stateCost(name: string, state: State): PathCost {
    if (!KNOWN_TYPES.has(state.Type)) throw new Error(`state ${name}: unknown type ${state.Type}`);
    const attempts = 1 + (this.worstCase ? retries(state) : 0);
    switch (state.Type) {
      case 'Fail':
        return { events: 1, transitions: 1 };
      case 'Task':
        return { events: 2 + attempts * eventsPerAttempt(name, state.Resource), transitions: 1 };
      case 'Map': {
        const body = this.mapBody(state);
        return {
          events: 2 + attempts * (2 + body.events),
          transitions: 1 + attempts * body.transitions,
        };
      }
      case 'Parallel': {
        const branches = (state.Branches as Machine[]).map((b) => this.longestPath(b, undefined));
        const sum = (k: keyof PathCost) => branches.reduce((a, b) => a + b[k], 0);
        return {
          events: 2 + attempts * (2 + sum('events')),
          transitions: 1 + attempts * sum('transitions'),
        };
      }
      default:
        return { events: 2, transitions: 1 };
    }
  }

  /** Between MapStateStarted and MapStateSucceeded. */
  private mapBody(state: State): PathCost {
    const processor = (state.ItemProcessor ?? state.Iterator) as Machine & {
      ProcessorConfig?: { Mode?: string };
    };
    const iteration = (item: unknown, index: number): PathCost => {
      const outer = this.innerItems;
      this.innerItems = this.worstCase ? longestArray(item) : 0;
      try {
        return this.longestPath(processor, iterationInput(state, item, index));
      } finally {
        this.innerItems = outer;
      }
    };
    if (this.innerItems !== undefined) {
      // Within an iteration: its items come from the iteration's data, at most innerItems.
      const one = this.innerItems > 0 ? iteration(undefined, 0) : { events: 0, transitions: 0 };
      return {
        events: this.innerItems * (2 + one.events),
        transitions: this.innerItems * one.transitions,
      };
    }
    if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED') {
      for (const [index, item] of this.items.entries()) {
        const child = iteration(item, index);
        this.childEvents = Math.max(this.childEvents, 2 + child.events);
        this.children += 1;
        this.childEventsTotal += 2 + child.events;
        this.childTransitionsTotal += child.transitions;
      }
      return { events: 2, transitions: 0 }; // MapRunStarted, MapRunSucceeded|Failed
    }
    return this.items.reduce<PathCost>(
      (sum, item, index) => {
        const one = iteration(item, index);
        return {
          events: sum.events + 2 + one.events,
          transitions: sum.transitions + one.transitions,
        };
      },
      { events: 0, transitions: 0 },
    );
  }
}

/** The length of the longest array anywhere in `value` (0 without one). */
function longestArray(value: unknown): number {
  if (Array.isArray(value)) return Math.max(value.length, ...value.map(longestArray));
  if (value && typeof value === 'object') {
    return Math.max(0, ...Object.values(value).map(longestArray));
  }
  return 0;
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
