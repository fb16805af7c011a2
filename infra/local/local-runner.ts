import { spawn } from 'node:child_process';
import type { LoadedConfig } from '../../config/load-config';
import { environmentRecord } from '../../contract/container-environment';
import { ConfigError } from '../../contract/errors';
import { type RunInput, STAGE_NAMES } from '../../contract/stage';
import {
  type Alert,
  createPlanHandler,
  createRunGroupStageHandler,
  createRunStageHandler,
  createSummarizeHandler,
  type GroupHandlerContext,
  type HandlerContext,
  type Logger,
  StageSessionPool,
} from '../../core/runtime';
// No import here may load aws-cdk-lib (a run reads its definition from the cache):
// test/unit/definition-cache-loading.test.ts checks that the CLI does not.
import { STATE } from '../constructs/state-names';
import { ROOT_DIR } from '../root-dir';
import { type AslDefinition, allStates, retryIntervalsOf } from './asl-states';
import type { TaskLaunch } from './container-task';
import { cachedDefinition } from './definition-cache';
import { ecsTaskDescription, type LocalTaskOutcome } from './ecs-task-description';

/** Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions uses. */
export function polyfillWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = () => {
    let resolve: unknown;
    let reject: unknown;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalRunOptions {
  config: LoadedConfig;
  input: RunInput;
  logger: Logger;
  /** Where SNS alerts go locally (the console, a log file, a test's list). */
  alertSink: (alert: Alert) => Promise<void> | void;
  /** Retry waits in milliseconds (default: the configured `retry_delay_seconds`, doubling). */
  retryIntervalMs?: number;
  /** Replaces handlers by state name (tests inject faults this way). */
  wrapHandlers?: (name: string, handler: TaskHandler) => TaskHandler;
  /** Overrides TimeoutSeconds per state name (tests). */
  timeoutSeconds?: Record<string, number>;
  /** Where stage tasks get their sessions (default: a new pool for this run, closed at its end). */
  sessionPool?: StageSessionPool;
  /** Execution events (state entered/exited, retries, failures) as they happen. */
  onEvent?: (event: Record<string, unknown>) => void;
  /** How Fargate tasks start (default: the entrypoint as a child process; or `containerTask`). */
  fargateTask?: TaskLaunch;
  /** Runs one table's stage within a group's task (tests fail one table of a group this way). */
  runTableStage?: GroupHandlerContext['runTableStage'];
}

export interface LocalRunResult {
  status: 'succeeded' | 'failed';
  output: Record<string, unknown> | null;
  error?: string;
  cause?: string;
}

/**
 * Runs the very state machine definition the CDK stack deploys, in-process, against the configured
 * databases: Lambda tasks bound to the same handlers, Fargate tasks to the real ECS entrypoint as a
 * child process (or its image in a container) with the container-override environment, SNS tasks
 * to the local alert sink. The definition comes from the cache (`definition-cache.ts`), synthesized
 * only when the configuration or the code changed. It refuses to start if any Task state has no
 * local binding (it would call real AWS).
 */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  polyfillWithResolvers();
  const { StateMachine } = await import('aws-local-stepfunctions');
  const definition = await cachedDefinition(options.config);
  applyTimeoutOverrides(definition, options.timeoutSeconds ?? {});
  const sessionPool = options.sessionPool ?? new StageSessionPool();
  const context: HandlerContext = {
    config: async () => options.config.pipeline,
    overrides: async () => options.config.tables,
    logger: options.logger,
    sessionPool,
    runner: 'local',
  };
  const bindings: Record<string, TaskHandler> = {
    [STATE.plan]: createPlanHandler(context),
    [STATE.summarize]: createSummarizeHandler(context),
    [STATE.alert]: snsSink(options.alertSink),
    [STATE.notifySummary]: snsSink(options.alertSink),
  };
  const stage = createRunStageHandler(context);
  const group = createRunGroupStageHandler({
    ...context,
    ...(options.retryIntervalMs === undefined
      ? {}
      : { groupRetryDelayMs: options.retryIntervalMs }),
    ...(options.runTableStage ? { runTableStage: options.runTableStage } : {}),
  });
  for (const alert of [STATE.groupFailureAlert, STATE.groupLostAlert])
    bindings[alert] = snsSink(options.alertSink);
  for (const s of STAGE_NAMES) {
    bindings[STATE.lambda(s)] = stage;
    bindings[STATE.group(s)] = group;
    bindings[STATE.ecs(s)] = ecsChildProcess(
      options.config,
      timeoutOf(definition, STATE.ecs(s)),
      options.fargateTask ?? entrypointProcess,
    );
  }
  const unbound = unboundTasks(definition, bindings);
  if (unbound.length > 0) {
    throw new ConfigError(
      `refusing to run locally: task state(s) ${unbound.join(', ')} have no local binding and would call AWS`,
    );
  }
  const wrap = options.wrapHandlers ?? ((_name, handler) => handler);
  const handlers = Object.fromEntries(
    Object.entries(bindings).map(([name, handler]) => [
      name,
      (input: unknown) => wrap(name, handler)(input),
    ]),
  );
  const retryMs =
    options.retryIntervalMs ?? options.config.pipeline.general.retry_delay_seconds * 1000;
  const retryIntervalOverrides = retryIntervalsOf(definition, retryMs);

  const machine = new StateMachine(definition as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: retryIntervalOverrides as never,
    },
  });
  const events = (async () => {
    for await (const event of execution.eventLogs)
      options.onEvent?.(event as unknown as Record<string, unknown>);
  })();
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { status: 'succeeded', output };
  } catch (error) {
    // The library wraps the failure (a Fail state's error, or an uncaught one) in ExecutionError.
    const e = error as {
      name?: string;
      message?: string;
      cause?: { name?: string; message?: string };
    };
    const inner = e.name === 'ExecutionError' && e.cause ? e.cause : e;
    return { status: 'failed', output: null, error: inner.name ?? 'Error', cause: inner.message };
  } finally {
    await events.catch(() => {});
    await sessionPool.close();
  }
}

/** Task states without a local handler: running them would call real AWS. */
export function unboundTasks(
  definition: AslDefinition,
  bindings: Record<string, unknown>,
): string[] {
  return allStates(definition)
    .filter(([name, state]) => state.Type === 'Task' && !bindings[name])
    .map(([name]) => name);
}

function applyTimeoutOverrides(definition: AslDefinition, overrides: Record<string, number>): void {
  for (const [name, state] of allStates(definition)) {
    const seconds = overrides[name];
    if (seconds !== undefined) state.TimeoutSeconds = seconds;
  }
}

function timeoutOf(definition: AslDefinition, stateName: string): number {
  const state = allStates(definition).find(([name]) => name === stateName)?.[1];
  return Number(state?.TimeoutSeconds ?? 60);
}

function snsSink(sink: LocalRunOptions['alertSink']): TaskHandler {
  return async (input) => {
    const { Subject, Message } = input as { Subject?: string; Message?: unknown };
    await sink({
      subject: String(Subject ?? ''),
      message: typeof Message === 'string' ? Message : JSON.stringify(Message),
    });
    return { MessageId: 'local' };
  };
}

/**
 * A task failure as Step Functions' `ecs:runTask.sync` reports it: `States.TaskFailed`, its Cause
 * (the error message here) the stopped task's ECS description as JSON.
 */
class TaskFailedError extends Error {
  override name = 'States.TaskFailed';
}
class TaskTimedOutError extends Error {
  override name = 'States.Timeout';
}

/** The real container entrypoint (`ecs-tasks/main.ts`) as a child process of this one. */
const entrypointProcess: TaskLaunch = (taskEnvironment) => ({
  command: process.execPath,
  args: ['--import', 'tsx', 'ecs-tasks/main.ts'],
  env: { PATH: process.env.PATH, HOME: process.env.HOME, ...taskEnvironment },
});

/**
 * The Fargate binding: the task, started by `launch` (the entrypoint as a child process, or its
 * image in a container), with the container-override environment of the task's parameters (which,
 * as in ECS, override the task definition's: PIPELINE_CONFIG, TABLES_CONFIG). It resolves or fails
 * with the ECS task description Step Functions would report (`ecsTaskDescription`), so the state
 * machine classifies a local failure by the container's exit code exactly as a deployed one; on
 * success the container's output line is added as `Output` (local only). Killed at the state's
 * timeout.
 */
function ecsChildProcess(
  config: LoadedConfig,
  timeoutSeconds: number,
  launch: TaskLaunch,
): TaskHandler {
  return (input) =>
    new Promise((resolve, reject) => {
      const overrides = environmentRecord(
        (input as { Overrides?: { ContainerOverrides?: { Environment?: [] }[] } }).Overrides
          ?.ContainerOverrides?.[0]?.Environment,
      );
      // Locally the credentials are the configured ones: no Secrets Manager.
      const local = structuredClone(config.pipeline);
      for (const c of [
        local.connections.source,
        local.connections.replication,
        local.connections.analytics,
      ]) {
        delete c.secret_id;
      }
      const { command, args, env } = launch({
        PIPELINE_CONFIG: JSON.stringify(local),
        TABLES_CONFIG: JSON.stringify(config.tables),
        // The container-override environment: the stage input, by the contract's codec.
        ...overrides,
        // The child exits when this pipe closes: a killed local run leaves no task behind.
        ETL_EXIT_WITH_PARENT: '1',
      });
      const child = spawn(command, args, { cwd: ROOT_DIR, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += String(d);
      });
      // Drained, not read: in ECS the container's stderr goes to its log, not to Step Functions.
      child.stderr.resume();
      const stopped = (outcome: LocalTaskOutcome) => {
        clearTimeout(timer);
        const description = ecsTaskDescription(input, outcome);
        const exitCode = (description.Containers as { ExitCode?: number }[])[0]?.ExitCode;
        if (exitCode === 0) {
          const last = stdout.trim().split('\n').pop() ?? '{}';
          resolve({ ...description, Output: safeJson(last) });
        } else {
          reject(new TaskFailedError(JSON.stringify(description)));
        }
      };
      // The engine's own TimeoutSeconds fails the state first (a real States.Timeout, which the
      // task's Catch does not take); a moment later the abandoned task is stopped, as ECS would.
      const timer = setTimeout(
        () => {
          child.kill('SIGKILL');
          reject(new TaskTimedOutError('the Fargate task exceeded its timeout'));
        },
        timeoutSeconds * 1000 + 1000,
      );
      // The process could not be started: as a task whose container never ran.
      child.on('error', (error: NodeJS.ErrnoException) =>
        stopped({ failedToStart: `CannotStartContainerError: ${error.code ?? 'spawn failed'}` }),
      );
      child.on('exit', (exitCode, signal) => stopped({ exitCode, signal }));
    });
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
