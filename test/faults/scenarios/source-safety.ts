import { expect } from 'vitest';
import { type FaultBench, TABLES } from '../fault-bench';

/** What the pipeline sends to the source, read back from MariaDB's general log. */

/** An incremental and a reconcile run with the general log on. */
export async function sendOnlyReadsToSource(bench: FaultBench): Promise<void> {
  await bench.admin.execute('TRUNCATE mysql.general_log');
  await bench.admin.execute("SET GLOBAL log_output = 'TABLE'");
  await bench.admin.execute('SET GLOBAL general_log = 1');
  try {
    await bench.dayOfChanges();
    expect((await bench.run({ tables: TABLES, force: true })).status).toBe('succeeded');
    await bench.dayOfChanges();
    expect((await bench.run({ tables: TABLES, reconcile: true })).status).toBe('succeeded');
  } finally {
    await bench.admin.execute('SET GLOBAL general_log = 0');
  }
  const statements = await bench.admin.queryArrays(
    "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE user_host LIKE ? AND command_type IN ('Query', 'Execute', 'Prepare')",
    [`${bench.users.source}%`],
  );
  await bench.admin.execute('TRUNCATE mysql.general_log');
  const sql = statements.map((r) => String(r[0]).trim());
  expect(sql.length).toBeGreaterThan(100);
  const allowed =
    /^(SELECT|SHOW|SET SESSION|SET NAMES|SET autocommit|START TRANSACTION|COMMIT|ROLLBACK)\b/i;
  expect(sql.filter((s) => !allowed.test(s))).toEqual([]);
  expect(sql.filter((s) => /\bTEMPORARY\b|\bFOR UPDATE\b|\bLOCK IN SHARE MODE\b/i.test(s))).toEqual(
    [],
  );
}
