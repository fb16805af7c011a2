import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { MYSQL_CHARSET, MYSQL_COLLATION } from '../../core/db/mysql-session-settings';
import type { MysqlSession } from '../../core/db/ports';
import { extractTable } from '../../core/extract/extract-table';
import { memoryLogger } from '../../core/logging/logger';
import { stageDependencies } from '../../core/pipeline/stage-registry';
import {
  adminMysql,
  beforeEachCall,
  differingChecksums,
  dropMysqlDatabases,
  LOCAL_MYSQL,
  testDatabaseName,
  testPipelineConfig,
} from '../helpers/local-databases';
import { synthesizedParameters } from '../helpers/synthesized-parameters';

/**
 * The RDS replica's parameter group, taken from the synthesized template, applied to the local
 * MariaDB the way RDS applies it: as the starting value of every session. Global-only settings
 * (`local_infile`, `require_secure_transport`) cannot be changed on a shared server: the first is
 * compared with the local server's, the second is TLS (test/infra covers that it is set).
 */
const PARAMETERS = synthesizedParameters('mariadb');
const SOURCE = testDatabaseName('rpg_src');
const REPLICA = testDatabaseName('rpg_rep');
const SCRATCH = testDatabaseName('rpg_tmp');
let admin: MysqlSession;

/** RDS for MariaDB takes a zone name; the local server has no zone tables, so its offset. */
function offsetOf(zone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName')?.value;
  return name === 'GMT' ? '+00:00' : (name ?? '').replace('GMT', '');
}

/** A session that starts as one on the provisioned replica would: with the group's values. */
async function replicaSession(database: string | null): Promise<MysqlSession> {
  const session = await openMysql(
    { ...LOCAL_MYSQL, database: database ?? 'mysql' },
    { label: 'replication', readOnly: false, localInfile: true, database },
  );
  await session.execute(
    'SET SESSION sql_mode = ?, time_zone = ?, character_set_server = ?, collation_server = ?',
    [
      PARAMETERS.sql_mode,
      offsetOf(PARAMETERS.time_zone ?? ''),
      PARAMETERS.character_set_server,
      PARAMETERS.collation_server,
    ],
  );
  return session;
}

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, SOURCE, REPLICA, SCRATCH);
  await admin.execute(`CREATE DATABASE ${quoteMysql(SOURCE)} CHARACTER SET utf8`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(SCRATCH)}`);
  await admin.execute(`USE ${quoteMysql(SOURCE)}`);
  // As OpenDental writes: non-strict, key 0 and zero dates stored as given, MyISAM, utf8.
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  await admin.execute(
    `CREATE TABLE appointment (
       AptNum BIGINT(20) NOT NULL AUTO_INCREMENT, AptDateTime DATETIME NOT NULL DEFAULT '0001-01-01 00:00:00',
       DateTStamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
       Note VARCHAR(255) NOT NULL DEFAULT '', PRIMARY KEY (AptNum)
     ) ENGINE=MyISAM DEFAULT CHARSET=utf8`,
  );
  await admin.execute(
    `INSERT INTO appointment VALUES
       (0, '0000-00-00 00:00:00', '2024-03-01 12:00:00', 'key zero'),
       (1, '2024-02-29 08:30:00', '2024-03-01 12:00:01', 'Zoë Ñandú'),
       (2, '2019-00-00 00:00:00', '2024-03-01 12:00:02', 'tab\\there')`,
  );
});

afterAll(async () => {
  await dropMysqlDatabases(admin, SOURCE, REPLICA, SCRATCH);
  await admin.close();
});

describe('the replica parameter group on a real MariaDB', () => {
  it('creates the replica database (RDS DBName) in the charset and collation the pipeline uses', async () => {
    const session = await replicaSession(null);
    try {
      await session.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
    } finally {
      await session.close();
    }
    const [schema] = await admin.query<{ cs: string; co: string }>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [REPLICA],
    );
    expect(schema).toEqual({ cs: MYSQL_CHARSET, co: MYSQL_COLLATION });
  });

  it('keeps an explicit key 0 as OpenDental does, which a server at MariaDB’s default sql_mode would not', async () => {
    const insertKeyZero = async (session: MysqlSession, table: string) => {
      await session.execute(
        `CREATE TABLE ${quoteMysql(SCRATCH)}.${table} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, d DATETIME NOT NULL)`,
      );
      await session.execute(
        `INSERT INTO ${quoteMysql(SCRATCH)}.${table} VALUES (0, '0000-00-00 00:00:00')`,
      );
      return session.query<{ id: string; d: string }>(
        `SELECT id, d FROM ${quoteMysql(SCRATCH)}.${table}`,
      );
    };
    const configured = await replicaSession(SCRATCH);
    const stock = await openMysql(
      { ...LOCAL_MYSQL, database: SCRATCH },
      { label: 'stock', readOnly: false },
    );
    try {
      expect(await insertKeyZero(configured, 'with_group')).toEqual([
        { id: 0, d: '0000-00-00 00:00:00' },
      ]);
      // The control: MariaDB's default sql_mode turns key 0 into the next AUTO_INCREMENT value.
      await stock.execute(
        "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION'",
      );
      expect(await insertKeyZero(stock, 'stock')).toEqual([{ id: 1, d: '0000-00-00 00:00:00' }]);
    } finally {
      await configured.close();
      await stock.close();
    }
  });

  it('runs in UTC, as the sessions do', async () => {
    const session = await replicaSession(null);
    try {
      const [row] = await session.query<{ skew: string | number }>(
        'SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS skew',
      );
      expect(Number(row?.skew)).toBe(0);
    } finally {
      await session.close();
    }
  });

  it('lets the extract copy a table with LOAD DATA LOCAL INFILE, value for value', async () => {
    // local_infile is global only: the local server must match the group for this test to mean it.
    const [global] = await admin.queryArrays('SELECT @@GLOBAL.local_infile');
    expect(String(global?.[0])).toBe(PARAMETERS.local_infile);
    const source = await openMysql(
      { ...LOCAL_MYSQL, database: SOURCE },
      { label: 'source', readOnly: true },
    );
    const replica = await replicaSession(REPLICA);
    const deps = stageDependencies.extract(
      testPipelineConfig({ source: SOURCE, replica: REPLICA }),
      { source, replica },
      memoryLogger(),
    );
    const loads: string[] = [];
    const watched = beforeEachCall(replica, async (sql) => {
      if (sql.startsWith('LOAD DATA')) loads.push(sql.split(' INTO')[0] ?? '');
    });
    try {
      const result = await extractTable(
        { ...deps, replica: watched },
        { runId: 'rpg-1', table: 'appointment', mode: 'full' },
      );
      expect(result.rowsInserted).toBe(3);
    } finally {
      await source.close();
      await replica.close();
    }
    expect(loads).toEqual(["LOAD DATA LOCAL INFILE 'stream'"]);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['appointment'])).toEqual([]);
    const [zero] = await admin.query<{ AptNum: string; AptDateTime: string }>(
      `SELECT AptNum, AptDateTime FROM ${quoteMysql(REPLICA)}.appointment WHERE Note = 'key zero'`,
    );
    expect(zero).toEqual({ AptNum: '0', AptDateTime: '0000-00-00 00:00:00' });
  });
});
