import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quoteMysql } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { odSchema } from '../../core/opendental/reference';
import { stageDependencies } from '../../core/pipeline/stage-registry';
import { dbtSources } from '../../core/transform/dbt-sources';
import { type TransformResult, transformTable } from '../../core/transform/transform-table';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

const TABLES = Object.keys(odSchema);
let fx: PipelineFixture;
const results: TransformResult[] = [];
const transform = (table: string, runId: string, mode: 'incremental' | 'full' = 'incremental') =>
  transformTable(stageDependencies.transform(fx.config, fx.loadDeps, memoryLogger()), {
    runId,
    table,
    mode,
  });

beforeAll(async () => {
  fx = await createPipelineFixture('tf');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 31, database: fx.names.source });
  const src = (t: string) => `${quoteMysql(fx.names.source)}.${quoteMysql(t)}`;
  // Old data: a boolean stored as 2, an enum code OpenDental does not list, a custom table.
  await fx.admin.execute(
    `UPDATE ${src('patient')} SET Premed = 2, PatStatus = 99, Birthdate = '0001-01-01' WHERE PatNum = 1`,
  );
  await fx.admin.execute(
    `UPDATE ${src('patient')} SET Premed = 0, Birthdate = '1980-07-04' WHERE PatNum = 2`,
  );
  await fx.admin.execute(
    `CREATE TABLE ${src('clinic_custom_kpi')} (KpiNum BIGINT PRIMARY KEY, KpiName VARCHAR(50), IsActive TINYINT, StartDate DATE) ENGINE=MyISAM`,
  );
  await fx.admin.execute(
    `INSERT INTO ${src('clinic_custom_kpi')} VALUES (1, 'Chair time', 1, '0001-01-01'), (2, 'Recall rate', 2, '2024-01-01')`,
  );
  await fx.reopen();
  for (const table of [...TABLES, 'clinic_custom_kpi']) await fx.extract(table, 'r1');
  for (const table of [...TABLES, 'clinic_custom_kpi']) await fx.load(table, 'r1');
  for (const table of [...TABLES, 'clinic_custom_kpi']) results.push(await transform(table, 'r1'));
}, 900_000);

afterAll(async () => {
  await fx?.close();
});

describe('transform of the small demo clinic', () => {
  it('gives every raw table its public twin', () => {
    expect(results).toHaveLength(423);
    expect(
      results.every((r) => r.mode === 'full' && r.fullReason === 'first transform of this table'),
    ).toBe(true);
  });

  it('applies the documented conversions, column by column (booleans, no-dates, ticks, labels, names)', async () => {
    expect(
      await comparePublicWithRaw(fx.loadDeps.analytics, [...TABLES, 'clinic_custom_kpi']),
    ).toEqual([]);
  });

  it('reads booleans as OpenDental does, labels unknown enum codes NULL, and turns only 0001-01-01 into NULL', async () => {
    const rows = await fx.loadDeps.analytics.query<Record<string, string | boolean | null>>(
      `SELECT pat_num::text, premed, pat_status::text, pat_status_label, birthdate::text FROM public.patient WHERE pat_num IN (1, 2) ORDER BY pat_num`,
    );
    expect(rows).toEqual([
      { pat_num: '1', premed: true, pat_status: '99', pat_status_label: null, birthdate: null },
      {
        pat_num: '2',
        premed: false,
        pat_status: '0',
        pat_status_label: 'Patient',
        birthdate: '1980-07-04',
      },
    ]);
  });

  it('passes a table OpenDental does not know through with faithful types and snake_case names', async () => {
    const rows = await fx.loadDeps.analytics.query<Record<string, string | null>>(
      `SELECT kpi_num::text, kpi_name, is_active::text, start_date::text FROM public.clinic_custom_kpi ORDER BY kpi_num`,
    );
    expect(rows).toEqual([
      { kpi_num: '1', kpi_name: 'Chair time', is_active: '1', start_date: '0001-01-01' },
      { kpi_num: '2', kpi_name: 'Recall rate', is_active: '2', start_date: '2024-01-01' },
    ]);
  });

  it('keeps the key, indexes the *_num references and documents every column', async () => {
    const pg = fx.loadDeps.analytics;
    const [pk] = await pg.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'public.procedurelog'::regclass AND contype = 'p'`,
    );
    expect(pk?.def).toBe('PRIMARY KEY (proc_num)');
    const indexes = await pg.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'procedurelog'`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual(
      expect.arrayContaining([
        'procedurelog_pat_num_idx',
        'procedurelog_apt_num_idx',
        'procedurelog_code_num_idx',
      ]),
    );
    const [undocumented] = await pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL
          AND c.relname NOT LIKE 'opendental\\_enum%'`,
    );
    expect(undocumented?.n).toBe('0');
    const [lookup] = await pg.query<{ label: string }>(
      `SELECT label FROM public.opendental_enum_values WHERE enum_name = 'ProcStat' AND code = '2'`,
    );
    expect(lookup?.label).toBe('C');
  });

  it('hands off to dbt: the sources file parses and lists every public table', async () => {
    const yaml = parse(await dbtSources(fx.loadDeps.analytics, 'public')) as {
      version: number;
      sources: {
        schema: string;
        loaded_at_field: string;
        tables: { name: string; columns: { name: string; description?: string }[] }[];
      }[];
    };
    expect(yaml.version).toBe(2);
    const source = yaml.sources[0];
    expect(source?.loaded_at_field).toBe('_etl_loaded_at');
    const names = source?.tables.map((t) => t.name) ?? [];
    for (const table of [...TABLES, 'clinic_custom_kpi', 'opendental_enum_values'])
      expect(names).toContain(table);
    const patient = source?.tables.find((t) => t.name === 'patient');
    expect(patient?.columns.find((c) => c.name === 'premed')?.description).toMatch(/boolean/);
  });
});
