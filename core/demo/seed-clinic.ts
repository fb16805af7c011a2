import { Readable } from 'node:stream';
import { ConfigError, ValidationError } from '../../contract/errors';
import { quoteMysql } from '../db/identifiers';
import { tsvField } from '../db/mysql-tsv';
import type { MysqlSession } from '../db/ports';
import { odSchema } from '../opendental/reference';
import schemaSql from '../opendental/schema-sql';
import { clinicRules } from './clinic-rules';
import { genericColumn, parseMysqlType } from './column-generators';
import { GeneratorContext, type ValueGen } from './generator-context';
import { rowHash } from './random';
import { rowCountsFor, type Scale } from './scales';
import { buildValuePools } from './value-pools';

export interface SeedOptions {
  scale: Scale;
  seed: number;
  database: string;
  /** Replace a database of that name that the demo did not create. */
  replaceForeign?: boolean;
  /** Only fill these tables (all 422 are still created). Tests use this for speed. */
  onlyTables?: readonly string[];
  /** Row counts that replace the scale's for particular tables (benchmarks: 1 M procedures). */
  rowCounts?: Readonly<Record<string, number>>;
  onProgress?: (event: SeedProgress) => void;
}

export type SeedProgress =
  | { kind: 'schema'; tables: number }
  | { kind: 'table-start'; table: string; rows: number; index: number; of: number }
  | { kind: 'table-done'; table: string; rows: number; seconds: number };

export interface SeedResult {
  database: string;
  scale: Scale;
  seed: number;
  tables: { table: string; rows: number }[];
  totalRows: number;
  seconds: number;
}

/** Comment that marks a database as the demo clinic, so a re-seed may replace it. */
export const DEMO_MARKER = 'etl-pipeline demo clinic';

/** The session must be a writer with LOCAL INFILE enabled, not tied to a database. */
export async function seedDemoClinic(
  session: MysqlSession,
  options: SeedOptions,
): Promise<SeedResult> {
  const started = Date.now();
  await recreateDatabase(session, options.database, options.replaceForeign ?? false);
  await session.execute(`USE ${quoteMysql(options.database)}`);
  // OpenDental writes with a non-strict sql_mode: zero dates and partial rows are accepted.
  await session.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', foreign_key_checks = 0");
  const statements = createTableStatements();
  for (const sql of statements) await session.execute(sql);
  options.onProgress?.({ kind: 'schema', tables: statements.length });

  const counts = { ...rowCountsFor(options.scale), ...options.rowCounts };
  const ctx = new GeneratorContext(options.seed, counts, buildValuePools(options.seed));
  const rules = clinicRules(ctx);
  const wanted = Object.keys(odSchema)
    .filter((t) => (counts[t] ?? 0) > 0)
    .filter((t) => !options.onlyTables || options.onlyTables.includes(t));

  const tables: SeedResult['tables'] = [];
  for (const [index, table] of wanted.entries()) {
    const rows = counts[table] ?? 0;
    const t0 = Date.now();
    options.onProgress?.({ kind: 'table-start', table, rows, index: index + 1, of: wanted.length });
    await seedTable(session, ctx, table, rows, rules[table] ?? {});
    tables.push({ table, rows });
    options.onProgress?.({ kind: 'table-done', table, rows, seconds: (Date.now() - t0) / 1000 });
  }
  return {
    database: options.database,
    scale: options.scale,
    seed: options.seed,
    tables,
    totalRows: tables.reduce((sum, t) => sum + t.rows, 0),
    seconds: (Date.now() - started) / 1000,
  };
}

async function recreateDatabase(session: MysqlSession, database: string, replaceForeign: boolean) {
  const [existing] = await session.query<{ SCHEMA_COMMENT: string }>(
    'SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [database],
  );
  if (existing && existing.SCHEMA_COMMENT !== DEMO_MARKER && !replaceForeign) {
    throw new ConfigError(
      `database ${database} exists and was not created by the demo seed; refusing to replace it ` +
        '(use --replace to overwrite it, or choose another database)',
      { stage: 'seed' },
    );
  }
  await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(database)}`);
  await session.execute(
    `CREATE DATABASE ${quoteMysql(database)} CHARACTER SET utf8 COLLATE utf8_general_ci COMMENT ?`,
    [DEMO_MARKER],
  );
}

/** The CREATE TABLE statements of the vendored OpenDental schema (MyISAM, utf8). */
export function createTableStatements(): string[] {
  return schemaSql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^(--[^\n]*\n|\s)+/g, '').trim())
    .filter((s) => s.startsWith('CREATE TABLE'));
}

const ROWS_PER_CHUNK = 2000;

/** The value generators of a table's columns, in column order. */
export function tableGenerators(
  ctx: GeneratorContext,
  table: string,
  rules: Record<string, ValueGen>,
): ValueGen[] {
  const def = odSchema[table];
  if (!def) throw new ConfigError(`not an OpenDental table: ${table}`, { stage: 'seed' });
  return def.columns.map((c) => rules[c.name] ?? genericColumn(ctx, table, def, c));
}

/** Fills one (empty) table with `rows` generated rows through LOAD DATA LOCAL INFILE. */
export async function seedTable(
  session: MysqlSession,
  ctx: GeneratorContext,
  table: string,
  rows: number,
  rules: Record<string, ValueGen>,
): Promise<void> {
  const def = odSchema[table];
  if (!def) return;
  const generators = tableGenerators(ctx, table, rules);
  const targets = def.columns.map((c) =>
    parseMysqlType(c.mysql_type).base.endsWith('blob') ? `@${c.name}` : quoteMysql(c.name),
  );
  const blobSets = def.columns
    .filter((c) => parseMysqlType(c.mysql_type).base.endsWith('blob'))
    .map((c) => `${quoteMysql(c.name)} = UNHEX(@${c.name})`);
  const sql =
    `LOAD DATA LOCAL INFILE 'stream' INTO TABLE ${quoteMysql(table)} CHARACTER SET utf8mb4 ` +
    "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
    `(${targets.join(', ')})${blobSets.length > 0 ? ` SET ${blobSets.join(', ')}` : ''}`;

  const seedOfTable = ctx.tableSeed(table);
  const width = generators.length;
  const fields: string[] = new Array(width);
  const source = () => {
    let next = 1;
    return new Readable({
      read() {
        if (next > rows) {
          this.push(null);
          return;
        }
        const last = Math.min(rows, next + ROWS_PER_CHUNK - 1);
        let chunk = '';
        for (let row = next; row <= last; row++) {
          const hash = rowHash(seedOfTable, row);
          for (let i = 0; i < width; i++)
            fields[i] = tsvField((generators[i] as ValueGen)(row, hash));
          chunk += `${fields.join('\t')}\n`;
        }
        next = last + 1;
        this.push(Buffer.from(chunk, 'utf8'));
      },
    });
  };
  const { affectedRows } = await session.loadDataLocal(sql, source);
  if (affectedRows !== rows) {
    throw new ValidationError(`demo seed wrote ${affectedRows} of ${rows} rows`, {
      table,
      stage: 'seed',
    });
  }
}
