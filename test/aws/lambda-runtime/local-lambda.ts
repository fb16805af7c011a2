import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { DeployedFunction } from './deployed-functions';

const LOADER = fileURLToPath(new URL('./lambda-loader.mjs', import.meta.url));

/** The runtime's error response: Step Functions matches `errorType` against `ErrorEquals`. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome = { ok: true; payload: unknown } | { ok: false; error: LambdaError };

export interface Invocation {
  functionId: string;
  event: unknown;
  outcome: InvokeOutcome;
}

export interface LocalLambdaOptions {
  region: string;
  account: string;
  /** Fake credentials, as the execution role's session would put them in the environment. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** Variables the test adds to every environment (the local Secrets Manager endpoint). */
  endpointEnvironment: Record<string, string>;
}

interface Environment {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<LambdaError | null>;
  pending: Map<string, (outcome: InvokeOutcome) => void>;
}

/**
 * The Lambda service for functions copied to task roots: each invocation runs in an execution
 * environment (a forked Node process running `lambda-loader.mjs`, no exec arguments, only the
 * function's environment) that is reused while warm and never runs two invocations at once; a
 * busy function gets a new environment up to its reserved concurrency, then throttles. An
 * invocation over the function's timeout ends its environment. Output goes to `logs`.
 */
export class LocalLambda {
  readonly invocations: Invocation[] = [];
  /** Everything the environments wrote to stdout/stderr (CloudWatch Logs), per function. */
  readonly logs = new Map<string, string[]>();
  private readonly environments = new Map<string, Environment[]>();
  private readonly functions = new Map<string, { fn: DeployedFunction; taskRoot: string }>();

  constructor(private readonly options: LocalLambdaOptions) {}

  /** Makes a function invocable, its code at `taskRoot`. */
  deploy(fn: DeployedFunction, taskRoot: string): void {
    this.functions.set(fn.logicalId, { fn, taskRoot });
  }

  functionArn(functionId: string): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.account}:function:${functionId}`;
  }

  /** The variables an environment starts with: the template's, then the runtime's own. */
  environmentOf(functionId: string): Record<string, string> {
    const { fn, taskRoot } = this.deployed(functionId);
    const { region, credentials } = this.options;
    return {
      ...fn.environment,
      ...this.options.endpointEnvironment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: functionId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionId}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: fn.handler,
      // Lambda's own search path ends in the task root; there is no AWS SDK beside it here.
      NODE_PATH: taskRoot,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/usr/local/bin:/usr/bin/:/bin',
    };
  }

  /** Invokes a function synchronously (RequestResponse), as Step Functions' Lambda task does. */
  async invoke(functionId: string, event: unknown): Promise<InvokeOutcome> {
    const { fn } = this.deployed(functionId);
    const pool = this.environments.get(functionId) ?? [];
    this.environments.set(functionId, pool);
    let environment = pool.find((e) => !e.busy);
    if (!environment) {
      if (fn.reservedConcurrency !== undefined && pool.length >= fn.reservedConcurrency) {
        return this.record(functionId, event, {
          ok: false,
          error: { errorType: 'Lambda.TooManyRequestsException', errorMessage: 'Rate Exceeded.' },
        });
      }
      environment = this.start(functionId);
      pool.push(environment);
    }
    environment.busy = true;
    try {
      const initError = await environment.ready;
      if (initError) return this.record(functionId, event, { ok: false, error: initError });
      return this.record(functionId, event, await this.send(environment, fn, event));
    } finally {
      environment.busy = false;
    }
  }

  /** Starts an environment (the init phase: load the handler); its init error, if any. */
  async warm(functionId: string): Promise<LambdaError | null> {
    const pool = this.environments.get(functionId) ?? [];
    this.environments.set(functionId, pool);
    const environment = pool[0] ?? this.start(functionId);
    if (!pool.includes(environment)) pool.push(environment);
    return environment.ready;
  }

  /** Ends every idle environment: the next invocation starts cold (fresh secrets cache). */
  recycle(): void {
    for (const [id, pool] of this.environments) {
      const idle = pool.filter((e) => !e.busy);
      for (const e of idle) e.child.kill();
      this.environments.set(
        id,
        pool.filter((e) => e.busy),
      );
    }
  }

  async close(): Promise<void> {
    const all = [...this.environments.values()].flat();
    this.environments.clear();
    await Promise.all(
      all.map(
        (e) =>
          new Promise<void>((resolve) => {
            if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
            e.child.once('exit', () => resolve());
            e.child.kill();
          }),
      ),
    );
  }

  private deployed(functionId: string) {
    const deployed = this.functions.get(functionId);
    if (!deployed) throw new Error(`no function ${functionId} is deployed`);
    return deployed;
  }

  private record(functionId: string, event: unknown, outcome: InvokeOutcome): InvokeOutcome {
    this.invocations.push({ functionId, event, outcome });
    return outcome;
  }

  private start(functionId: string): Environment {
    const { taskRoot } = this.deployed(functionId);
    const child = fork(LOADER, [], {
      cwd: taskRoot,
      env: this.environmentOf(functionId),
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const lines = this.logs.get(functionId) ?? [];
    this.logs.set(functionId, lines);
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (d) => lines.push(String(d)));
    const pending = new Map<string, (outcome: InvokeOutcome) => void>();
    const ready = new Promise<LambdaError | null>((resolve) => {
      child.on('message', (message: Record<string, unknown>) => {
        if (message.type === 'ready') resolve(null);
        if (message.type === 'init-error') resolve(message.error as LambdaError);
        if (message.type === 'result') {
          const answer = pending.get(String(message.id));
          pending.delete(String(message.id));
          answer?.(
            message.error
              ? { ok: false, error: message.error as LambdaError }
              : { ok: true, payload: JSON.parse(String(message.payload)) },
          );
        }
      });
      child.on('exit', (code, signal) => {
        const error = {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: exited before answering (code ${code}, signal ${signal})`,
        };
        resolve(error);
        for (const answer of pending.values()) answer({ ok: false, error });
        pending.clear();
        const pool = this.environments.get(functionId);
        if (pool)
          this.environments.set(
            functionId,
            pool.filter((e) => e.child !== child),
          );
      });
    });
    return { child, busy: false, ready, pending };
  }

  private send(environment: Environment, fn: DeployedFunction, event: unknown) {
    const id = randomUUID();
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        environment.pending.delete(id);
        environment.child.kill();
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, fn.timeoutSeconds * 1000);
      environment.pending.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      environment.child.send({
        type: 'invoke',
        id,
        body: JSON.stringify(event),
        functionArn: this.functionArn(fn.logicalId),
        deadlineMs: Date.now() + fn.timeoutSeconds * 1000,
        traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=1`,
      });
    });
  }
}
