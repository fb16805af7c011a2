import { quoteMysql } from '../core/db/identifiers';
import type { MysqlSession } from '../core/db/ports';
import { seedDemoClinic } from '../core/demo/seed-clinic';
import { BENCH_DB, openAdmins } from './databases';

/**
 * The stage bench's sources: `rows` demo-generator rows of each table in `BENCH_DB.source`
 * (MyISAM, as OpenDental creates its tables), and the same rows in `BENCH_DB.sourceInnodb`
 * (InnoDB). Each is reused when it already holds the tables at that row count.
 */
export async function prepareStageSources(tables: readonly string[], rows: number): Promise<void> {
  await prepareBenchSource(tables, rows);
  await prepareInnodbSource(tables, rows);
}

export async function prepareBenchSource(tables: readonly string[], rows: number): Promise<void> {
  const admins = await openAdmins();
  const admin = admins.mysql;
  try {
    const [existing] = await admin.queryArrays(
      `SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, ':', TABLE_ROWS)) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)`,
      [BENCH_DB.source, tables],
    );
    const wanted = tables
      .map((t) => `${t}:${rows}`)
      .sort()
      .join(',');
    const have = String(existing?.[0] ?? '')
      .split(',')
      .sort()
      .join(',');
    if (have === wanted) return; // reuse the generated source (MyISAM: TABLE_ROWS is exact)
    console.log(
      `generating ${rows.toLocaleString('en-US')} rows of ${tables.join(', ')} with the demo generator`,
    );
    await seedDemoClinic(admin, {
      scale: 'small',
      seed: 7,
      database: BENCH_DB.source,
      replaceForeign: true,
      onlyTables: tables,
      rowCounts: Object.fromEntries(tables.map((t) => [t, rows])),
    });
  } finally {
    await admins.close();
  }
}

/**
 * `BENCH_DB.sourceInnodb`: each table made from the MyISAM source by `CREATE TABLE … LIKE`,
 * `ALTER TABLE … ENGINE=InnoDB` and `INSERT … SELECT`, unless it is already InnoDB with `rows` rows.
 */
export async function prepareInnodbSource(tables: readonly string[], rows: number): Promise<void> {
  const admins = await openAdmins();
  const admin = admins.mysql;
  const db = quoteMysql(BENCH_DB.sourceInnodb);
  try {
    await admin.execute(`CREATE DATABASE IF NOT EXISTS ${db} CHARACTER SET utf8`);
    // The demo's zero dates, as OpenDental writes them: a non-strict sql_mode.
    await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
    for (const table of tables) {
      if (await isInnodbWithRows(admin, table, rows)) continue;
      console.log(`copying ${table} into ${BENCH_DB.sourceInnodb} (InnoDB)`);
      const target = `${db}.${quoteMysql(table)}`;
      await admin.execute(`DROP TABLE IF EXISTS ${target}`);
      await admin.execute(
        `CREATE TABLE ${target} LIKE ${quoteMysql(BENCH_DB.source)}.${quoteMysql(table)}`,
      );
      await admin.execute(`ALTER TABLE ${target} ENGINE=InnoDB`);
      await admin.execute(
        `INSERT INTO ${target} SELECT * FROM ${quoteMysql(BENCH_DB.source)}.${quoteMysql(table)}`,
      );
    }
  } finally {
    await admins.close();
  }
}

async function isInnodbWithRows(admin: MysqlSession, table: string, rows: number) {
  const [info] = await admin.queryArrays(
    'SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [BENCH_DB.sourceInnodb, table],
  );
  if (info?.[0] !== 'InnoDB') return false;
  // InnoDB's TABLE_ROWS is an estimate: count.
  const [count] = await admin.queryArrays(
    `SELECT COUNT(*) FROM ${quoteMysql(BENCH_DB.sourceInnodb)}.${quoteMysql(table)}`,
  );
  return Number(count?.[0]) === rows;
}
