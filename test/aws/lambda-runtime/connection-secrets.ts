import { randomBytes } from 'node:crypto';
import { quoteMysql } from '../../../core/db/identifiers';
import { LOCAL_MYSQL, LOCAL_PG } from '../../helpers/local-databases';
import type { PipelineFixture } from '../../helpers/pipeline-fixture';

/** What a connection's secret holds: its own host, port and database, never the template's. */
export interface ConnectionSecret {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname: string;
}

export type ConnectionName = 'source' | 'replication' | 'analytics';

export interface ConnectionSecrets {
  values: Record<ConnectionName, ConnectionSecret>;
  /** The passwords in the secrets: credentials that must never leave a function. */
  passwords: string[];
  /** Drops the MariaDB user. */
  drop(): Promise<void>;
}

/**
 * The secrets of a fixture's three databases. On MariaDB the functions log in as a user of their
 * own with a random password (read-only on the source, all on the replica), so only the secret
 * can let them in; PostgreSQL trusts local connections here, so its password is carried, not
 * checked.
 */
export async function connectionSecrets(fx: PipelineFixture): Promise<ConnectionSecrets> {
  const user = `etlt_bundles_${process.pid}`;
  const account = `'${user}'@'${LOCAL_MYSQL.host}'`;
  const mysqlPassword = `pw-${randomBytes(9).toString('hex')}`;
  const pgPassword = `pg-${randomBytes(9).toString('hex')}`;
  await fx.admin.execute(`DROP USER IF EXISTS ${account}`);
  await fx.admin.execute(`CREATE USER ${account} IDENTIFIED BY '${mysqlPassword}'`);
  await fx.admin.execute(
    `GRANT SELECT, SHOW VIEW ON ${quoteMysql(fx.names.source)}.* TO ${account}`,
  );
  await fx.admin.execute(`GRANT ALL ON ${quoteMysql(fx.names.replica)}.* TO ${account}`);
  const mysql = {
    host: LOCAL_MYSQL.host,
    port: LOCAL_MYSQL.port,
    username: user,
    password: mysqlPassword,
  };
  return {
    values: {
      source: { ...mysql, dbname: fx.names.source },
      replication: { ...mysql, dbname: fx.names.replica },
      analytics: {
        host: LOCAL_PG.host,
        port: LOCAL_PG.port,
        username: LOCAL_PG.user,
        password: pgPassword,
        dbname: fx.names.analytics,
      },
    },
    passwords: [mysqlPassword, pgPassword],
    drop: async () => {
      await fx.admin.execute(`DROP USER IF EXISTS ${account}`);
    },
  };
}
