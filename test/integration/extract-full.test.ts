import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { discoverSchema } from '../../core/discovery/discover-schema';
import { type ExtractDeps, extractTable } from '../../core/extract/extract-table';
import { LineFolder, readLines, storedFingerprint } from '../../core/extract/line-reader';
import { odSchema } from '../../core/opendental/reference';
import {
  adminMysql,
  closeExtractDeps,
  differingChecksums,
  dropMysqlDatabases,
  openExtractDeps,
  testDatabaseName,
} from '../helpers/local-databases';

const SOURCE = testDatabaseName('xf_src');
const REPLICA = testDatabaseName('xf_rep');
const TABLES = Object.keys(odSchema);
let admin: MysqlSession;
let deps: ExtractDeps;

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, REPLICA);
  await seedDemoClinic(admin, { scale: 'small', seed: 11, database: SOURCE });
  await admin.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
  deps = await openExtractDeps(SOURCE, REPLICA, 5000);
}, 600_000);

afterAll(async () => {
  await closeExtractDeps(deps);
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.close();
});

describe('full extract of the small demo clinic', () => {
  it('copies every one of the 422 tables exactly, as InnoDB with the source definitions', async () => {
    const results = [];
    for (const table of TABLES)
      results.push(await extractTable(deps, { runId: 'full-1', table, mode: 'incremental' }));
    expect(
      results.every(
        (r) => r.strategy === 'full' && r.fullRefreshReason === 'first extract of this table',
      ),
    ).toBe(true);
    expect(results.reduce((n, r) => n + r.rowsInserted, 0)).toBeGreaterThan(250_000);

    expect(await differingChecksums(admin, SOURCE, REPLICA, TABLES)).toEqual([]);

    const definitions = async (db: string) =>
      admin.query<{ t: string; c: string }>(
        `SELECT TABLE_NAME AS t, GROUP_CONCAT(CONCAT_WS(' ', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(COLUMN_DEFAULT, 'NULL'), EXTRA, COALESCE(COLLATION_NAME, '')) ORDER BY ORDINAL_POSITION SEPARATOR '|') AS c
           FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME NOT LIKE '\\_etl\\_%' GROUP BY TABLE_NAME ORDER BY TABLE_NAME`,
        [db],
      );
    expect(await definitions(REPLICA)).toEqual(await definitions(SOURCE));
    const indexes = async (db: string) =>
      admin.query(
        `SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NON_UNIQUE FROM information_schema.STATISTICS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME NOT LIKE '\\_etl\\_%' ORDER BY 1, 2, 3`,
        [db],
      );
    expect(await indexes(REPLICA)).toEqual(await indexes(SOURCE));
    const [engines] = await admin.query<{ engines: string }>(
      `SELECT GROUP_CONCAT(DISTINCT ENGINE) AS engines FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`,
      [REPLICA],
    );
    expect(engines?.engines).toBe('InnoDB');
  });

  it('the replica fingerprints every table exactly as the lines read from the source', async () => {
    // The full copy is checked by this equality; a line expression that differed for some
    // column type would only fall back to the slower comparison with the source.
    const differing = [];
    for (const table of TABLES) {
      const [discovered] = (await discoverSchema(deps.source, SOURCE, [table])).tables;
      if (!discovered) throw new Error(`no table ${table}`);
      const folder = new LineFolder();
      for await (const _ of readLines(deps.source, discovered, { batchSize: 5000, folder })) {
      }
      const stored = await storedFingerprint(deps.replica, table, discovered);
      if (stored.rows !== folder.fingerprint.rows || stored.xor !== folder.fingerprint.xor)
        differing.push(table);
    }
    expect(differing).toEqual([]);
  });

  it('logs one full-refresh marker per table and keeps the watermark from the source clock', async () => {
    const [markers] = await admin.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteMysql(REPLICA)}._etl_changelog WHERE op = 'F' AND run_id = 'full-1'`,
    );
    expect(Number(markers?.n)).toBe(TABLES.length);
    const [state] = await admin.query<{ watermark: string; strategy: string }>(
      `SELECT watermark, strategy FROM ${quoteMysql(REPLICA)}._etl_extract_state WHERE table_name = 'patient'`,
    );
    expect(state?.strategy).toBe('full');
    expect(state?.watermark).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('a second incremental run of unchanged tables moves nothing and logs nothing', async () => {
    const moved = [];
    for (const table of ['patient', 'procedurelog', 'securitylog', 'definition', 'claimproc']) {
      const r = await extractTable(deps, { runId: 'again', table, mode: 'incremental' });
      moved.push([table, r.strategy, r.rowsInserted + r.rowsUpdated + r.rowsDeleted]);
    }
    expect(moved).toEqual([
      ['patient', 'timestamp', 0],
      ['procedurelog', 'timestamp', 0],
      ['securitylog', 'append', 0],
      ['definition', 'reconcile', 0],
      ['claimproc', 'timestamp', 0],
    ]);
    const [entries] = await admin.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteMysql(REPLICA)}._etl_changelog WHERE run_id = 'again'`,
    );
    expect(Number(entries?.n)).toBe(0);
  });

  it('--force copies the table anew through the shadow swap', async () => {
    const r = await extractTable(deps, { runId: 'forced', table: 'procedurelog', mode: 'full' });
    expect(r).toMatchObject({
      strategy: 'full',
      fullRefreshReason: 'full refresh requested (--force)',
    });
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['procedurelog'])).toEqual([]);
    const leftovers = await admin.query(
      `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_etl\\_new\\_%'`,
      [REPLICA],
    );
    expect(leftovers).toEqual([]);
  });

  it('rejects a table that does not exist or is not an identifier, before any SQL on it', async () => {
    await expect(
      extractTable(deps, { runId: 'x', table: 'patients', mode: 'incremental' }),
    ).rejects.toThrow(/UnknownTableError|does not exist/);
    await expect(
      extractTable(deps, { runId: 'x', table: 'patient; DROP TABLE claim', mode: 'incremental' }),
    ).rejects.toMatchObject({ name: 'UnknownTableError' });
  });
});
