import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { isGroup, type RunPlan, tablesOfItems } from '../../contract/stage';
import { type NominalRun, nominalRun } from '../../infra/limits/execution-history';
import { synthesizeDefinition } from '../../infra/local/definition';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';
import { createOpenDentalDatabase, realClinicPlan } from './limits/realistic-plan';

/**
 * What batching the tiny tables saves a night of the real clinic (422 tables, the repository's
 * pipeline.yml): Step Functions state transitions (what a Standard execution is billed by) and
 * history events, the run's own and its child executions', counted from the deployed definition
 * for a night in which nothing fails (docs/benchmarks.md, Batching tiny tables).
 */
const database = testDatabaseName('batching');
let config: LoadedConfig;
let grouped: RunPlan;
let ungrouped: RunPlan;

beforeAll(async () => {
  config = loadConfig({ env: {} });
  await createOpenDentalDatabase(database);
  grouped = await realClinicPlan(config, database);
  ungrouped = await realClinicPlan(config, database, {}, false);
});

afterAll(async () => {
  const admin = await adminMysql();
  await dropMysqlDatabases(admin, database);
  await admin.close();
});

const night = (r: NominalRun) => ({
  items: r.children,
  transitions: r.transitions + r.childTransitions,
  events: r.events + r.childEvents,
});

describe('batching tiny tables', () => {
  it('runs the real clinic’s 422 tables as far fewer Map items, each group within its caps', () => {
    const { runners } = config.pipeline;
    const byName = (a: { table: string }, b: { table: string }) => a.table.localeCompare(b.table);
    expect(tablesOfItems(grouped.tables).sort(byName)).toEqual(
      tablesOfItems(ungrouped.tables).sort(byName),
    );
    const groups = grouped.tables.filter(isGroup);
    console.info(
      `${ungrouped.tables.length} tables: ${grouped.tables.length} items, ${groups.length} groups of ${groups.map((g) => g.tables.length).join('/')} tables`,
    );
    expect(grouped.tables.length).toBeLessThan(100);
    for (const g of groups) expect(g.tables.length).toBeLessThanOrEqual(runners.group_max_tables);
  });

  it('cuts a night’s transitions and history events to under half', () => {
    const definition = synthesizeDefinition(config);
    const before = night(nominalRun(definition, ungrouped.tables));
    const after = night(nominalRun(definition, grouped.tables));
    console.info(
      `a night without failures, before batching: ${JSON.stringify(before)}, after: ${JSON.stringify(after)}`,
    );
    expect(before.items).toBe(422);
    expect(after.items).toBe(grouped.tables.length);
    expect(after.transitions).toBeLessThan(before.transitions / 2);
    expect(after.events).toBeLessThan(before.events / 2);
  });
});
