import { quoteMysql } from '../core/db/identifiers';
import type { MysqlSession } from '../core/db/ports';
import {
  type DiscoveredColumn,
  type DiscoveredTable,
  discoverSchema,
  keyColumn,
} from '../core/discovery/discover-schema';
import { APPEND_ONLY_TABLES } from '../core/opendental/core-tables';

/** What a day of OpenDental activity does to a row, one name per way it can hide from a night. */
export const CHANGE_KINDS = [
  'stampedInsert',
  'stampedUpdate',
  'keptStamp',
  'backdatedStamp',
  'delete',
  'unstampedInsertWithDelete',
  'appendInsert',
  'appendEdit',
  'noChangeColumnInsert',
  'noChangeColumnEdit',
  'addedColumn',
  'newTable',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** Counts only (rows and tables per change kind, names of tables), never a row value. */
export interface DaySummary {
  changes: Record<ChangeKind, { rows: number; tables: string[] }>;
  /** Tables with at least one change of any kind (the new table included). */
  tablesChanged: number;
  rowsChanged: number;
  addedColumn: { table: string; column: string } | null;
  newTable: string | null;
}

/** The tables where a clinic's day happens: about `BUSY_SHARE` of their rows change. */
export const BUSY_TABLES = [
  'procedurelog',
  'appointment',
  'paysplit',
  'commlog',
  'patient',
  'claim',
  'claimproc',
  'adjustment',
  'payment',
  'securitylog',
];
const BUSY_SHARE = 0.005;
/**
 * Stamped tables where rows arrive with an old stamp (an import, a restored backup, a
 * workstation with its clock behind) while as many rows are deleted: the row count stays put.
 */
export const PAIRED_TABLES = ['commlog', 'document', 'periomeasure'];
/** The table that gains a column (with a default, as OpenDental's upgrades add them). */
const ALTERED_TABLE = 'patient';
const INTEGER = /^(tinyint|smallint|mediumint|int|bigint)$/;

/**
 * One simulated day of OpenDental activity on `database` (a demo clinic): inserts, stamped
 * edits, edits that keep or backdate their stamp, deletes, unstamped inserts paired with
 * deletes, edits of rows append tables already hold, edits of tables without a change column,
 * a new column and a new table. Every table with rows changes a little; the busy ones by about
 * 0.5 % of their rows. Deterministic for a given database content.
 */
export async function simulateDay(session: MysqlSession, database: string): Promise<DaySummary> {
  await session.execute(`USE ${quoteMysql(database)}`);
  await session.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  const changes = Object.fromEntries(
    CHANGE_KINDS.map((k) => [k, { rows: 0, tables: [] as string[] }]),
  ) as DaySummary['changes'];
  const note = (kind: ChangeKind, table: string, rows: number) => {
    if (rows <= 0) return;
    changes[kind].rows += rows;
    if (!changes[kind].tables.includes(table)) changes[kind].tables.push(table);
  };
  const { tables } = await discoverSchema(session, database);
  const newTableNumber = tables.filter((t) => /^nightday\d+$/.test(t.name)).length + 1;
  for (const table of tables) {
    const key = keyColumn(table);
    const keyType = table.columns.find((c) => c.name === key)?.dataType ?? '';
    if (!key || !INTEGER.test(keyType)) continue;
    const keys = (
      await session.queryArrays(
        `SELECT ${quoteMysql(key)} FROM ${quoteMysql(table.name)} ORDER BY 1`,
      )
    ).map((r) => Number(r[0]));
    if (keys.length === 0) continue;
    await changeTable(session, table, key, keys, note);
  }
  await addColumn(session, tables, note);
  const newTable = await createTable(session, `nightday${newTableNumber}`, note);
  const changed = new Set(CHANGE_KINDS.flatMap((k) => changes[k].tables));
  const altered = changes.addedColumn.tables[0];
  return {
    changes,
    tablesChanged: changed.size,
    rowsChanged: CHANGE_KINDS.reduce((sum, k) => sum + changes[k].rows, 0),
    addedColumn: altered
      ? { table: altered, column: (await lastColumn(session, database, altered)) ?? '?' }
      : null,
    newTable,
  };
}

type Note = (kind: ChangeKind, table: string, rows: number) => void;

/** The changes of one table, by its kind: append, stamped (paired or not), or no change column. */
async function changeTable(
  session: MysqlSession,
  table: DiscoveredTable,
  key: string,
  keys: number[],
  note: Note,
) {
  const busy = BUSY_TABLES.includes(table.name);
  const stamp = table.changeColumn;
  const kinds = APPEND_ONLY_TABLES.includes(table.name)
    ? 2
    : stamp
      ? PAIRED_TABLES.includes(table.name)
        ? 4
        : 5
      : 3;
  // Busy tables: about 0.5 % of their rows over all kinds; the others: one row per kind.
  const each = busy ? Math.max(1, Math.round((keys.length * BUSY_SHARE) / kinds)) : 1;
  const edit = editExpression(table, key);
  const q = quoteMysql(table.name);
  const k = quoteMysql(key);
  const pick = spread(keys, Math.min(keys.length, each * kinds));
  const slice = (i: number) => pick.filter((_, j) => j % kinds === i);
  const where = (list: number[]) => `${k} IN (${list.join(', ')})`;
  const update = async (list: number[], set: string) =>
    list.length > 0 && set
      ? (await session.execute(`UPDATE ${q} SET ${set} WHERE ${where(list)}`)).affectedRows
      : 0;
  const remove = async (list: number[]) =>
    list.length > 0
      ? (await session.execute(`DELETE FROM ${q} WHERE ${where(list)}`)).affectedRows
      : 0;

  if (APPEND_ONLY_TABLES.includes(table.name)) {
    note('appendInsert', table.name, await copyRows(session, table, key, keys, each, false));
    if (table.name === 'securitylog') note('appendEdit', table.name, await update(slice(0), edit));
    return;
  }
  if (!stamp) {
    note(
      'noChangeColumnInsert',
      table.name,
      await copyRows(session, table, key, keys, each, false),
    );
    note('noChangeColumnEdit', table.name, await update(slice(0), edit));
    note('delete', table.name, await remove(slice(1)));
    return;
  }
  const s = quoteMysql(stamp);
  const paired = PAIRED_TABLES.includes(table.name);
  // Inserts copy rows that exist before the day, so they come first; paired: one per delete.
  const copies = paired ? Math.min(each, slice(3).length) : each;
  const inserted = await copyRows(session, table, key, keys, copies, !paired);
  note(paired ? 'unstampedInsertWithDelete' : 'stampedInsert', table.name, inserted);
  note('stampedUpdate', table.name, await update(slice(0), edit && `${edit}, ${s} = NOW()`));
  note('keptStamp', table.name, await update(slice(1), edit && `${edit}, ${s} = ${s}`));
  // A day earlier than the row's own stamp, which the last run's watermark already covered.
  const backdate = `${s} = GREATEST(${s} - INTERVAL 1 DAY, '1980-01-01')`;
  note('backdatedStamp', table.name, await update(slice(2), edit && `${edit}, ${backdate}`));
  if (paired) {
    note('unstampedInsertWithDelete', table.name, await remove(spread(slice(3), inserted)));
  } else note('delete', table.name, await remove(slice(3)));
}

/**
 * Copies `count` existing rows under new keys above the largest; `stamped`: with the time of
 * the insert in the change column (as OpenDental writes it), else keeping the copied stamp.
 */
async function copyRows(
  session: MysqlSession,
  table: DiscoveredTable,
  key: string,
  keys: number[],
  count: number,
  stamped: boolean,
): Promise<number> {
  if (count <= 0) return 0;
  const max = keys[keys.length - 1] as number;
  const sources = keys.slice(0, count);
  const list = table.columns
    .map((c) =>
      c.name === key
        ? `${quoteMysql(c.name)} + ${max}`
        : c.name === table.changeColumn && stamped
          ? 'NOW()'
          : quoteMysql(c.name),
    )
    .join(', ');
  const result = await session.execute(
    `INSERT INTO ${quoteMysql(table.name)} (${table.columns.map((c) => quoteMysql(c.name)).join(', ')})
     SELECT ${list} FROM ${quoteMysql(table.name)} WHERE ${quoteMysql(key)} IN (${sources.join(', ')})`,
  );
  return result.affectedRows;
}

/**
 * `SET` text that changes a row's first editable column for sure: text gets one character
 * appended (or its last one replaced when full), a number moves by one toward or away from 0.
 * Empty when the table has no such column.
 */
export function editExpression(table: DiscoveredTable, key: string): string {
  const editable = table.columns.filter((c) => c.name !== key && c.name !== table.changeColumn);
  const text = editable.find((c) => /char|text/.test(c.dataType));
  if (text) {
    const c = quoteMysql(text.name);
    const room = textLength(text) - 1;
    return `${c} = CONCAT(LEFT(COALESCE(${c}, ''), ${room}), IF(RIGHT(COALESCE(${c}, ''), 1) = 'x', 'y', 'x'))`;
  }
  const number = editable.find(
    (c) => INTEGER.test(c.dataType) || /^(double|float|decimal)$/.test(c.dataType),
  );
  if (!number) return '';
  const c = quoteMysql(number.name);
  return `${c} = IF(COALESCE(${c}, 0) > 0, ${c} - 1, COALESCE(${c}, 0) + 1)`;
}

function textLength(column: DiscoveredColumn): number {
  const declared = /\((\d+)\)/.exec(column.columnType)?.[1];
  if (declared) return Number(declared);
  return column.dataType === 'tinytext' ? 255 : 65_535;
}

/** `count` keys spread evenly over `keys` (all of them when there are fewer). */
function spread(keys: number[], count: number): number[] {
  if (count >= keys.length) return [...keys];
  return Array.from(
    { length: count },
    (_, i) => keys[Math.floor(((i + 0.5) * keys.length) / count)] as number,
  );
}

/**
 * OpenDental's upgrades add columns with a default: every existing row gets the value and none
 * is stamped. A few rows then get another value through stamped edits.
 */
async function addColumn(session: MysqlSession, tables: DiscoveredTable[], note: Note) {
  const table = tables.find((t) => t.name === ALTERED_TABLE);
  if (!table?.changeColumn) return;
  const number = table.columns.filter((c) => /^NightDay\d+$/.test(c.name)).length + 1;
  const column = quoteMysql(`NightDay${number}`);
  const q = quoteMysql(table.name);
  await session.execute(
    `ALTER TABLE ${q} ADD COLUMN ${column} varchar(40) NOT NULL DEFAULT 'unset'`,
  );
  const [row] = await session.queryArrays(`SELECT COUNT(*) FROM ${q}`);
  const edited = await session.execute(
    `UPDATE ${q} SET ${column} = 'set on the day' ORDER BY ${quoteMysql(table.primaryKey[0] as string)} DESC LIMIT 3`,
  );
  note('addedColumn', table.name, Math.max(Number(row?.[0]), edited.affectedRows));
}

/** A table created during the day (a plug-in, a newer OpenDental), with rows. */
async function createTable(session: MysqlSession, name: string, note: Note): Promise<string> {
  const q = quoteMysql(name);
  await session.execute(
    `CREATE TABLE ${q} (
       NightDayNum bigint(20) NOT NULL AUTO_INCREMENT,
       PatNum bigint(20) NOT NULL,
       Note varchar(255) NOT NULL DEFAULT '',
       Amount double NOT NULL DEFAULT 0,
       DateTStamp timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
       PRIMARY KEY (NightDayNum), KEY PatNum (PatNum)
     ) ENGINE=MyISAM DEFAULT CHARSET=utf8`,
  );
  const result = await session.execute(
    `INSERT INTO ${q} (PatNum, Note, Amount)
     SELECT PatNum, CONCAT('night note ', PatNum), PatNum / 7 FROM patient ORDER BY PatNum LIMIT 25`,
  );
  note('newTable', name, result.affectedRows);
  return name;
}

async function lastColumn(session: MysqlSession, database: string, table: string) {
  const [row] = await session.queryArrays(
    `SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
      ORDER BY ORDINAL_POSITION DESC LIMIT 1`,
    [database, table],
  );
  return row ? String(row[0]) : null;
}
