import { z } from 'zod';
import { bool, int } from './schema-primitives';

/**
 * `aws.databases`: the replica and the analytics database provisioned by the stack as RDS
 * instances. Each is optional: without it, the connection's own server is used (the default).
 */
const instance = (engineVersion: string) => ({
  instance_class: z.string().default('db.t4g.medium'),
  engine_version: z.string().default(engineVersion),
  allocated_storage_gb: int(20, 65_536).default(100),
  multi_az: bool().default(false),
  backup_retention_days: int(1, 35).default(7),
  deletion_protection: bool().default(true),
});

export const DatabasesSchema = z
  .strictObject({
    /** The replica as RDS for MariaDB (connections.replication). */
    replica: z.strictObject(instance('10.11')).optional(),
    /** The analytics database as RDS for PostgreSQL (connections.analytics). */
    analytics: z.strictObject(instance('16')).optional(),
  })
  .prefault({});

export type DatabasesConfig = z.infer<typeof DatabasesSchema>;
