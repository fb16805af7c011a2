import { parseArgs } from 'node:util';
import { quoteMysql } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { clinicRules } from '../core/demo/clinic-rules';
import { GeneratorContext } from '../core/demo/generator-context';
import { rowHash } from '../core/demo/random';
import { rowCountsFor, SCALES, type Scale } from '../core/demo/scales';
import { createTableStatements, seedTable, tableGenerators } from '../core/demo/seed-clinic';
import { buildValuePools } from '../core/demo/value-pools';
import { type Comparison, compare, saveResults } from './harness';

/**
 * `npm run bench -- [--scale tiny|small|clinic] [--rows N] [--repeats N]`
 *
 * Benchmarks run here so far:
 * - demo-seed: the generator's bulk path (a stream into LOAD DATA LOCAL INFILE) against the
 *   row-by-row baseline (multi-row INSERT statements of 1,000 rows), on procedurelog (67 columns).
 * Stage benchmarks against pgloader and dump|restore join these with the stages themselves.
 */
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    rows: { type: 'string', default: '100000' },
    repeats: { type: 'string', default: '3' },
  },
});
if (!SCALES.includes(values.scale as Scale))
  throw new Error(`--scale must be one of ${SCALES.join(', ')}`);
const rows = Number(values.rows);
const repeats = Number(values.repeats);
const DB = 'etl_bench_seed';
const TABLE = 'procedurelog';

const session = await openMysql(
  {
    host: '127.0.0.1',
    port: 3306,
    database: 'mysql',
    user: 'root',
    password: '',
    tls: false,
    connect_timeout_seconds: 10,
  },
  { label: 'bench', readOnly: false, localInfile: true, database: null },
);
const results: Comparison[] = [];
try {
  await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(DB)}`);
  await session.execute(`CREATE DATABASE ${quoteMysql(DB)} CHARACTER SET utf8`);
  await session.execute(`USE ${quoteMysql(DB)}`);
  await session.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  const create = createTableStatements().find((s) => s.startsWith(`CREATE TABLE \`${TABLE}\``));
  if (!create) throw new Error(`no CREATE TABLE for ${TABLE}`);
  await session.execute(create);

  const counts = { ...rowCountsFor(values.scale as Scale), [TABLE]: rows };
  const ctx = new GeneratorContext(42, counts, buildValuePools(42));
  const rules = clinicRules(ctx)[TABLE] ?? {};
  const generators = tableGenerators(ctx, TABLE, rules);
  const seed = ctx.tableSeed(TABLE);

  results.push(
    await compare({
      name: `demo-seed ${TABLE} (${rows.toLocaleString('en-US')} rows, MyISAM)`,
      rows,
      repeats,
      before: () => session.execute(`TRUNCATE TABLE ${quoteMysql(TABLE)}`).then(() => undefined),
      project: {
        label: 'LOAD DATA stream',
        run: () => seedTable(session, ctx, TABLE, rows, rules),
      },
      baseline: {
        label: 'multi-row INSERT',
        run: async () => {
          for (let first = 1; first <= rows; first += 1000) {
            const batch: (string | null)[][] = [];
            for (let row = first; row < Math.min(rows + 1, first + 1000); row++) {
              const hash = rowHash(seed, row);
              batch.push(generators.map((g) => g(row, hash)));
            }
            await session.execute(`INSERT INTO ${quoteMysql(TABLE)} VALUES ?`, [batch]);
          }
        },
      },
    }),
  );
  console.log(
    `results: ${saveResults({ date: new Date().toISOString(), scale: values.scale, results })}`,
  );
} finally {
  await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(DB)}`).catch(() => {});
  await session.close();
}
