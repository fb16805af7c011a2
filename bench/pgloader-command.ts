import { quotePg } from '../core/db/identifiers';

/**
 * pgloader's documented parallelism and batch settings (pgloader docs: "A Note About Parallelism",
 * "Batch behaviour options", MySQL "WITH" options).
 */
export interface PgloaderTuning {
  /** Threads active at once (default 4 from a database source). */
  workers: number;
  /** Writer tasks per table, and readers per table with `multipleReaders` (default 1). */
  concurrency: number;
  /** Split each table's single-column numeric key range among `concurrency` readers. */
  multipleReaders: boolean;
  /** Rows per range query with `multipleReaders` (pgloader's example: 50,000). */
  rowsPerRange?: number;
  /** Rows each reader may hold in memory (default 100,000). */
  prefetchRows?: number;
  /** Rows per COPY batch (default 25,000). */
  batchRows?: number;
}

/**
 * The tuning the stage bench gives pgloader on this 2-core machine: as many workers as cores, and
 * `concurrency = 2` with `multiple readers per thread` so that the one table (the bench loads one
 * at a time) is read by two readers over key ranges and written by two COPY writers. The fastest
 * of five tried on 200,000 procedurelog rows (medians of 5 runs, PK-only table): workers 2 /
 * concurrency 1 (the bench's earlier setting) 4.82 s; 4 / 1 (pgloader's default) 4.91 s; 4 / 2
 * with multiple readers 5.00 s; 4 / 2 with multiple readers, prefetch rows 25,000 and batch rows
 * 10,000 4.47 s; this one 4.25 s.
 */
export const PGLOADER_TUNING: PgloaderTuning = {
  workers: 2,
  concurrency: 2,
  multipleReaders: true,
  rowsPerRange: 50_000,
};

/**
 * A pgloader command doing the work the project's full load does, no more: the table with the
 * casts OpenDental needs (its defaults abort on zero dates and make tinyint(1) boolean), its rows,
 * and its primary key only — the load builds raw's primary key and no other index
 * (core/load/full-load.ts), so pgloader creates no indexes and adds the key after the COPY.
 * pgloader creates the table in a schema named after the MySQL database.
 */
export function pgloaderCommand(options: {
  table: string;
  primaryKey: readonly string[];
  mysqlDatabase: string;
  pgDatabase: string;
  tuning: PgloaderTuning;
}): string {
  const { table, primaryKey, mysqlDatabase, pgDatabase, tuning } = options;
  const settings = [
    'include drop',
    'create tables',
    'create no indexes',
    'reset no sequences',
    'on error stop',
    `workers = ${tuning.workers}`,
    `concurrency = ${tuning.concurrency}`,
    ...(tuning.multipleReaders
      ? ['multiple readers per thread', `rows per range = ${tuning.rowsPerRange ?? 50_000}`]
      : []),
    ...(tuning.prefetchRows ? [`prefetch rows = ${tuning.prefetchRows}`] : []),
    ...(tuning.batchRows ? [`batch rows = ${tuning.batchRows}`] : []),
  ];
  const key = primaryKey.map((c) => quotePg(c.toLowerCase())).join(', ');
  const afterLoad =
    primaryKey.length === 0
      ? ''
      : `\n  AFTER LOAD DO $$ ALTER TABLE ${quotePg(mysqlDatabase)}.${quotePg(table.toLowerCase())} ADD PRIMARY KEY (${key}) $$`;
  return `LOAD DATABASE
  FROM mysql://root@127.0.0.1:3306/${mysqlDatabase}
  INTO postgresql://postgres@127.0.0.1:5432/${pgDatabase}
  WITH ${settings.join(', ')}
  SET MySQL PARAMETERS net_read_timeout = '600', net_write_timeout = '600'
  CAST type datetime to timestamp drop default drop not null using zero-dates-to-null,
       type date drop not null drop default using zero-dates-to-null,
       type timestamp to timestamp drop default drop not null using zero-dates-to-null,
       type tinyint to smallint drop typemod,
       type time to interval drop default drop not null
  INCLUDING ONLY TABLE NAMES MATCHING '${table}'${afterLoad};
`;
}
