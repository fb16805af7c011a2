import type { LoadedConfig } from '../../../config/load-config';
import { type PipelineConfig, type TablesConfig, TablesConfigSchema } from '../../../config/schema';
import {
  isGroup,
  type PlanItem,
  type PlannedTable,
  type RunInput,
  type RunPlan,
  tablesOfItems,
} from '../../../contract/stage';
import { openMysql } from '../../../core/db/mysql-adapter';
import { createTableStatements } from '../../../core/demo/seed-clinic';
import { odSchema, realClinicRowCounts } from '../../../core/opendental/reference';
import { groupSmallTables } from '../../../core/pipeline/group-tables';
import { planRun } from '../../../core/pipeline/plan-run';
import { chooseRunner } from '../../../core/pipeline/table-plan';
import { adminMysql, dropMysqlDatabases, LOCAL_MYSQL } from '../../helpers/local-databases';

/**
 * A MariaDB database with the 422 tables of the OpenDental schema (empty), and `extraTables` more
 * of a clinic's own (`custom_report_1`, …). Drop it with `dropMysqlDatabases`.
 */
export async function createOpenDentalDatabase(database: string, extraTables = 0): Promise<void> {
  const admin = await adminMysql();
  try {
    await dropMysqlDatabases(admin, database);
    await admin.execute(`CREATE DATABASE ${database} CHARACTER SET utf8`);
    await admin.execute(`USE ${database}`);
    await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
    for (const sql of createTableStatements()) await admin.execute(sql);
    for (let i = 1; i <= extraTables; i++) {
      await admin.execute(
        `CREATE TABLE custom_report_${i} (ReportNum bigint NOT NULL PRIMARY KEY, Body text)`,
      );
    }
  } finally {
    await admin.close();
  }
}

/**
 * The real clinic's plan as the Plan step emits it for `input` (a run by default): `planRun` over
 * `database` (see {@link createOpenDentalDatabase}; only its OpenDental tables are kept) with the
 * repository's pipeline.yml and tables.yml. The database is empty, so each table's `runner` (and a
 * dry run's `estimatedRows`) are then set as the Plan sets them from the real clinic's statistics,
 * and the tiny tables grouped by them (`grouped`: false, every table its own item, as before
 * groups).
 */
export async function realClinicPlan(
  config: LoadedConfig,
  database: string,
  input: RunInput = {},
  grouped = true,
): Promise<RunPlan> {
  const source = await openMysql({ ...LOCAL_MYSQL, database }, { label: 'source', readOnly: true });
  try {
    const plan = await planRun(
      source,
      sourcePipeline(config, database),
      config.tables,
      input,
      new Date('2025-03-01T06:00:00Z'),
    );
    const tables = tablesOfItems(plan.tables)
      .filter((t) => t.table in odSchema)
      .map((t) => withRealStatistics(t, config));
    // Grouped by the real clinic's sizes, as the Plan groups them (the database here is empty).
    return { ...plan, tables: grouped ? regroup(tables, config) : tables };
  } finally {
    await source.close();
  }
}

/** The repository's pipeline configuration with `database` as the source. */
export function sourcePipeline(config: LoadedConfig, database: string): PipelineConfig {
  const pipeline = structuredClone(config.pipeline);
  pipeline.connections.source = { ...pipeline.connections.source, ...LOCAL_MYSQL, database };
  return pipeline;
}

function withRealStatistics(table: PlannedTable, config: LoadedConfig): PlannedTable {
  const real = realClinicRowCounts.tables[table.table] ?? { rows: 0, size_mb: 0 };
  const statistics = { estimatedRows: real.rows, bytes: Math.round(real.size_mb * 1024 * 1024) };
  return {
    ...table,
    // Only a dry run's items say how large a table is.
    ...(table.estimatedRows === undefined ? {} : { estimatedRows: statistics.estimatedRows }),
    runner: config.tables[table.table]?.runner ?? chooseRunner(statistics, config.pipeline.runners),
  };
}

/** A table's rows in the real clinic (a copy `patient_2` as `patient`'s). */
export function realRows(table: string): number {
  return realClinicRowCounts.tables[table.replace(/_\d+$/, '')]?.rows ?? 0;
}

/** The tables as the Plan hands them to the Map: the tiny ones in groups, by the real sizes. */
export function regroup(tables: readonly PlannedTable[], config: LoadedConfig): PlanItem[] {
  return groupSmallTables(
    tables.map((item) => ({ item, estimatedRows: realRows(item.table) })),
    config.pipeline.runners,
  );
}

/**
 * A plan of `count` tables (room for several clinics): the real clinic's tables again and again,
 * each copy's names suffixed as a second clinic's would be (`patient_2`), everything else alike
 * (a dry run's priorities renumbered), grouped as the Plan groups them when `plan` was.
 */
export function scaledPlan(plan: RunPlan, count: number, config: LoadedConfig): RunPlan {
  const all = tablesOfItems(plan.tables);
  const n = all.length;
  const tables = Array.from({ length: count }, (_, i) => {
    const t = all[i % n] as PlannedTable;
    const copy = Math.floor(i / n);
    if (copy === 0) return t;
    // Only a dry run's items have a priority.
    return {
      ...t,
      table: `${t.table}_${copy + 1}`,
      ...(t.priority === undefined ? {} : { priority: i + 1 }),
    };
  });
  const grouped = plan.tables.some(isGroup);
  return { ...plan, tables: grouped ? regroup(tables, config) : tables };
}

/**
 * A tables.yml a clinic could grow into: overrides for `count` of the real clinic's tables, largest
 * first: the big ones tuned (priority, batch size, Fargate), temporary tables excluded, the rest
 * given a priority or a strategy.
 */
export function largeTablesConfig(count: number): TablesConfig['tables'] {
  const names = Object.entries(realClinicRowCounts.tables)
    .filter(([name]) => name in odSchema)
    .sort((a, b) => b[1].rows - a[1].rows)
    .slice(0, count);
  const overrides = names.map(([name, real], i) => {
    if (/^(tmp|temp)/.test(name)) return [name, { exclude: true }];
    if (real.rows >= 200_000)
      return [name, { priority: i + 1, batch_size: 20_000, runner: 'fargate' }];
    return [name, i % 3 === 0 ? { strategy: 'reconcile' } : { priority: 100 + i }];
  });
  return TablesConfigSchema.parse({ tables: Object.fromEntries(overrides) }).tables;
}

/** UTF-8 bytes of a value as Step Functions measures a state's input or output. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
