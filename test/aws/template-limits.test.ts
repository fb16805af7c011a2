import aslValidator from 'asl-validator';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabasesSchema } from '../../config/databases-schema';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { PipelineConfigSchema } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import {
  type GroupOutcome,
  isGroup,
  type RunPlan,
  type RunSummary,
  type TableOutcome,
  tableOutcomes,
  tablesOfItems,
} from '../../contract/stage';
import { odSchema } from '../../core/opendental/reference';
import { buildApp } from '../../infra/build-app';
import { STATE } from '../../infra/constructs/state-names';
import { ENVIRONMENT_LIMIT_BYTES, environmentBytes } from '../../infra/limits/environment-size';
import { HISTORY_EVENT_LIMIT, worstCaseHistory } from '../../infra/limits/execution-history';
import { assertHistoryWithinLimit } from '../../infra/limits/history-limit';
import {
  type AslDefinition,
  definitionOf,
  resolveIntrinsics,
} from '../../infra/limits/resolve-definition';
import { allStates, synthesizeDefinition } from '../../infra/local/definition';
import type { PipelineStack } from '../../infra/pipeline-stack';
import { logicalIdOf } from '../helpers/bare-stack';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';
import { tableProcessor, withInlineMap, withMaxAttempts } from './limits/definition-variants';
import { type FunctionRoles, measurePayloads } from './limits/payload-run';
import {
  createOpenDentalDatabase,
  largeTablesConfig,
  realClinicPlan,
  scaledPlan,
} from './limits/realistic-plan';

/** asl-validator ships no types: its default export, as documented. */
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: () => string };
const validate = aslValidator as unknown as AslValidator;

/** Step Functions' limit on a state's input or output (and an execution's), UTF-8. */
const PAYLOAD_LIMIT_BYTES = 256 * 1024;
/** The tables of the OpenDental schema (24.3): the real clinic's nightly run. */
const OPENDENTAL_TABLES = 422;
/** Several clinics' tables in one run. */
const MANY_ITEMS = 2000;

const database = testDatabaseName('limits');
let config: LoadedConfig;
let stack: PipelineStack;
let definition: AslDefinition;
let plan: RunPlan;
let dryPlan: RunPlan;

/** The stack at `maxRetries`; with `checked`, as `cdk synth` builds it (refusing what cannot work). */
function build(maxRetries: number, checked = false): PipelineStack {
  const c = structuredClone(config);
  c.pipeline.general.max_retries = maxRetries;
  const options = { config: c, bundle: false, validateTemplates: false, checkAwsLimits: checked };
  return buildApp(options).stack;
}
const definitionAt = (maxRetries: number) => {
  const s = build(maxRetries);
  return definitionOf(s, s.pipeline.stateMachine);
};

beforeAll(async () => {
  // The repository's config/pipeline.yml and config/tables.yml, as `cdk synth` reads them; built
  // unchecked, so that each test below fails by its own measure.
  config = loadConfig({ env: {} });
  stack = build(config.pipeline.general.max_retries);
  definition = definitionOf(stack, stack.pipeline.stateMachine);
  // 40 tables of the clinic's own beyond OpenDental's schema: the Plan keeps only the latter here.
  await createOpenDentalDatabase(database, 40);
  plan = await realClinicPlan(config, database);
  dryPlan = await realClinicPlan(config, database, { dryRun: true });
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

describe('every runner’s environment fits Lambda’s 4 KB', () => {
  it('for the repository’s pipeline.yml and tables.yml: each function and the container', () => {
    const environments = templateEnvironments(stack).filter(([, v]) => 'PIPELINE_CONFIG' in v);
    expect(environments.length).toBeGreaterThanOrEqual(4); // plan, stage, summarize, container
    for (const [id, variables] of environments) {
      expect(environmentBytes(variables), id).toBeLessThanOrEqual(ENVIRONMENT_LIMIT_BYTES);
    }
  });

  it('with the replica and analytics databases provisioned (their generated secrets’ ARNs)', () => {
    const c = structuredClone(config);
    c.pipeline.aws.databases = DatabasesSchema.parse({ replica: {}, analytics: {} });
    for (const name of ['replication', 'analytics'] as const) {
      delete c.pipeline.connections[name].secret_id;
      c.pipeline.connections[name].tls = true;
    }
    const s = buildApp({ config: c, bundle: false, validateTemplates: false }).stack;
    const environments = templateEnvironments(s).filter(([, v]) => 'PIPELINE_CONFIG' in v);
    expect(environments.map(([, v]) => v.PIPELINE_CONFIG).join()).toMatch(
      /:secret:DatabasesReplicaInstanceSecretAttachment\w+-/,
    );
    for (const [id, variables] of environments)
      expect(environmentBytes(variables), id).toBeLessThanOrEqual(ENVIRONMENT_LIMIT_BYTES);
  });

  it('refuses at synth a tables.yml of a few hundred overrides, naming what is too large', () => {
    const large = { ...config, tables: largeTablesConfig(300) };
    expect(Object.keys(large.tables)).toHaveLength(300);
    const checked = () => buildApp({ config: large, bundle: false, validateTemplates: false });
    expect(checked).toThrow(ConfigError);
    expect(checked).toThrow(/PlanFunction\/Resource: \d+ bytes \(TABLES_CONFIG \d+ bytes/);
  });
});

describe('no execution’s worst-case history reaches 25,000 events', () => {
  it('is counted on the definition the stack deploys and the local runner runs', () => {
    expect(definition).toEqual(synthesizeDefinition(config));
  });

  it('for the real clinic’s 422 tables at the configured max_retries: the run and each table', () => {
    expect(Object.keys(odSchema)).toHaveLength(OPENDENTAL_TABLES);
    expect(tablesOfItems(plan.tables)).toHaveLength(OPENDENTAL_TABLES);
    expect(new Set(plan.tables.map((t) => t.runner))).toEqual(new Set(['lambda', 'fargate']));
    expect(plan.tables.filter(isGroup).length).toBeGreaterThan(0);
    const count = worstCaseHistory(definition, plan.tables);
    console.info(`worst-case history, real clinic: ${JSON.stringify(count)}`);
    expect(count.events).toBeLessThan(HISTORY_EVENT_LIMIT);
    // Each table's events are its own child execution's, and that one is under the limit too.
    expect(count.childEvents).toBeGreaterThan(0);
    expect(count.childEvents).toBeLessThan(HISTORY_EVENT_LIMIT);
    expect(count.events).toBe(worstCaseHistory(definition, []).events);
  });

  it('stays so at max_retries 10 and at 2,000 items, the run’s own count whatever its tables', () => {
    const at10 = definitionAt(10);
    for (const [retries, d] of [
      [config.pipeline.general.max_retries, definition],
      [10, at10],
    ] as const) {
      const counts = [0, 1, OPENDENTAL_TABLES, MANY_ITEMS].map((n) =>
        worstCaseHistory(d, scaledPlan(plan, n, config).tables),
      );
      console.info(`max_retries ${retries}, 0/1/422/2000 items: ${JSON.stringify(counts)}`);
      expect(new Set(counts.map((c) => c.events)).size, `${retries}`).toBe(1);
      for (const { events, childEvents } of counts) {
        expect(events, `${retries}`).toBeLessThan(HISTORY_EVENT_LIMIT);
        expect(childEvents, `${retries}`).toBeLessThan(HISTORY_EVENT_LIMIT);
      }
    }
  });

  it('cdk synth accepts every max_retries pipeline.yml allows (0 to 10)', () => {
    const general = PipelineConfigSchema.shape.general;
    expect(general.parse({ max_retries: 10 }).max_retries).toBe(10);
    expect(() => general.parse({ max_retries: 11 })).toThrow();
    for (let retries = 0; retries <= 10; retries++) {
      expect(() => build(retries, true), `${retries}`).not.toThrow();
    }
  });

  it('refuses at synth a state machine whose run grows with its tables (the Map inline)', () => {
    for (const retries of [0, config.pipeline.general.max_retries]) {
      const inline = withInlineMap(definitionAt(retries));
      expect(validate(inline).errorsText()).toBe('');
      // Every table its own item (as without groups): 422 items.
      const count = worstCaseHistory(inline, tablesOfItems(plan.tables));
      console.info(`inline Map, max_retries ${retries}, real clinic: ${JSON.stringify(count)}`);
      // Even where 422 tables would fit (max_retries 0), a run may have more: nothing bounds them.
      expect(count.events > HISTORY_EVENT_LIMIT).toBe(retries > 0);
      expect(() => assertHistoryWithinLimit(inline, retries)).toThrow(
        /writes each table's states into the run's own history \(\d+ per lambda table, \d+ per fargate/,
      );
    }
  });

  it('refuses at synth a child execution, or the run’s own, that could pass it', () => {
    const retries = config.pipeline.general.max_retries;
    expect(() => assertHistoryWithinLimit(definition, retries)).not.toThrow();
    // Retries far beyond the schema's 10: a later edit to the retries, say.
    const tableStates = new Set(allStates(tableProcessor(definition)).map(([name]) => name));
    const child = withMaxAttempts(definition, 100, tableStates);
    expect(() => assertHistoryWithinLimit(child, retries)).toThrow(ConfigError);
    expect(() => assertHistoryWithinLimit(child, retries)).toThrow(
      /a table on fargate, in its child execution, may write \d+ .* over the limit of 25000/,
    );
    const run = withMaxAttempts(definition, 10_000, new Set([STATE.plan]));
    expect(() => assertHistoryWithinLimit(run, retries)).toThrow(
      /a run's own execution may write \d+ Step Functions history events, over the limit of 25000/,
    );
  });
});

describe('every state’s input, output and task parameters fit 256 KB', () => {
  const roles = (): FunctionRoles => ({
    [logicalIdOf(stack.runners.planFunction)]: 'plan',
    [logicalIdOf(stack.runners.stageFunction)]: 'stage',
    [logicalIdOf(stack.runners.summarizeFunction)]: 'summarize',
  });
  const measured = new Set<string>();
  const within = (sizes: Map<string, { input: number; output: number; parameters: number }>) => {
    for (const [name, s] of sizes) {
      measured.add(name);
      expect(Math.max(s.input, s.output, s.parameters), name).toBeLessThanOrEqual(
        PAYLOAD_LIMIT_BYTES,
      );
    }
  };

  for (const items of [OPENDENTAL_TABLES, MANY_ITEMS]) {
    for (const outcome of ['succeeded', 'failed'] as const) {
      it(`at ${items} items, every table ${outcome}`, async () => {
        const run = scaledPlan(plan, items, config);
        const { sizes, outputs } = await measurePayloads(definition, roles(), run, outcome);
        const boundaries = [STATE.plan, STATE.map, STATE.summarize, STATE.notifySummary];
        const at = boundaries.map((name) => [name, sizes.get(name)]);
        console.info(`${items} items, ${outcome}: ${JSON.stringify(at)}`);
        within(sizes);
        // The Map hands on the outcomes in the items' place, one per item: never both.
        const mapped = outputs.get(STATE.map) as { tables: (TableOutcome | GroupOutcome)[] };
        expect(mapped.tables).toHaveLength(run.tables.length);
        const outcomes = tableOutcomes(mapped.tables);
        expect(outcomes.map((t) => t.table).sort()).toEqual(
          tablesOfItems(run.tables)
            .map((t) => t.table)
            .sort(),
        );
        expect(new Set(outcomes.map((t) => t.status))).toEqual(new Set([outcome]));
        expect(mapped.tables.filter((t) => 'runner' in t || 'tables' in t)).toEqual([]);
        expect(sizes.get(STATE.map)?.output).toBeLessThan(sizes.get(STATE.map)?.input ?? 0);
        // Summarize hands on only the summary.
        const { summary, ...rest } = outputs.get(STATE.summarize) as { summary: RunSummary };
        expect(rest).toEqual({});
        expect(summary.tablesTotal).toBe(items);
        expect(summary.tablesFailed).toBe(outcome === 'failed' ? items : 0);
      });
    }
  }

  // Not at 2,000 items: a dry run's items also say why, and its Plan output is then 389 KB
  // (docs/deploy.md, Limits).
  it('a dry run’s plan, which also says why, at the real clinic’s 422 tables', async () => {
    const dryTables = tablesOfItems(dryPlan.tables);
    expect(dryTables).toHaveLength(OPENDENTAL_TABLES);
    expect(dryTables.every((t) => t.strategyReason && t.estimatedRows !== undefined)).toBe(true);
    const { sizes } = await measurePayloads(definition, roles(), dryPlan, 'succeeded');
    console.info(`dry run, 422 tables: Plan ${JSON.stringify(sizes.get(STATE.plan))}`);
    expect(sizes.has(STATE.planOnly)).toBe(true);
    within(sizes);
  });

  // Needs the runs above (it runs after them, in file order).
  it('every state of the definition was measured by the runs above', () => {
    expect([...measured].sort()).toEqual(
      allStates(definition)
        .map(([name]) => name)
        .sort(),
    );
  });
});

describe('the state machine definition', () => {
  it('passes asl-validator', () => {
    const { isValid, errorsText } = validate(definition);
    expect(errorsText()).toBe('');
    expect(isValid).toBe(true);
  });
});
