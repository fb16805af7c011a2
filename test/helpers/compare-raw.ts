import { quoteMysql, quotePg } from '../../core/db/identifiers';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import { selectList } from '../../core/db/row-sql';
import { discoverSchema, keyColumn } from '../../core/discovery/discover-schema';
import { mapColumns, type RawColumn } from '../../core/load/type-mapping';

/**
 * The test's own comparer of a replica table and its raw twin, written apart from the load's
 * encoder: every value must be equal, except the two documented conversions (zero, partial and
 * impossible dates → NULL; NUL characters removed from text). Returns the differences found
 * (table, key, column), never values.
 */
export async function compareRawWithReplica(
  replica: MysqlSession,
  replicaDatabase: string,
  pg: PgSession,
  tables: readonly string[],
  rawSchema = 'raw',
  /** Compare tables with an integer key in pages of this many keys (a whole clinic's tables). */
  pageRows = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const differences: string[] = [];
  const discovery = await discoverSchema(replica, replicaDatabase, tables);
  for (const table of discovery.tables) {
    const columns = mapColumns(table.columns);
    const order = table.primaryKey.length > 0 ? table.primaryKey : table.columns.map((c) => c.name);
    const key = keyColumn(table);
    const paged =
      Number.isFinite(pageRows) &&
      key !== null &&
      /int$/.test(table.columns.find((c) => c.name === key)?.dataType ?? '');
    const mysqlTable = `${quoteMysql(replicaDatabase)}.${quoteMysql(table.name)}`;
    const pgTable = `${quotePg(rawSchema)}.${quotePg(table.name.toLowerCase())}`;
    if (paged) {
      const [m] = await replica.queryArrays(`SELECT COUNT(*) FROM ${mysqlTable}`);
      const [p] = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${pgTable}`);
      if (Number(m?.[0]) !== Number(p?.n)) {
        differences.push(`${table.name}: ${m?.[0]} replica rows, ${p?.n} raw rows`);
        continue;
      }
    }
    const pgKey = `t.${quotePg((key ?? '').toLowerCase())}`;
    let after: string | null = null;
    for (let page = 0; ; page++) {
      const mysqlRows = await replica.queryArrays(
        `SELECT ${selectList(table)} FROM ${mysqlTable}${paged && after !== null ? ` WHERE ${quoteMysql(key as string)} > ${after}` : ''}
          ORDER BY ${order.map(quoteMysql).join(', ')}${paged ? ` LIMIT ${pageRows}` : ''}`,
      );
      const last =
        mysqlRows[mysqlRows.length - 1]?.[table.columns.findIndex((c) => c.name === key)];
      const range = paged
        ? ` WHERE ${after === null ? 'true' : `${pgKey} > ${after}`}${mysqlRows.length === pageRows ? ` AND ${pgKey} <= ${String(last)}` : ''}`
        : '';
      const pgRows = (await pg.query<Record<string, string | null>>(
        `SELECT ${columns.map((c) => `${quotePg(c.name)}::text AS ${quotePg(c.name)}`).join(', ')}
           FROM ${pgTable} AS t${range}
          ORDER BY ${order.map((k) => `t.${quotePg(k.toLowerCase())}`).join(', ')}`,
      )) as Record<string, string | null>[];
      if (mysqlRows.length !== pgRows.length) {
        differences.push(
          `${table.name}: ${mysqlRows.length} replica rows, ${pgRows.length} raw rows${paged ? ` in key page ${page + 1}` : ''}`,
        );
      } else {
        mysqlRows.forEach((row, r) => {
          columns.forEach((column, i) => {
            const expected = expectedText(row[i], column);
            const actual = normalize(pgRows[r]?.[column.name] ?? null, column);
            if (expected !== actual)
              differences.push(`${table.name} row ${r + 1} column ${column.name}`);
          });
        });
      }
      if (!paged || mysqlRows.length < pageRows) break;
      after = String(last);
    }
  }
  return differences;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function validDate(text: string): boolean {
  const [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))];
  if (!y || !m || !d || m > 12 || d > (DAYS[m - 1] ?? 0)) return false;
  return !(m === 2 && d === 29 && new Date(Date.UTC(y, 1, 29)).getUTCMonth() !== 1);
}

/** What raw must hold, as comparable text, for a replica value. */
function expectedText(value: unknown, column: RawColumn): string | null {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'date':
    case 'datetime':
      return validDate(String(value)) ? String(value) : null;
    case 'text':
      return String(value).replaceAll('\0', '');
    case 'float':
      return numberKey(String(value), column);
    case 'bytea':
      return `\\x${(value as Buffer).toString('hex')}`;
    case 'bit':
      return [...(value as Buffer)]
        .map((b) => b.toString(2).padStart(8, '0'))
        .join('')
        .slice(-(column.bits ?? 1))
        .padStart(column.bits ?? 1, '0');
    case 'set':
      return String(value) === '' ? '{}' : `{${String(value)}}`;
    default:
      return String(value);
  }
}

function normalize(text: string | null, column: RawColumn): string | null {
  if (text === null) return null;
  return column.kind === 'float' ? numberKey(text, column) : text;
}

/** Numbers compared by value (the texts differ: 1e308 vs 1e+308), -0 apart from 0, reals as float32. */
function numberKey(text: string, column: RawColumn): string {
  const n = column.pgType === 'real' ? Math.fround(Number(text)) : Number(text);
  return Object.is(n, -0) ? '-0' : String(n);
}
