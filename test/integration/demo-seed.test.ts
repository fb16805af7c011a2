import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/errors';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { rowCountsFor } from '../../core/demo/scales';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { discoverSchema } from '../../core/discovery/discover-schema';
import { enumValues, odSchema } from '../../core/opendental/reference';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';

const DB = testDatabaseName('seed_a');
const SAME_SEED = testDatabaseName('seed_b');
const OTHER_SEED = testDatabaseName('seed_c');
const FOREIGN = testDatabaseName('seed_foreign');

let admin: MysqlSession;

beforeAll(async () => {
  admin = await adminMysql();
  await seedDemoClinic(admin, { scale: 'tiny', seed: 7, database: DB });
  await seedDemoClinic(admin, { scale: 'tiny', seed: 7, database: SAME_SEED });
  await seedDemoClinic(admin, { scale: 'tiny', seed: 8, database: OTHER_SEED });
});

afterAll(async () => {
  await dropMysqlDatabases(admin, DB, SAME_SEED, OTHER_SEED, FOREIGN);
  await admin.close();
});

async function count(sql: string): Promise<number> {
  const [row] = await admin.query<{ n: number | string }>(sql);
  return Number(row?.n);
}

describe('demo clinic schema', () => {
  it('creates all 422 OpenDental tables, MyISAM and utf8 like a clinic', async () => {
    const rows = await admin.query<{ ENGINE: string; TABLE_COLLATION: string }>(
      'SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [DB],
    );
    expect(rows).toHaveLength(422);
    expect(new Set(rows.map((r) => r.ENGINE))).toEqual(new Set(['MyISAM']));
    expect(new Set(rows.map((r) => r.TABLE_COLLATION))).toEqual(new Set(['utf8mb3_general_ci']));
  });

  it('has exactly the vendored columns, in order, with their types', async () => {
    const discovery = await discoverSchema(admin, DB);
    const mismatches: string[] = [];
    for (const [name, expected] of Object.entries(odSchema)) {
      const table = discovery.tables.find((t) => t.name === name);
      const actual = table?.columns.map((c) => `${c.name} ${c.columnType}`) ?? [];
      const wanted = expected.columns.map((c) => `${c.name} ${c.mysql_type}`);
      if (JSON.stringify(actual) !== JSON.stringify(wanted)) mismatches.push(name);
    }
    expect(mismatches).toEqual([]);
  });

  it('discovery finds every primary key, change column and prefix index the schema lists', async () => {
    const discovery = await discoverSchema(admin, DB);
    expect(discovery.tables).toHaveLength(422);
    for (const table of discovery.tables) {
      const expected = odSchema[table.name];
      expect(table.primaryKey, table.name).toEqual(expected?.primary_key);
      expect(table.changeColumn, table.name).toBe(expected?.timestamp_columns[0] ?? null);
    }
    expect(discovery.tables.filter((t) => t.changeColumn).length).toBe(67);
    const patient = discovery.tables.find((t) => t.name === 'patient');
    expect(patient?.indexes.find((i) => i.name === 'indexLName')?.columns).toEqual([
      { name: 'LName', subPart: 10 },
    ]);
  });
});

describe('demo clinic data', () => {
  it('fills the tables with the scale’s row counts', async () => {
    const expected = rowCountsFor('tiny');
    for (const table of [
      'patient',
      'appointment',
      'procedurelog',
      'claimproc',
      'paysplit',
      'securitylog',
    ]) {
      expect(
        await count(`SELECT COUNT(*) AS n FROM ${quoteMysql(DB)}.${quoteMysql(table)}`),
        table,
      ).toBe(expected[table]);
    }
  });

  it.each([
    ['procedurelog', 'PatNum', 'patient', 'PatNum'],
    ['procedurelog', 'CodeNum', 'procedurecode', 'CodeNum'],
    ['procedurelog', 'ProvNum', 'provider', 'ProvNum'],
    ['appointment', 'PatNum', 'patient', 'PatNum'],
    ['appointment', 'Op', 'operatory', 'OperatoryNum'],
    ['claim', 'PatNum', 'patient', 'PatNum'],
    ['claimproc', 'ClaimNum', 'claim', 'ClaimNum'],
    ['claimproc', 'ProcNum', 'procedurelog', 'ProcNum'],
    ['paysplit', 'PayNum', 'payment', 'PayNum'],
    ['paysplit', 'PatNum', 'patient', 'PatNum'],
    ['payment', 'PatNum', 'patient', 'PatNum'],
    ['adjustment', 'PatNum', 'patient', 'PatNum'],
    ['commlog', 'PatNum', 'patient', 'PatNum'],
    ['patient', 'Guarantor', 'patient', 'PatNum'],
    ['patient', 'PriProv', 'provider', 'ProvNum'],
    ['inssub', 'PlanNum', 'insplan', 'PlanNum'],
    ['insplan', 'CarrierNum', 'carrier', 'CarrierNum'],
    ['patplan', 'InsSubNum', 'inssub', 'InsSubNum'],
    ['securityloghash', 'SecurityLogNum', 'securitylog', 'SecurityLogNum'],
    ['patientnote', 'PatNum', 'patient', 'PatNum'],
  ])('every non-zero %s.%s is a %s', async (table, column, target, key) => {
    const q = (n: string) => `${quoteMysql(DB)}.${quoteMysql(n)}`;
    const dangling = await count(
      `SELECT COUNT(*) AS n FROM ${q(table)} t LEFT JOIN ${q(target)} r ON r.${quoteMysql(key)} = t.${quoteMysql(column)}
        WHERE t.${quoteMysql(column)} <> 0 AND r.${quoteMysql(key)} IS NULL`,
    );
    const linked = await count(
      `SELECT COUNT(*) AS n FROM ${q(table)} WHERE ${quoteMysql(column)} <> 0`,
    );
    expect(dangling).toBe(0);
    expect(linked).toBeGreaterThan(0);
  });

  it('keeps related rows on the same patient', async () => {
    const q = (n: string) => `${quoteMysql(DB)}.${n}`;
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM ${q('procedurelog')} p JOIN ${q('appointment')} a ON a.AptNum = p.AptNum WHERE a.PatNum <> p.PatNum`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM ${q('paysplit')} s JOIN ${q('payment')} p ON p.PayNum = s.PayNum WHERE p.PatNum <> s.PatNum`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM ${q('claimproc')} c JOIN ${q('claim')} l ON l.ClaimNum = c.ClaimNum WHERE l.PatNum <> c.PatNum`,
      ),
    ).toBe(0);
    // A guarantor is the head of the family: their own guarantor.
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM ${q('patient')} p JOIN ${q('patient')} g ON g.PatNum = p.Guarantor WHERE g.Guarantor <> g.PatNum`,
      ),
    ).toBe(0);
  });

  it('follows OpenDental conventions: no-date 0001-01-01, enum codes, negative times, accents', async () => {
    const q = (n: string) => `${quoteMysql(DB)}.${n}`;
    expect(
      await count(`SELECT COUNT(*) AS n FROM ${q('procedurelog')} WHERE DateTP = '0001-01-01'`),
    ).toBeGreaterThan(0);
    const codes = Object.keys(enumValues('ProcStat'));
    const statuses = await admin.query<{ s: number }>(
      `SELECT DISTINCT ProcStatus AS s FROM ${q('procedurelog')}`,
    );
    for (const { s } of statuses) expect(codes).toContain(String(s));
    expect(
      await count(`SELECT COUNT(*) AS n FROM ${q('clockevent')} WHERE AdjustAuto < 0`),
    ).toBeGreaterThan(0);
    const [version] = await admin.query<{ v: string }>(
      `SELECT ValueString AS v FROM ${q('preference')} WHERE PrefName = 'DataBaseVersion'`,
    );
    expect(version?.v).toBe('24.3.10.0');
    expect(
      await count(`SELECT COUNT(*) AS n FROM ${q('patient')} WHERE LName REGEXP '[^ -~]'`),
    ).toBeGreaterThan(0);
  });
});

describe('determinism', () => {
  async function checksums(database: string): Promise<Record<string, string>> {
    const tables = Object.keys(rowCountsFor('tiny')).filter(
      (t) => (rowCountsFor('tiny')[t] ?? 0) > 0,
    );
    const rows = await admin.query<{ Table: string; Checksum: string | null }>(
      `CHECKSUM TABLE ${tables.map((t) => `${quoteMysql(database)}.${quoteMysql(t)}`).join(', ')} EXTENDED`,
    );
    return Object.fromEntries(rows.map((r) => [r.Table.split('.')[1], String(r.Checksum)]));
  }

  it('the same --seed gives the same data, another seed different data', async () => {
    const a = await checksums(DB);
    const b = await checksums(SAME_SEED);
    const c = await checksums(OTHER_SEED);
    expect(Object.keys(a).length).toBeGreaterThan(50);
    expect(b).toEqual(a);
    expect(c.patient).not.toBe(a.patient);
    expect(c.procedurelog).not.toBe(a.procedurelog);
  });
});

describe('safety', () => {
  it('refuses to replace a database it did not create', async () => {
    await admin.execute(`CREATE DATABASE ${quoteMysql(FOREIGN)}`);
    await admin.execute(`CREATE TABLE ${quoteMysql(FOREIGN)}.keepme (id int)`);
    await expect(
      seedDemoClinic(admin, { scale: 'tiny', seed: 1, database: FOREIGN }),
    ).rejects.toThrow(ConfigError);
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${FOREIGN}'`,
      ),
    ).toBe(1);
  });
});
