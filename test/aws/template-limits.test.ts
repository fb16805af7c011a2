import aslValidator from 'asl-validator';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import type { RunPlan } from '../../contract/stage';
import { memoryLogger } from '../../core/logging/logger';
import { odSchema } from '../../core/opendental/reference';
import {
  assertWithinHistoryBudget,
  contextFromEnvironment,
  createPlanHandler,
  HISTORY_BUDGET_VARIABLE,
  type HistoryBudget,
} from '../../core/runtime';
import { buildApp } from '../../infra/build-app';
import { ENVIRONMENT_LIMIT_BYTES, environmentBytes } from '../../infra/limits/environment-size';
import { HISTORY_EVENT_LIMIT, worstCaseHistory } from '../../infra/limits/execution-history';
import { OPENDENTAL_TABLE_COUNT } from '../../infra/limits/history-budget';
import {
  type AslDefinition,
  definitionOf,
  resolveIntrinsics,
} from '../../infra/limits/resolve-definition';
import { synthesizeDefinition } from '../../infra/local/definition';
import type { PipelineStack } from '../../infra/pipeline-stack';
import { logicalIdOf } from '../helpers/bare-stack';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';
import { type FunctionRoles, measurePayloads } from './limits/payload-run';
import {
  createOpenDentalDatabase,
  largeTablesConfig,
  realClinicPlan,
  scaledPlan,
  sourcePipeline,
} from './limits/realistic-plan';

/** asl-validator ships no types: its default export, as documented. */
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: () => string };

/** Step Functions' limit on a state's input or output (and an execution's), UTF-8. */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;
/** Tables a clinic added to its database beyond OpenDental's schema (the Plan discovers them). */
const CUSTOM_TABLES = 40;

const database = testDatabaseName('limits');
let config: LoadedConfig;
let stack: PipelineStack;
let definition: AslDefinition;
let plan: RunPlan;
let budget: HistoryBudget;

beforeAll(async () => {
  // The repository's config/pipeline.yml and config/tables.yml, as `cdk synth` reads them.
  config = loadConfig({ env: {} });
  ({ stack } = buildApp({ config, bundle: false, validateTemplates: false }));
  definition = definitionOf(stack, stack.pipeline.stateMachine);
  await createOpenDentalDatabase(database, CUSTOM_TABLES);
  plan = await realClinicPlan(config, database);
  budget = deployedBudget(stack);
});

afterAll(async () => {
  const admin = await adminMysql();
  await dropMysqlDatabases(admin, database);
  await admin.close();
});

/** Each Lambda function's and container's environment in the synthesized template. */
function templateEnvironments(s: PipelineStack): [string, Record<string, string>][] {
  const resources = Template.fromStack(s).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const text = (v: unknown) => resolveIntrinsics(v, resources, s.region);
  return Object.entries(resources).flatMap(([id, r]): [string, Record<string, string>][] => {
    if (r.Type === 'AWS::Lambda::Function') {
      const vars = (r.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables;
      return [[id, Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, text(v)]))]];
    }
    if (r.Type !== 'AWS::ECS::TaskDefinition') return [];
    const containers = r.Properties.ContainerDefinitions as {
      Name: string;
      Environment?: { Name: string; Value: unknown }[];
    }[];
    return containers.map((c) => [
      `${id}/${c.Name}`,
      Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, text(e.Value)])),
    ]);
  });
}

/** The history budget the Plan function reads from the environment the template gives it. */
function deployedBudget(s: PipelineStack): HistoryBudget {
  const [, env] =
    templateEnvironments(s).find(([id]) => id === logicalIdOf(s.runners.planFunction)) ?? [];
  expect(env?.[HISTORY_BUDGET_VARIABLE]).toBeDefined();
  const budget = contextFromEnvironment(env ?? {}, async () => ({})).historyBudget();
  if (!budget) throw new Error('the Plan function has no history budget');
  return budget;
}

describe('every runner’s environment fits Lambda’s 4 KB', () => {
  it('for the repository’s pipeline.yml and tables.yml: each function and the container', () => {
    const environments = templateEnvironments(stack).filter(([, v]) => 'PIPELINE_CONFIG' in v);
    expect(environments.length).toBeGreaterThanOrEqual(4); // plan, stage, summarize, container
    for (const [id, variables] of environments) {
      expect(environmentBytes(variables), id).toBeLessThanOrEqual(ENVIRONMENT_LIMIT_BYTES);
    }
  });

  it('refuses at synth a tables.yml of a few hundred overrides, naming what is too large', () => {
    const large = { ...config, tables: largeTablesConfig(300) };
    expect(Object.keys(large.tables)).toHaveLength(300);
    const build = () => buildApp({ config: large, bundle: false, validateTemplates: false });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/PlanFunction\/Resource: \d+ bytes \(TABLES_CONFIG \d+ bytes/);
  });
});

describe('the worst-case execution history stays under 25,000 events', () => {
  it('is counted on the definition the stack deploys and the local runner runs', () => {
    expect(definition).toEqual(synthesizeDefinition(config));
    expect(budget.maxRetries).toBe(config.pipeline.general.max_retries);
  });

  it('for the real clinic’s 422 tables at the configured max_retries, on their runners', () => {
    expect(plan.tables).toHaveLength(OPENDENTAL_TABLE_COUNT);
    expect(Object.keys(odSchema)).toHaveLength(OPENDENTAL_TABLE_COUNT);
    expect(plan.tables.some((t) => t.runner === 'fargate')).toBe(true);
    const { events } = worstCaseHistory(definition, plan.tables);
    console.info(`worst-case history, real clinic: ${events} events`);
    expect(events).toBeLessThan(HISTORY_EVENT_LIMIT);
    // The Plan's own sum over its tables is the counter's.
    const planSum = plan.tables.reduce((n, t) => n + budget.perTable[t.runner], budget.fixed);
    expect(planSum).toBe(events);
    expect(() => assertWithinHistoryBudget(plan, budget)).not.toThrow();
  });

  it('refuses at synth a max_retries whose run of the OpenDental tables could pass it', () => {
    const withRetries = (maxRetries: number, checkAwsLimits = true) => {
      const c = structuredClone(config);
      c.pipeline.general.max_retries = maxRetries;
      return buildApp({ config: c, bundle: false, validateTemplates: false, checkAwsLimits });
    };
    for (const maxRetries of [0, 3, 4, 10]) {
      const { stack: unchecked } = withRetries(maxRetries, false);
      // Even with every table on its cheapest runner (Lambda).
      const cheapest = plan.tables.map((t) => ({ ...t, runner: 'lambda' as const }));
      const atLeast = worstCaseHistory(
        definitionOf(unchecked, unchecked.pipeline.stateMachine),
        cheapest,
      );
      const refused = atLeast.events > HISTORY_EVENT_LIMIT;
      if (refused) expect(() => withRetries(maxRetries), `${maxRetries}`).toThrow(ConfigError);
      else expect(() => withRetries(maxRetries), `${maxRetries}`).not.toThrow();
    }
    expect(() => withRetries(10)).toThrow(/general.max_retries 10: .* over the limit of 25000/);
  });

  it('would hold any number of tables with a distributed Map (the proposed fix), even at max_retries 10', () => {
    const c = structuredClone(config);
    c.pipeline.general.max_retries = 10;
    const { stack: s } = buildApp({
      config: c,
      bundle: false,
      validateTemplates: false,
      checkAwsLimits: false,
    });
    const distributed = definitionOf(s, s.pipeline.stateMachine);
    const maps = Object.values(distributed.States).filter((st) => st.Type === 'Map');
    expect(maps).toHaveLength(1);
    for (const map of maps) {
      const processor = map.ItemProcessor as Record<string, unknown>;
      processor.ProcessorConfig = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };
    }
    expect((aslValidator as unknown as AslValidator)(distributed).errorsText()).toBe('');
    const at = (n: number) => worstCaseHistory(distributed, scaledPlan(plan, n).tables);
    expect(at(2000).events).toBe(at(422).events);
    expect(at(2000).childEvents).toBeLessThan(HISTORY_EVENT_LIMIT / 100);
    console.info(`distributed Map at max_retries 10: ${JSON.stringify(at(2000))}`);
  });

  it('the Plan refuses a run with more tables than fit, before it claims the run lock', async () => {
    const pipeline = sourcePipeline(config, database);
    // Not a database: had the Plan gone on to claim the run, it would fail differently.
    pipeline.connections.analytics.database = `${database}_never_created`;
    const handler = createPlanHandler({
      config: async () => pipeline,
      overrides: async () => config.tables,
      logger: memoryLogger(),
      historyBudget: () => budget,
    });
    const tables = OPENDENTAL_TABLE_COUNT + CUSTOM_TABLES;
    await expect(handler({})).rejects.toThrow(
      new RegExp(`^.*this run has ${tables} tables; .* over the limit of 25000`),
    );
    await expect(handler({})).rejects.toBeInstanceOf(ConfigError);
    // A dry run runs no table: it is planned as before.
    const dry = (await handler({ dryRun: true })) as RunPlan;
    expect(dry.tables).toHaveLength(tables);
  });
});

describe('the Map’s input and output fit 256 KB', () => {
  const roles = (): FunctionRoles => ({
    [logicalIdOf(stack.runners.planFunction)]: 'plan',
    [logicalIdOf(stack.runners.stageFunction)]: 'stage',
    [logicalIdOf(stack.runners.summarizeFunction)]: 'summarize',
  });
  const largest = async (p: RunPlan, outcome: 'succeeded' | 'failed') => {
    const sizes = await measurePayloads(definition, roles(), p, outcome);
    // The boundaries that carry the tables: Plan's output, the Map's input and output,
    // Summarize's input and its Lambda payload.
    expect(sizes.get('Plan')?.output).toBeGreaterThan(0);
    expect(sizes.get('Tables')?.output).toBeGreaterThan(sizes.get('Tables')?.input ?? 0);
    expect(sizes.get('Summarize')?.parameters).toBeGreaterThan(0);
    return [...sizes].map(
      ([name, s]) => [name, Math.max(s.input, s.output, s.parameters)] as const,
    );
  };

  for (const outcome of ['succeeded', 'failed'] as const) {
    it(`at the real clinic’s 422 tables, every table ${outcome}`, async () => {
      for (const [name, bytes] of await largest(plan, outcome)) {
        expect(bytes, name).toBeLessThanOrEqual(PAYLOAD_LIMIT_BYTES);
      }
    });
  }

  let overAt2000: (readonly [string, number])[] = [];
  it('measures 2,000 items (several clinics), every table failed', async () => {
    const sizes = await largest(scaledPlan(plan, 2000), 'failed');
    overAt2000 = sizes.filter(([, bytes]) => bytes > PAYLOAD_LIMIT_BYTES);
    console.info(`over 256 KB at 2,000 items: ${JSON.stringify(overAt2000)}`);
  });

  // Not yet: the inline Map carries the whole plan and every result (docs/deploy.md, Limits).
  // When it fits, this fails: make it an ordinary test.
  it.fails('fits 2,000 items (several clinics)', () => {
    expect(overAt2000).toEqual([]);
  });

  it('a 2,000-item run is refused at Plan, by the history limit, before its payloads fail it', () => {
    expect(() => assertWithinHistoryBudget(scaledPlan(plan, 2000), budget)).toThrow(
      /this run has 2000 tables/,
    );
  });
});

describe('the state machine definition', () => {
  it('passes asl-validator', () => {
    const { isValid, errorsText } = (aslValidator as unknown as AslValidator)(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });
});
