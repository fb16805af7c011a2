import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import type { DiscoveredTable, SchemaDiscovery } from '../../core/discovery/discover-schema';
import { findChangeColumn } from '../../core/discovery/discover-schema';
import { CORE_TABLES } from '../../core/opendental/core-tables';
import { planTables, suggest } from '../../core/pipeline/table-plan';

const config = PipelineConfigSchema.parse({});

function table(name: string, extra: Partial<DiscoveredTable> = {}): DiscoveredTable {
  return {
    name,
    engine: 'MyISAM',
    collation: 'utf8mb3_general_ci',
    estimatedRows: 100,
    bytes: 10_000,
    columns: [],
    primaryKey: [`${name}Num`],
    indexes: [],
    changeColumn: null,
    ...extra,
  };
}

const discovery = (tables: DiscoveredTable[]): SchemaDiscovery => ({
  database: 'opendental_source',
  serverVersion: '10.11',
  tables,
});

describe('planTables', () => {
  it('puts the clinical and financial core first, in its order, then the rest largest first', () => {
    const plans = planTables(
      discovery([
        table('zipcode', { bytes: 5 }),
        table('sheetfield', { bytes: 900 }),
        table('paysplit'),
        table('alertitem', { bytes: 50_000 }),
        table('patient'),
        table('appointment'),
      ]),
      config,
      {},
    );
    expect(plans.map((p) => p.table)).toEqual([
      'patient',
      'appointment',
      'paysplit',
      'sheetfield',
      'alertitem',
      'zipcode',
    ]);
    expect(plans.map((p) => p.priority)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(CORE_TABLES.indexOf('patient')).toBe(0);
  });

  it('sends large tables to Fargate by rows or bytes, small ones to Lambda', () => {
    const plans = planTables(
      discovery([
        table('securitylog', { estimatedRows: 4_700_000 }),
        table('document', { bytes: 300 * 1024 * 1024 }),
        table('patient', { estimatedRows: 35_000 }),
      ]),
      config,
      {},
    );
    const runner = Object.fromEntries(plans.map((p) => [p.table, p.runner]));
    expect(runner).toEqual({ securitylog: 'fargate', document: 'fargate', patient: 'lambda' });
  });

  it('chooses a strategy from the schema and lets tables.yml override it', () => {
    const plans = planTables(
      discovery([
        table('patient', { changeColumn: 'DateTStamp' }),
        table('securitylog'),
        table('definition'),
        table('nokey', { primaryKey: [] }),
        table('claim', { changeColumn: 'SecDateTEdit' }),
      ]),
      config,
      { claim: { strategy: 'reconcile', runner: 'fargate', priority: 0, batch_size: 100 } },
    );
    const byName = Object.fromEntries(plans.map((p) => [p.table, p]));
    expect(byName.patient?.strategy).toBe('timestamp');
    expect(byName.patient?.changeColumn).toBe('DateTStamp');
    expect(byName.securitylog?.strategy).toBe('append');
    expect(byName.definition?.strategy).toBe('reconcile');
    expect(byName.nokey?.strategy).toBe('full');
    expect(byName.nokey?.strategyReason).toMatch(/no primary key/);
    expect(byName.claim).toMatchObject({
      strategy: 'reconcile',
      runner: 'fargate',
      batchSize: 100,
    });
    expect(plans[0]?.table).toBe('claim');
  });

  it('excludes tables marked exclude', () => {
    const plans = planTables(discovery([table('patient'), table('tmpdocument')]), config, {
      tmpdocument: { exclude: true },
    });
    expect(plans.map((p) => p.table)).toEqual(['patient']);
  });

  it('rejects overrides of unknown tables with a suggestion', () => {
    expect(() =>
      planTables(discovery([table('patient')]), config, { patients: { priority: 1 } }),
    ).toThrow(ConfigError);
    expect(() =>
      planTables(discovery([table('patient')]), config, { patients: { priority: 1 } }),
    ).toThrow(/unknown table "patients" \(did you mean "patient"\?\)/);
  });
});

describe('suggest', () => {
  const names = ['patient', 'procedurelog', 'procedurecode', 'appointment', 'paysplit'];
  it('suggests close names and stays silent for far ones', () => {
    expect(suggest('patients', names)).toBe(' (did you mean "patient"?)');
    expect(suggest('procedures', names)).toMatch(/procedure(log|code)/);
    expect(suggest('zzzzzz', names)).toBe('');
  });
});

describe('findChangeColumn', () => {
  const col = (name: string, dataType: string, extra = '') => ({
    name,
    ordinal: 1,
    columnType: dataType,
    dataType,
    nullable: false,
    default: null,
    extra,
    charset: null,
    collation: null,
  });
  it('prefers the auto-updating timestamp, then known names', () => {
    expect(
      findChangeColumn([
        col('A', 'datetime'),
        col('DateTimeEntry', 'timestamp', 'on update current_timestamp()'),
      ]),
    ).toBe('DateTimeEntry');
    expect(findChangeColumn([col('SecDateTEdit', 'datetime')])).toBe('SecDateTEdit');
    expect(findChangeColumn([col('DateEntry', 'date')])).toBeNull();
  });
});
