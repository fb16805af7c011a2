import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { PipelineConfig } from '../../../config/schema';
import { STAGE_NAMES, type StageName } from '../../../contract/stage';
import { createStageRegistry } from '../../../core/pipeline/stage-registry';
import { contextFromEnvironment } from '../../../core/runtime';
import { ROOT_DIR } from '../../../infra/build-app';
import { STATE } from '../../../infra/constructs/etl-state-machine';

/**
 * What the deployed code uses, read from the code itself rather than from a list that can drift:
 * which database connections each runtime handler opens (its source, by the TypeScript
 * compiler's syntax tree, and the stage registry's session roles), which secrets the runtime
 * reads when it starts (by running it on the template's environment with a recording reader), and
 * which environment variables an adapter reads.
 */

/** The runtime handler factories (core/runtime/) the entry points run, by their source file. */
const FACTORY_SOURCES = {
  createPlanHandler: 'core/runtime/handlers.ts',
  createRunStageHandler: 'core/runtime/handlers.ts',
  createSummarizeHandler: 'core/runtime/handlers.ts',
  createRunGroupStageHandler: 'core/runtime/group-handler.ts',
} as const;
export type HandlerFactory = keyof typeof FACTORY_SOURCES;

/**
 * The handler behind a Task state that invokes a Lambda function. The state names are the state
 * machine's (infra/constructs/etl-state-machine.ts); the Lambda adapters lambdas/aws/plan.ts,
 * run-stage.ts and summarize.ts and the local runner bind the same handlers to the same states.
 * A Fargate state runs ecs-tasks/main.ts: runContainerStage, i.e. createRunStageHandler.
 */
export function factoryOfLambdaState(state: string): HandlerFactory {
  if (state === STATE.plan) return 'createPlanHandler';
  if (state === STATE.summarize) return 'createSummarizeHandler';
  if (STAGE_NAMES.some((stage) => STATE.lambda(stage) === state)) return 'createRunStageHandler';
  // A group's stage task invokes the stage function too (run-stage.ts dispatches on `group`).
  if (STAGE_NAMES.some((stage) => STATE.group(stage) === state)) {
    return 'createRunGroupStageHandler';
  }
  throw new Error(`state ${state}: no runtime handler is known to serve it`);
}

/** The adapter subscribed to the alert topic (the Slack notifier). */
export const ALERT_SUBSCRIBER_ADAPTER = 'lambdas/aws/notify-slack.ts';

function sourceOf(path: string): ts.SourceFile {
  const text = readFileSync(join(ROOT_DIR, path), 'utf8');
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
}

function find(node: ts.Node, test: (n: ts.Node) => boolean): ts.Node[] {
  const found: ts.Node[] = [];
  const visit = (n: ts.Node) => {
    if (test(n)) found.push(n);
    n.forEachChild(visit);
  };
  visit(node);
  return found;
}

/** The names `x` of every `connections.x` / `….connections.x` under `node`. */
function connectionNames(node: ts.Node, known: readonly string[]): string[] {
  return find(
    node,
    (n) =>
      ts.isPropertyAccessExpression(n) &&
      known.includes(n.name.text) &&
      ((ts.isIdentifier(n.expression) && n.expression.text === 'connections') ||
        (ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'connections')),
  ).map((n) => (n as ts.PropertyAccessExpression).name.text);
}

/** Which connection each stage session role opens: `OPENERS` of core/pipeline/session-pool.ts. */
function roleConnections(known: readonly string[]): Record<string, string> {
  const file = sourceOf('core/pipeline/session-pool.ts');
  const [openers] = find(
    file,
    (n) => ts.isVariableDeclaration(n) && n.name.getText() === 'OPENERS',
  ) as ts.VariableDeclaration[];
  if (!openers?.initializer || !ts.isObjectLiteralExpression(openers.initializer))
    throw new Error('core/pipeline/session-pool.ts: OPENERS not found');
  return Object.fromEntries(
    openers.initializer.properties.map((p) => {
      const [first] = connectionNames(p, known);
      if (!first) throw new Error(`OPENERS.${p.name?.getText()}: opens no connection`);
      return [p.name?.getText(), first];
    }),
  );
}

/**
 * The connections (`connections.<name>` of pipeline.yml) a handler factory opens: those its body
 * names, and, when it opens the sessions of a stage (`stage.roles`), those of the roles of each
 * stage it runs.
 */
export function connectionsOpened(
  factory: HandlerFactory,
  stages: readonly StageName[],
  config: PipelineConfig,
): string[] {
  const known = Object.keys(config.connections);
  const source = FACTORY_SOURCES[factory];
  const [body] = find(
    sourceOf(source),
    (n) => ts.isFunctionDeclaration(n) && n.name?.text === factory,
  );
  if (!body) throw new Error(`${source}: ${factory} not found`);
  const names = new Set(connectionNames(body, known));
  const usesRoles = find(body, (n) => ts.isPropertyAccessExpression(n) && n.name.text === 'roles');
  if (usesRoles.length > 0) {
    if (stages.length === 0) throw new Error(`${factory} runs a stage, but no state names one`);
    const byRole = roleConnections(known);
    const registry = createStageRegistry(config);
    for (const stage of stages)
      for (const role of registry[stage].roles) {
        const connection = byRole[role];
        if (!connection) throw new Error(`session role ${role}: no connection opens it`);
        names.add(connection);
      }
  }
  if (names.size === 0) throw new Error(`${factory}: no connection found in its source`);
  return [...names].sort();
}

/** The environment variables an adapter reads (`process.env.NAME`). */
export function environmentRead(adapter: string): string[] {
  return find(
    sourceOf(adapter),
    (n) =>
      ts.isPropertyAccessExpression(n) &&
      ts.isPropertyAccessExpression(n.expression) &&
      n.expression.getText() === 'process.env',
  ).map((n) => (n as ts.PropertyAccessExpression).name.text);
}

/**
 * The secret ids the runtime reads when a handler starts with `env` (the configuration the
 * adapters build with contextFromEnvironment), recorded by a reader that answers each with a
 * well-formed secret. Nothing is opened: only the configuration is built.
 */
export async function secretsReadAtStart(env: Record<string, string>): Promise<string[]> {
  const read: string[] = [];
  await contextFromEnvironment(env, async (secretId) => {
    read.push(secretId);
    return { host: '127.0.0.1', port: 1, username: 'simulated', password: 'simulated' };
  }).config();
  return read;
}
