import { createHash } from 'node:crypto';
import { quotePg } from '../../core/db/identifiers';
import type { PgSession } from '../../core/db/ports';
import { enumOfColumn, enumValues, odSchema } from '../../core/opendental/reference';

/**
 * The test's own account of what `public` must hold for a raw table, written from OpenDental's
 * schema metadata apart from the transform: for each raw column, the public column(s) expected
 * and each value, compared row by row. Returns differences (table, key, column), never values.
 */
export async function comparePublicWithRaw(
  pg: PgSession,
  tables: readonly string[],
  publicSchema = 'public',
  /** Compare in pages of this many raw rows, by key (a whole clinic's tables). */
  pageRows = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const differences: string[] = [];
  for (const table of tables) {
    const rawColumns = await pg.query<{ name: string; type: string; comment: string | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, col_description(c.oid, a.attnum) AS comment
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'raw' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT LIKE '\\_etl\\_%'
        ORDER BY a.attnum`,
      [table],
    );
    const od = odSchema[table];
    const key = od ? (od.primary_key[0] as string).toLowerCase() : (rawColumns[0]?.name as string);
    const expectations = rawColumns.flatMap((raw) => {
      const source = /^From MySQL column (\S+) /.exec(raw.comment ?? '')?.[1] ?? raw.name;
      const meta = od?.columns.find((c) => c.name === source);
      const fullName = source
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
        .toLowerCase();
      const name = shortName(fullName);
      const isKey = raw.name === key;
      const kind =
        isKey || !meta
          ? 'same'
          : meta.cs_type === 'bool' && raw.type === 'smallint'
            ? 'bool'
            : raw.type === 'date' || raw.type === 'timestamp without time zone'
              ? 'nodate'
              : meta.special.includes('TimeSpanLong') && raw.type === 'bigint'
                ? 'ticks'
                : 'same';
      const out: { raw: string; column: string; kind: string; enumName?: string }[] = [
        { raw: raw.name, column: name, kind },
      ];
      const enumName = meta ? enumOfColumn(table, source) : undefined;
      if (enumName && Object.keys(enumValues(enumName)).length > 0) {
        out.push({
          raw: raw.name,
          column: shortName(`${fullName}_label`),
          kind: 'label',
          enumName,
        });
      }
      return out;
    });
    const publicSelect = expectations
      .map((e) =>
        e.kind === 'ticks'
          ? `trunc(extract(epoch from p.${quotePg(e.column)}) * 1000000)::text`
          : `p.${quotePg(e.column)}::text`,
      )
      .join(', ');
    const rawSelect = expectations.map((e) => `r.${quotePg(e.raw)}::text`).join(', ');
    const publicKey = quotePg(expectations.find((e) => e.raw === key)?.column ?? key);
    const paged = Number.isFinite(pageRows);
    const [counts] = await pg
      .query<{ n: string; raw: string }>(
        `SELECT (SELECT count(*) FROM ${quotePg(publicSchema)}.${quotePg(table)})::text AS n,
                (SELECT count(*) FROM raw.${quotePg(table)})::text AS raw`,
      )
      .catch(() => [undefined]);
    if (!counts) {
      differences.push(`${table}: public table or columns missing`);
      continue;
    }
    if (counts.n !== counts.raw)
      differences.push(`${table}: ${counts.n} public rows, ${counts.raw} raw rows`);
    let after: string | null = null;
    for (;;) {
      let rows: { key: string; raw: unknown[]; pub: unknown[] }[];
      try {
        const joined = await pg.query<{ k: string; r: unknown[]; p: unknown[] | null }>(
          `SELECT r.${quotePg(key)}::text AS k, ARRAY[${rawSelect}] AS r, (SELECT ARRAY[${publicSelect}] FROM ${quotePg(publicSchema)}.${quotePg(table)} p
              WHERE p.${publicKey} = r.${quotePg(key)}) AS p
             FROM raw.${quotePg(table)} r${
               paged
                 ? ` WHERE ${after === null ? 'true' : `r.${quotePg(key)} > $1`} ORDER BY r.${quotePg(key)} LIMIT ${pageRows}`
                 : ''
             }`,
          after === null ? [] : [after],
        );
        rows = joined.map((j) => ({ key: j.k, raw: j.r, pub: j.p ?? [] }));
      } catch {
        differences.push(`${table}: public table or columns missing`);
        break;
      }
      compareRows(table, expectations, rows, differences);
      if (!paged || rows.length < pageRows) break;
      after = rows[rows.length - 1]?.key ?? null;
    }
  }
  return differences;
}

/** Each raw row's expected public values against the public row with its key. */
function compareRows(
  table: string,
  expectations: { raw: string; column: string; kind: string; enumName?: string }[],
  rows: { raw: unknown[]; pub: unknown[] }[],
  differences: string[],
): void {
  rows.forEach((row, r) => {
    expectations.forEach((e, i) => {
      const raw = row.raw[i] as string | null;
      const actual = (row.pub[i] ?? null) as string | null;
      let expected: string | null = raw;
      if (e.kind === 'bool') expected = raw === null ? null : raw === '0' ? 'false' : 'true';
      if (e.kind === 'nodate') expected = raw?.startsWith('0001-01-01') ? null : raw;
      if (e.kind === 'label') {
        const labels = enumValues(e.enumName as string);
        expected =
          raw === null ? null : (labels[raw] ?? (Object.values(labels).includes(raw) ? raw : null));
      }
      // Ticks of 100 ns: whole microseconds, truncated toward zero (BigInt division does).
      if (e.kind === 'ticks') expected = raw === null ? null : (BigInt(raw) / 10n).toString();
      if (expected !== actual) differences.push(`${table} row ${r + 1} column ${e.column}`);
    });
  });
}

/**
 * docs/transform.md's short form of a name over PostgreSQL's 63 bytes: its first whole
 * characters up to 54 bytes (trailing `_` dropped), `_`, 8 hex digits of its SHA-256.
 */
function shortName(name: string): string {
  if (Buffer.byteLength(name) <= 63) return name;
  let prefix = '';
  for (const character of name) {
    if (Buffer.byteLength(prefix + character) > 54) break;
    prefix += character;
  }
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${prefix.replace(/_+$/, '')}_${hash}`;
}
