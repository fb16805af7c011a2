import { Command } from '@commander-js/extra-typings';
import type { PipelineConfig } from '../../config/schema';
import { EtlError, ReadOnlyViolationError } from '../../contract/errors';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import { configFrom } from '../config-context';
import { EXIT } from '../exit-codes';

export interface ConnectionCheck {
  connection: 'source' | 'replication' | 'analytics';
  ok: boolean;
  detail: string;
}

/**
 * Reaches the three databases: server version, the user's privileges, and proof that the source
 * session is read-only (a write to a temporary table is refused by the server). Failures carry the
 * named reason (DNS, refused, auth, TLS, missing database) and never the password.
 */
export async function checkConnections(config: PipelineConfig): Promise<ConnectionCheck[]> {
  const { source, replication, analytics } = config.connections;
  const checks: ConnectionCheck[] = [];
  const attempt = async (
    connection: ConnectionCheck['connection'],
    probe: () => Promise<string>,
  ) => {
    try {
      checks.push({ connection, ok: true, detail: await probe() });
    } catch (error) {
      checks.push({
        connection,
        ok: false,
        detail: error instanceof EtlError ? `${error.name}: ${error.message}` : 'unexpected error',
      });
    }
  };
  await attempt('source', async () => {
    const s = await openMysql(source, { label: 'source', readOnly: true });
    try {
      const [v] = await s.queryArrays('SELECT VERSION(), CURRENT_USER()');
      const grants = await s.queryArrays('SHOW GRANTS');
      let readOnly = 'NOT read-only';
      try {
        await s.execute('CREATE TEMPORARY TABLE _etl_write_probe (a INT)');
      } catch (error) {
        if (error instanceof ReadOnlyViolationError)
          readOnly = 'read-only (the server refused a write)';
        else throw error;
      }
      if (readOnly === 'NOT read-only')
        throw new ReadOnlyViolationError('the source session accepted a write', {
          connection: 'source',
        });
      return `${v?.[0]} as ${v?.[1]}; ${grants.length} grant(s); session ${readOnly}; database ${source.database}`;
    } finally {
      await s.close();
    }
  });
  await attempt('replication', async () => {
    const s = await openMysql(replication, {
      label: 'replication',
      readOnly: false,
      database: null,
    });
    try {
      const [v] = await s.queryArrays('SELECT VERSION(), CURRENT_USER(), @@local_infile');
      const [db] = await s.queryArrays(
        'SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [replication.database],
      );
      return `${v?.[0]} as ${v?.[1]}; local_infile ${Number(v?.[2]) === 1 ? 'on' : 'OFF (bulk copies need it)'}; database ${replication.database} ${Number(db?.[0]) ? 'exists' : 'will be created on the first run'}`;
    } finally {
      await s.close();
    }
  });
  await attempt('analytics', async () => {
    const s = await openPg(analytics, { label: 'analytics' });
    try {
      const [v] = await s.query<{ v: string; u: string; c: string }>(
        "SELECT current_setting('server_version') AS v, current_user AS u, has_database_privilege(current_database(), 'CREATE')::text AS c",
      );
      return `PostgreSQL ${v?.v} as ${v?.u}; CREATE on ${analytics.database}: ${v?.c === 'true' ? 'yes' : 'NO'}`;
    } finally {
      await s.close();
    }
  });
  return checks;
}

export function testConnectionsCommand(): Command {
  return new Command('test-connections')
    .description(
      'check the source, replica and analytics databases: version, privileges, read-only source session',
    )
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const checks = await checkConnections(configFrom(options).pipeline);
      for (const c of checks)
        console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.connection.padEnd(12)} ${c.detail}`);
      process.exitCode = checks.every((c) => c.ok) ? EXIT.ok : EXIT.connect;
    });
}
