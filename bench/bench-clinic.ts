import type { MysqlSession } from '../core/db/ports';
import { rowCountsFor, type Scale } from '../core/demo/scales';
import { seedDemoClinic } from '../core/demo/seed-clinic';

/** The demo clinic's random seed in the benches that run on the whole clinic (night, clinic). */
const BENCH_CLINIC_SEED = 3;

/**
 * Seeds the demo clinic at `scale` into `database` (the night and clinic suites' source). With
 * `reuse`, a database already holding the scale's row count in every table (MyISAM: exact
 * `TABLE_ROWS`) is kept as it is.
 */
export async function seedBenchClinic(
  admin: MysqlSession,
  scale: Scale,
  database: string,
  options: { reuse?: boolean } = {},
): Promise<'seeded' | 'reused'> {
  if (options.reuse && (await holdsDemoClinic(admin, database, scale))) return 'reused';
  console.log(`seeding the demo clinic (${scale}) into ${database}`);
  await seedDemoClinic(admin, {
    scale,
    seed: BENCH_CLINIC_SEED,
    database,
    replaceForeign: true,
  });
  return 'seeded';
}

async function holdsDemoClinic(admin: MysqlSession, database: string, scale: Scale) {
  const rows = await admin.queryArrays(
    'SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [database],
  );
  const have = new Map(rows.map(([table, count]) => [String(table), Number(count)]));
  const wanted = Object.entries(rowCountsFor(scale));
  return have.size === wanted.length && wanted.every(([table, n]) => have.get(table) === n);
}
