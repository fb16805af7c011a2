import { quoteMysql } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { clinicRules } from '../core/demo/clinic-rules';
import { GeneratorContext } from '../core/demo/generator-context';
import { rowHash } from '../core/demo/random';
import { rowCountsFor, type Scale } from '../core/demo/scales';
import { createTableStatements, seedTable, tableGenerators } from '../core/demo/seed-clinic';
import { buildValuePools } from '../core/demo/value-pools';
import { BENCH_DB, LOCAL_MYSQL } from './databases';
import { type Comparison, compare } from './harness';

const DB = BENCH_DB.seed;
const TABLE = 'procedurelog';

/**
 * The demo generator's bulk path (a stream into LOAD DATA LOCAL INFILE) against the row-by-row
 * baseline (multi-row INSERT statements of 1,000 rows), on procedurelog (67 columns, MyISAM).
 */
export async function benchSeed(scale: Scale, rows: number, repeats: number): Promise<Comparison> {
  const session = await openMysql(
    { ...LOCAL_MYSQL, database: 'mysql' },
    { label: 'bench', readOnly: false, localInfile: true, database: null },
  );
  try {
    await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(DB)}`);
    await session.execute(`CREATE DATABASE ${quoteMysql(DB)} CHARACTER SET utf8`);
    await session.execute(`USE ${quoteMysql(DB)}`);
    await session.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
    const create = createTableStatements().find((s) => s.startsWith(`CREATE TABLE \`${TABLE}\``));
    if (!create) throw new Error(`no CREATE TABLE for ${TABLE}`);
    await session.execute(create);
    const ctx = new GeneratorContext(
      42,
      { ...rowCountsFor(scale), [TABLE]: rows },
      buildValuePools(42),
    );
    const rules = clinicRules(ctx)[TABLE] ?? {};
    const generators = tableGenerators(ctx, TABLE, rules);
    const seed = ctx.tableSeed(TABLE);
    return await compare({
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
    });
  } finally {
    await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(DB)}`).catch(() => {});
    await session.close();
  }
}
