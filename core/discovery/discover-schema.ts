import { type Stage, UnknownTableError } from '../../contract/errors';
import type { MysqlSession } from '../db/ports';

export interface DiscoveredColumn {
  name: string;
  /** 1-based position in the table. */
  ordinal: number;
  /** Full type as the server prints it, e.g. `bigint(20)`, `tinyint(3) unsigned`, `varchar(255)`. */
  columnType: string;
  /** Base type, e.g. `bigint`, `varchar`, `timestamp`. */
  dataType: string;
  nullable: boolean;
  /** Default as information_schema reports it (MariaDB quotes string defaults). */
  default: string | null;
  extra: string;
  charset: string | null;
  collation: string | null;
}

export interface DiscoveredIndex {
  name: string;
  unique: boolean;
  columns: { name: string; subPart: number | null }[];
}

export interface DiscoveredTable {
  name: string;
  engine: string;
  collation: string | null;
  /** Exact for MyISAM, an estimate for InnoDB. */
  estimatedRows: number;
  /** Data plus index bytes. */
  bytes: number;
  columns: DiscoveredColumn[];
  primaryKey: string[];
  indexes: DiscoveredIndex[];
  /** The auto-updating change column (`DateTStamp`, `SecDateTEdit`, ...), if any. */
  changeColumn: string | null;
  /**
   * `information_schema.TABLES.UPDATE_TIME` in the session's time zone, to the second: the last
   * write the server knows of (a MyISAM data file's modification time; InnoDB's in-memory stamp,
   * NULL after a restart). Null when unknown. See `core/extract/source-writes.ts`.
   */
  updateTime?: string | null;
}

/** The primary key column, when the key has exactly one (the incremental paths need one). */
export function keyColumn(table: Pick<DiscoveredTable, 'primaryKey'>): string | null {
  return table.primaryKey.length === 1 ? (table.primaryKey[0] as string) : null;
}

export interface SchemaDiscovery {
  database: string;
  serverVersion: string;
  tables: DiscoveredTable[];
}

/** Change-column names OpenDental uses, for tables whose column lost its ON UPDATE clause. */
const KNOWN_CHANGE_COLUMNS = ['DateTStamp', 'SecDateTEdit'];

/**
 * Reads tables, columns, keys and indexes of `database` from information_schema with three
 * queries (no per-table round trips, no locks, read-only).
 */
export async function discoverSchema(
  session: MysqlSession,
  database: string,
  onlyTables?: readonly string[],
): Promise<SchemaDiscovery> {
  const filter = onlyTables && onlyTables.length > 0 ? ' AND TABLE_NAME IN (?)' : '';
  const params = onlyTables && onlyTables.length > 0 ? [database, onlyTables] : [database];
  const [version] = await session.query<{ v: string }>('SELECT VERSION() AS v');
  const tableRows = await session.query<{
    TABLE_NAME: string;
    ENGINE: string | null;
    TABLE_COLLATION: string | null;
    TABLE_ROWS: string | number | null;
    DATA_LENGTH: string | number | null;
    INDEX_LENGTH: string | number | null;
    UPDATE_TIME: string | null;
  }>(
    `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH,
            DATE_FORMAT(UPDATE_TIME, '%Y-%m-%d %H:%i:%s') AS UPDATE_TIME
       FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'${filter}
      ORDER BY TABLE_NAME`,
    params,
  );
  const columnRows = await session.query<{
    TABLE_NAME: string;
    COLUMN_NAME: string;
    ORDINAL_POSITION: number | string;
    COLUMN_TYPE: string;
    DATA_TYPE: string;
    IS_NULLABLE: string;
    COLUMN_DEFAULT: string | null;
    EXTRA: string;
    CHARACTER_SET_NAME: string | null;
    COLLATION_NAME: string | null;
  }>(
    `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE,
            COLUMN_DEFAULT, EXTRA, CHARACTER_SET_NAME, COLLATION_NAME
       FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ?${filter}
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    params,
  );
  const indexRows = await session.query<{
    TABLE_NAME: string;
    INDEX_NAME: string;
    NON_UNIQUE: number | string;
    SEQ_IN_INDEX: number | string;
    COLUMN_NAME: string;
    SUB_PART: number | string | null;
  }>(
    `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ?${filter}
      ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    params,
  );

  const tables = new Map<string, DiscoveredTable>();
  for (const t of tableRows) {
    tables.set(t.TABLE_NAME, {
      name: t.TABLE_NAME,
      engine: t.ENGINE ?? 'unknown',
      collation: t.TABLE_COLLATION,
      estimatedRows: Number(t.TABLE_ROWS ?? 0),
      bytes: Number(t.DATA_LENGTH ?? 0) + Number(t.INDEX_LENGTH ?? 0),
      columns: [],
      primaryKey: [],
      indexes: [],
      changeColumn: null,
      updateTime: t.UPDATE_TIME,
    });
  }
  for (const c of columnRows) {
    tables.get(c.TABLE_NAME)?.columns.push({
      name: c.COLUMN_NAME,
      ordinal: Number(c.ORDINAL_POSITION),
      columnType: c.COLUMN_TYPE,
      dataType: c.DATA_TYPE.toLowerCase(),
      nullable: c.IS_NULLABLE === 'YES',
      default: c.COLUMN_DEFAULT,
      extra: c.EXTRA.toLowerCase(),
      charset: c.CHARACTER_SET_NAME,
      collation: c.COLLATION_NAME,
    });
  }
  for (const i of indexRows) {
    const table = tables.get(i.TABLE_NAME);
    if (!table) continue;
    const column = {
      name: i.COLUMN_NAME,
      subPart: i.SUB_PART === null ? null : Number(i.SUB_PART),
    };
    if (i.INDEX_NAME === 'PRIMARY') {
      table.primaryKey.push(i.COLUMN_NAME);
      continue;
    }
    let index = table.indexes.find((x) => x.name === i.INDEX_NAME);
    if (!index) {
      index = { name: i.INDEX_NAME, unique: Number(i.NON_UNIQUE) === 0, columns: [] };
      table.indexes.push(index);
    }
    index.columns.push(column);
  }
  for (const table of tables.values()) table.changeColumn = findChangeColumn(table.columns);
  return { database, serverVersion: version?.v ?? 'unknown', tables: [...tables.values()] };
}

/**
 * The column that records the last change of a row: a `timestamp` that the server updates on
 * every write (`ON UPDATE CURRENT_TIMESTAMP`), else a known OpenDental change-column name.
 */
export function findChangeColumn(columns: readonly DiscoveredColumn[]): string | null {
  const autoUpdating = columns.find(
    (c) => c.dataType === 'timestamp' && c.extra.includes('on update'),
  );
  if (autoUpdating) return autoUpdating.name;
  const known = columns.find(
    (c) => KNOWN_CHANGE_COLUMNS.includes(c.name) && ['timestamp', 'datetime'].includes(c.dataType),
  );
  return known?.name ?? null;
}

/** One table of `database`, or an {@link UnknownTableError} naming where it is missing. */
export async function discoverTable(
  session: MysqlSession,
  database: string,
  table: string,
  missing: { stage: Stage; where: string },
): Promise<DiscoveredTable> {
  const [found] = (await discoverSchema(session, database, [table])).tables;
  if (!found) {
    throw new UnknownTableError(`table does not exist in the ${missing.where}`, {
      table,
      stage: missing.stage,
    });
  }
  return found;
}
