import { z } from 'zod';
import { bool, identifier, int } from './schema-primitives';
import { secret } from './secret-fields';

/** `connections` of pipeline.yml: the source, the replica and the analytics database. */
const TlsSchema = z.union([
  bool(),
  z.strictObject({
    /** PEM file with the CA that signed the server certificate. */
    ca_file: z.string().optional(),
    reject_unauthorized: bool().default(true),
  }),
]);

const connection = (defaults: { port: number; database: string; user: string }) =>
  z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: int(1, 65535).default(defaults.port),
    database: identifier().default(defaults.database),
    user: z.string().min(1).default(defaults.user),
    password: secret(z.string()).default(''),
    tls: TlsSchema.default(false),
    /** Secrets Manager secret (name or ARN) holding host/port/username/password in AWS. */
    secret_id: z.string().optional(),
    connect_timeout_seconds: int(1, 600).default(10),
  });

const MysqlConnectionSchema = connection({ port: 3306, database: 'opendental', user: 'root' });

export const ConnectionsSchema = z.strictObject({
  source: MysqlConnectionSchema.default({
    host: '127.0.0.1',
    port: 3306,
    database: 'opendental_source',
    user: 'root',
    password: '',
    tls: false,
    connect_timeout_seconds: 10,
  }),
  replication: MysqlConnectionSchema.default({
    host: '127.0.0.1',
    port: 3306,
    database: 'opendental_replication',
    user: 'root',
    password: '',
    tls: false,
    connect_timeout_seconds: 10,
  }),
  analytics: connection({ port: 5432, database: 'opendental_analytics', user: 'postgres' })
    .extend({
      schemas: z
        .strictObject({
          raw: identifier().default('raw'),
          public: identifier().default('public'),
          meta: identifier().default('etl_meta'),
        })
        .default({ raw: 'raw', public: 'public', meta: 'etl_meta' }),
    })
    .default({
      host: '127.0.0.1',
      port: 5432,
      database: 'opendental_analytics',
      user: 'postgres',
      password: '',
      tls: false,
      connect_timeout_seconds: 10,
      schemas: { raw: 'raw', public: 'public', meta: 'etl_meta' },
    }),
});
