import { z } from 'zod';
import { cidr } from './network-schema';
import { bool, int } from './schema-primitives';

/**
 * `aws.databases`: the replica and the analytics database provisioned by the stack as RDS
 * instances. Each is optional: without it, the connection's own server is used (the default).
 */
const instance = <V extends z.ZodType<string>>(engineVersion: V) => ({
  instance_class: z
    .string()
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.t4g.medium')
    .default('db.t4g.medium'),
  engine_version: engineVersion,
  allocated_storage_gb: int(20, 65_536).default(100),
  multi_az: bool().default(false),
  backup_retention_days: int(1, 35).default(7),
  deletion_protection: bool().default(true),
  /**
   * Networks besides the runners that may open the database's port: the analysts' BI tools, the
   * operator's workstation running `etl-pipeline verify` (through the VPN, say). Default none.
   */
  admit_cidrs: z.array(cidr()).default([]),
});

export const DatabasesSchema = z
  .strictObject({
    /** The replica as RDS for MariaDB (connections.replication). */
    replica: z
      .strictObject(
        instance(
          z
            .string()
            // 10.5 is the first MariaDB whose RDS parameter group can require TLS.
            .regex(
              /^(10\.([5-9]|1\d)|1[1-9]\.\d+)(\.\d+)?$/,
              'must be a MariaDB version 10.5 or later, such as 10.11 or 10.11.9',
            )
            .default('10.11'),
        ),
      )
      .optional(),
    /** The analytics database as RDS for PostgreSQL (connections.analytics). */
    analytics: z
      .strictObject(
        instance(
          z
            .string()
            .regex(
              /^(1[3-9]|[2-9]\d)(\.\d+)?$/,
              'must be a PostgreSQL version 13 or later, such as 16 or 16.4',
            )
            .default('16'),
        ),
      )
      .optional(),
  })
  .prefault({});

export type DatabasesConfig = z.infer<typeof DatabasesSchema>;
export type ManagedDatabaseConfig = NonNullable<DatabasesConfig['replica']>;

/** Which connection each managed database serves. */
export const MANAGED_CONNECTIONS = { replica: 'replication', analytics: 'analytics' } as const;
export type ManagedDatabaseName = keyof typeof MANAGED_CONNECTIONS;

interface ManagedConfigPart {
  aws: { databases: DatabasesConfig };
  connections: Record<
    (typeof MANAGED_CONNECTIONS)[ManagedDatabaseName],
    { secret_id?: string; tls?: unknown }
  >;
}

/**
 * What a configuration with `aws.databases` must not also say: a `secret_id` for the same
 * connection (the stack generates that database's secret), or `tls: false` for it (the
 * provisioned server refuses connections without TLS). Each problem names the key.
 */
export function managedDatabaseConflicts(
  config: ManagedConfigPart,
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  for (const [name, connectionName] of Object.entries(MANAGED_CONNECTIONS)) {
    if (!config.aws.databases[name as ManagedDatabaseName]) continue;
    const connection = config.connections[connectionName];
    if (connection.secret_id !== undefined) {
      problems.push({
        path: ['connections', connectionName, 'secret_id'],
        message: `must not be set with aws.databases.${name}: the stack generates that database's secret (remove one of the two)`,
      });
    }
    if (connection.tls === false) {
      problems.push({
        path: ['connections', connectionName, 'tls'],
        message: `must not be false with aws.databases.${name}: the provisioned database accepts TLS connections only (leave tls out)`,
      });
    }
  }
  return problems;
}
