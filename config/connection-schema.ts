import { z } from 'zod';
import { bool, identifier, int } from './schema-primitives';
import { secret } from './secret-fields';
import { tlsRefusal } from './tls-policy';

/**
 * A connection's `tls` (config/tls-policy.ts): omitted, TLS with certificate checks to any host
 * that is not loopback and plaintext to loopback; `true`; `false`; or the CA to trust.
 */
const TlsSchema = z.union([
  bool(),
  z.strictObject({
    /** PEM file with the CA(s) that signed the server certificate; relative to pipeline.yml. */
    ca_file: z.string().min(1).optional(),
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
    tls: TlsSchema.optional(),
    /** Permits plaintext or unchecked TLS to a host that is not loopback; warned on every run. */
    allow_plaintext: bool().optional(),
    /** Secrets Manager secret (name or ARN) holding host/port/username/password in AWS. */
    secret_id: z.string().optional(),
    connect_timeout_seconds: int(1, 600).default(10),
  });

const MysqlConnectionSchema = connection({ port: 3306, database: 'opendental', user: 'root' });

/** `connections` of pipeline.yml: the source, the replica and the analytics database. */
export const ConnectionsSchema = z
  .strictObject({
    source: MysqlConnectionSchema.default({
      host: '127.0.0.1',
      port: 3306,
      database: 'opendental_source',
      user: 'root',
      password: '',
      connect_timeout_seconds: 10,
    }),
    replication: MysqlConnectionSchema.default({
      host: '127.0.0.1',
      port: 3306,
      database: 'opendental_replication',
      user: 'root',
      password: '',
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
        connect_timeout_seconds: 10,
        schemas: { raw: 'raw', public: 'public', meta: 'etl_meta' },
      }),
  })
  .superRefine((connections, ctx) => {
    for (const [name, connection] of Object.entries(connections)) {
      const refusal = tlsRefusal(name, connection);
      if (refusal)
        ctx.addIssue({
          code: 'custom',
          path: [name, ...refusal.key.split('.')],
          message: refusal.message,
        });
    }
  });
