import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaySummary, PAIRED_TABLES, simulateDay } from '../../bench/night-day';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import {
  type DiscoveredTable,
  discoverSchema,
  keyColumn,
} from '../../core/discovery/discover-schema';
import { APPEND_ONLY_TABLES } from '../../core/opendental/core-tables';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';

const DB = testDatabaseName('night_day');

/** Per table and key: the change column's value and a hash of the row's columns of before. */
type Snapshot = Map<string, Map<number, { stamp: string | null; hash: string }>>;

let admin: MysqlSession;
let before: DiscoveredTable[];
let snapshotBefore: Snapshot;
let snapshotAfter: Snapshot;
let day: DaySummary;

async function snapshot(tables: DiscoveredTable[]): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const table of tables) {
    const key = keyColumn(table) as string;
    const columns = table.columns.map((c) => `COALESCE(${quoteMysql(c.name)}, '~null')`);
    const stamp = table.changeColumn ? `CAST(${quoteMysql(table.changeColumn)} AS CHAR)` : 'NULL';
    const rows = await admin.queryArrays(
      `SELECT ${quoteMysql(key)}, ${stamp}, MD5(CONCAT_WS('|', ${columns.join(', ')}))
         FROM ${quoteMysql(DB)}.${quoteMysql(table.name)}`,
    );
    out.set(
      table.name,
      new Map(
        rows.map((r) => [
          Number(r[0]),
          { stamp: r[1] === null ? null : String(r[1]), hash: String(r[2]) },
        ]),
      ),
    );
  }
  return out;
}

/** Tables with rows whose key existed before the day and whose content changed, and how. */
function editedRows(table: string) {
  const then = snapshotBefore.get(table) ?? new Map();
  const now = snapshotAfter.get(table) ?? new Map();
  const edits: { key: number; stamp: 'same' | 'earlier' | 'later' | 'none' }[] = [];
  for (const [key, old] of then) {
    const row = now.get(key);
    if (!row || row.hash === old.hash) continue;
    const stamp =
      old.stamp === null || row.stamp === null
        ? 'none'
        : row.stamp === old.stamp
          ? 'same'
          : row.stamp < old.stamp
            ? 'earlier'
            : 'later';
    edits.push({ key, stamp });
  }
  return edits;
}

function tablesWith(stamp: 'same' | 'earlier' | 'later' | 'none'): string[] {
  return before.map((t) => t.name).filter((t) => editedRows(t).some((e) => e.stamp === stamp));
}

beforeAll(async () => {
  admin = await adminMysql();
  await seedDemoClinic(admin, { scale: 'tiny', seed: 11, database: DB });
  before = (await discoverSchema(admin, DB)).tables.filter((t) => keyColumn(t));
  snapshotBefore = await snapshot(before);
  day = await simulateDay(admin, DB);
  snapshotAfter = await snapshot(before);
}, 120_000);

afterAll(async () => {
  await dropMysqlDatabases(admin, DB);
  await admin.close();
});

describe('the night bench’s day on a tiny demo clinic', () => {
  it('changes at least 60 tables (inserts, edits or deletes), as its summary says', () => {
    const changed = before.filter((t) => {
      const then = snapshotBefore.get(t.name) as Map<number, { hash: string }>;
      const now = snapshotAfter.get(t.name) as Map<number, { hash: string }>;
      return (
        then.size !== now.size ||
        [...now].some(([key, row]) => then.get(key)?.hash !== row.hash) ||
        [...then.keys()].some((key) => !now.has(key))
      );
    });
    expect(changed.length).toBeGreaterThanOrEqual(60);
    expect(day.tablesChanged).toBeGreaterThanOrEqual(changed.length);
  });

  it('stamps edits, keeps some stamps and backdates others, in the busy financial tables', () => {
    const busy = ['claim', 'claimproc', 'adjustment', 'paysplit', 'appointment', 'procedurelog'];
    for (const stamp of ['later', 'same', 'earlier'] as const)
      expect(tablesWith(stamp), stamp).toEqual(expect.arrayContaining([...busy, 'patient']));
    expect(tablesWith('later').length).toBeGreaterThanOrEqual(40);
  });

  it('inserts rows stamped with the time of the insert', async () => {
    const [row] = await admin.queryArrays(
      `SELECT COUNT(*) FROM ${quoteMysql(DB)}.procedurelog WHERE DateTStamp >= NOW() - INTERVAL 1 HOUR`,
    );
    const keys = snapshotBefore.get('procedurelog') as Map<number, unknown>;
    const inserted = [...(snapshotAfter.get('procedurelog') as Map<number, unknown>).keys()].filter(
      (k) => !keys.has(k),
    );
    expect(inserted.length).toBeGreaterThan(0);
    expect(Number(row?.[0])).toBeGreaterThanOrEqual(inserted.length);
  });

  it('pairs unstamped inserts with as many deletes: the row count does not move', () => {
    for (const table of PAIRED_TABLES) {
      const then = snapshotBefore.get(table) as Map<number, { stamp: string | null }>;
      const now = snapshotAfter.get(table) as Map<number, { stamp: string | null }>;
      const newest = [...then.values()].map((r) => r.stamp as string).sort()[then.size - 1];
      const inserted = [...now].filter(([key]) => !then.has(key));
      const deleted = [...then.keys()].filter((key) => !now.has(key));
      expect(now.size, table).toBe(then.size);
      expect(inserted.length, table).toBeGreaterThan(0);
      expect(deleted.length, table).toBe(inserted.length);
      for (const [, row] of inserted)
        expect((row.stamp as string) <= (newest as string)).toBe(true);
    }
  });

  it('edits rows an append-only table already holds, and rows of tables without a change column', () => {
    expect(editedRows('securitylog').length).toBeGreaterThan(0);
    const noChangeColumn = tablesWith('none').filter((t) => !APPEND_ONLY_TABLES.includes(t));
    expect(noChangeColumn.length).toBeGreaterThanOrEqual(10);
    const deletedFrom = before
      .filter((t) => !t.changeColumn && !APPEND_ONLY_TABLES.includes(t.name))
      .filter((t) => {
        const now = snapshotAfter.get(t.name) as Map<number, unknown>;
        return [...(snapshotBefore.get(t.name)?.keys() ?? [])].some((key) => !now.has(key));
      });
    expect(deletedFrom.length).toBeGreaterThan(0);
  });

  it('adds a column with a value in every row, and creates a table with rows', async () => {
    const after = (await discoverSchema(admin, DB)).tables;
    const patient = after.find((t) => t.name === 'patient');
    const added = patient?.columns.filter(
      (c) => !before.find((t) => t.name === 'patient')?.columns.some((o) => o.name === c.name),
    );
    expect(added?.map((c) => c.name)).toEqual([day.addedColumn?.column]);
    const column = quoteMysql(added?.[0]?.name as string);
    const [values] = await admin.queryArrays(
      `SELECT COUNT(*), COUNT(${column}), COUNT(DISTINCT ${column}) FROM ${quoteMysql(DB)}.patient`,
    );
    expect(Number(values?.[0])).toBeGreaterThan(0);
    expect(Number(values?.[1])).toBe(Number(values?.[0]));
    expect(Number(values?.[2])).toBe(2);

    const created = after.filter((t) => !before.some((o) => o.name === t.name));
    expect(created.map((t) => t.name)).toEqual([day.newTable]);
    const [rows] = await admin.queryArrays(
      `SELECT COUNT(*) FROM ${quoteMysql(DB)}.${quoteMysql(day.newTable as string)}`,
    );
    expect(Number(rows?.[0])).toBeGreaterThan(0);
  });
});
