import { MYSQL_CHARSET, MYSQL_COLLATION, REPLICA_SQL_MODE } from '../../core/runtime';

/**
 * The server settings of the databases the stack provisions (`aws.databases`), as RDS parameter
 * groups. The replica's come from the constants its writer uses (core/db/mysql-session-settings.ts),
 * so the server's defaults are what every pipeline session sets for itself.
 */

/** RDS for MariaDB (the replica, `connections.replication`). */
export const REPLICA_PARAMETERS = {
  /** The extract writes with `LOAD DATA LOCAL INFILE` fed from a stream. */
  local_infile: '1',
  /** OpenDental's non-strict mode: zero dates and key 0 are stored as they are. */
  sql_mode: REPLICA_SQL_MODE,
  /**
   * The zone of the sessions' `MYSQL_SESSION_TIME_ZONE`, by name: RDS for MariaDB takes no
   * numeric offset here (test/infra/managed-database-parameters.test.ts checks they agree).
   */
  time_zone: 'UTC',
  /** TLS only: a connection without it is refused by the server. */
  require_secure_transport: '1',
  /** The database RDS creates (`connections.replication.database`) takes these. */
  character_set_server: MYSQL_CHARSET,
  collation_server: MYSQL_COLLATION,
  /**
   * No statement text in the server's logs: the general and slow query logs would carry the
   * values of the rows written (patient data). The audit plugin logs connections instead.
   */
  general_log: '0',
  slow_query_log: '0',
} as const;

/** The audit plugin's events: connections and failed logins, never statement text. */
export const REPLICA_AUDIT_EVENTS = 'CONNECT';

/** RDS for PostgreSQL (the analytics database, `connections.analytics`). */
export const ANALYTICS_PARAMETERS = {
  /** TLS only: a connection without it is refused by the server. */
  'rds.force_ssl': '1',
  /** Who connected, from where, and for how long (the audit trail HIPAA asks for). */
  log_connections: '1',
  log_disconnections: '1',
  /**
   * No statement text and no client error in the exported log: an error message can quote the
   * value it refused (`invalid input syntax …: "…"`), and statements carry row values. `log`
   * keeps connections, checkpoints, FATAL and PANIC; the pipeline reports its own errors
   * (classified, without values).
   */
  log_statement: 'none',
  log_min_duration_statement: '-1',
  log_min_error_statement: 'panic',
  log_min_messages: 'log',
  log_error_verbosity: 'terse',
} as const;
