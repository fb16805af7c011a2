/**
 * What the pipeline's MySQL/MariaDB sessions rely on, in one place: the adapter and the extract
 * set them per session, and the RDS replica's parameter group (infra/constructs/) sets the same
 * values as the server's defaults, so a replica the stack provisions behaves like the one the
 * tests run against.
 */

/**
 * OpenDental's own non-strict `sql_mode`, used by the replica writer: zero dates (`0000-00-00`)
 * are stored as they are, and an explicit key 0 stays 0 instead of taking the next
 * AUTO_INCREMENT value.
 */
export const REPLICA_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO';

/** Every session reads and writes times in UTC (the watermark is the source server's UTC now). */
export const MYSQL_SESSION_TIME_ZONE = '+00:00';

/** The character set of every session, of the replica's own tables and of `LOAD DATA`. */
export const MYSQL_CHARSET = 'utf8mb4';

/** The connection collation of every session (MariaDB's default for utf8mb4). */
export const MYSQL_COLLATION = 'utf8mb4_general_ci';
