import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { discoverSchema } from '../../core/discovery/discover-schema';
import { copyFull } from '../../core/extract/full-copy';
import { ensureReplicaChangeLog } from '../../core/handoff/replica-change-log';
import { ADVERSARIAL_DDL, ADVERSARIAL_ROWS } from '../helpers/adversarial-table';
import {
  adminMysql,
  beforeEachCall,
  dropMysqlDatabases,
  openSourceAndReplica,
  testDatabaseName,
} from '../helpers/local-databases';

/**
 * The full copy checks its shadow by the fingerprint of the lines it read (no second read of
 * the source), and falls back to comparing with the source, range by range, when a source
 * without a snapshot was written meanwhile or the fingerprints differ.
 */
const SOURCE = testDatabaseName('fcc_src');
const REPLICA = testDatabaseName('fcc_rep');
let admin: MysqlSession;
let sessions: { source: MysqlSession; replica: MysqlSession };

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.execute(`CREATE DATABASE ${quoteMysql(SOURCE)} CHARACTER SET utf8`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
  await admin.execute(`USE ${quoteMysql(SOURCE)}`);
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
  await admin.execute(ADVERSARIAL_DDL);
  await admin.execute(`INSERT INTO adversarial VALUES ${ADVERSARIAL_ROWS.join(', ')}`);
  await admin.execute('CREATE TABLE adversarial_innodb LIKE adversarial');
  await admin.execute('ALTER TABLE adversarial_innodb ENGINE=InnoDB');
  await admin.execute('INSERT INTO adversarial_innodb SELECT * FROM adversarial');
  await admin.execute(
    'CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(20) NOT NULL, note TEXT, PRIMARY KEY (a, b)) ENGINE=MyISAM',
  );
  await admin.execute(
    "INSERT INTO pairs VALUES (1, 'x', 'first'), (1, 'y', NULL), (2, 'x', 'tab\\there')",
  );
  // MyISAM's UPDATE_TIME is kept to the second: the copies below start well after these writes.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  sessions = await openSourceAndReplica(SOURCE, REPLICA);
  await sessions.replica.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  await ensureReplicaChangeLog(sessions.replica);
});

afterAll(async () => {
  await sessions?.source.close();
  await sessions?.replica.close();
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.close();
});

async function copy(
  table: string,
  over: { source?: MysqlSession; replica?: MysqlSession; batchSize?: number } = {},
) {
  const source = over.source ?? sessions.source;
  const [discovered] = (await discoverSchema(sessions.source, SOURCE, [table])).tables;
  if (!discovered) throw new Error(`no table ${table}`);
  const [create] = await sessions.source.queryArrays(`SHOW CREATE TABLE ${quoteMysql(table)}`);
  await sessions.replica.execute(`DROP TABLE IF EXISTS ${quoteMysql(table)}`);
  return copyFull({
    source,
    replica: over.replica ?? sessions.replica,
    table: discovered,
    showCreate: String(create?.[1]),
    batchSize: over.batchSize ?? 2,
    runId: 'fcc',
    exists: false,
  });
}

/** Every value of every row, as hex, in key order: equal means byte for byte. */
async function hexRows(db: string, table: string): Promise<unknown[][]> {
  const columns = await admin.queryArrays(
    'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [db, table],
  );
  const list = columns.map(([c]) => `HEX(${quoteMysql(String(c))})`).join(', ');
  return admin.queryArrays(
    `SELECT ${list} FROM ${quoteMysql(db)}.${quoteMysql(table)} ORDER BY 1, 2`,
  );
}

/** A replica session whose LOAD DATA stream has one byte sequence replaced: a corrupted transfer. */
function corruptingReplica(from: string, to: string): MysqlSession {
  const replica = sessions.replica;
  return Object.assign(Object.create(replica) as MysqlSession, {
    loadDataLocal: (sql: string, source: () => Readable) =>
      replica.loadDataLocal(sql, () =>
        Readable.from(
          (async function* () {
            for await (const piece of source()) yield Buffer.from(String(piece).replace(from, to));
          })(),
        ),
      ),
  });
}

describe('a full copy checked by what it read', () => {
  it.each(['adversarial_innodb', 'adversarial'])(
    'copies %s byte for byte, checked by the fingerprint without reading the source twice',
    async (table) => {
      const statements: string[] = [];
      const source = beforeEachCall(sessions.source, async (sql) => {
        statements.push(sql);
      });
      const result = await copy(table, { source });
      expect(result).toMatchObject({ rows: ADVERSARIAL_ROWS.length, checkedBy: 'fingerprint' });
      expect(await hexRows(REPLICA, table)).toEqual(await hexRows(SOURCE, table));
      const reads = statements.filter((sql) => sql.includes(`FROM ${quoteMysql(table)}`));
      expect(reads.length).toBeGreaterThan(1);
      expect(reads.filter((sql) => /MD5|COUNT\(/.test(sql))).toEqual([]);
    },
  );

  it('compares with the source and repairs when a MyISAM source is written while read', async () => {
    let reads = 0;
    const source = beforeEachCall(sessions.source, async (sql) => {
      if (/FROM `adversarial`.* LIMIT/.test(sql) && ++reads === 2)
        await admin.execute(
          `UPDATE ${quoteMysql(SOURCE)}.adversarial SET vc = 'edited' WHERE id = 0`,
        );
    });
    const result = await copy('adversarial', { source });
    expect(result.checkedBy).toBe('source');
    expect(await hexRows(REPLICA, 'adversarial')).toEqual(await hexRows(SOURCE, 'adversarial'));
  });

  it('finds a transfer that changed a value, and repairs it from the source', async () => {
    const result = await copy('adversarial_innodb', {
      replica: corruptingReplica('dental', 'dentaL'),
    });
    expect(result.checkedBy).toBe('source');
    expect(await hexRows(REPLICA, 'adversarial_innodb')).toEqual(
      await hexRows(SOURCE, 'adversarial_innodb'),
    );
  });

  it('refuses a changed transfer of a table without a single-column key, naming no value', async () => {
    const failure = await copy('pairs', { replica: corruptingReplica('first', 'fir5t') }).catch(
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/differs from the rows read/);
    expect((failure as Error).message).not.toMatch(/fir/);
    const [shadows] = await admin.queryArrays(
      `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'pairs'`,
      [REPLICA],
    );
    expect(Number(shadows?.[0])).toBe(0);
  });
});
