/**
 * Every error the core throws is one of these classes. Step Functions matches `error.name`
 * against `ErrorEquals`, so each class sets `name`; Retry lists only the transient names.
 *
 * Messages name the table, the stage and the cause. They never carry row values (patient data
 * is PHI) or credentials: driver messages are not copied in, only driver error codes.
 */

export type Stage =
  | 'discover'
  | 'extract'
  | 'load'
  | 'transform'
  | 'seed'
  | 'connect'
  | 'config'
  | 'plan';

export interface ErrorContext {
  /** Which connection the error came from: `source`, `replication`, `analytics`. */
  connection?: string;
  table?: string;
  stage?: Stage;
  /** Driver error code (e.g. `ER_LOCK_DEADLOCK`, `57P01`): safe to print, never a value. */
  code?: string;
}

export abstract class EtlError extends Error {
  abstract readonly transient: boolean;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(withContext(message, context), options);
    this.context = context;
  }
}

function withContext(message: string, context: ErrorContext): string {
  const where = [
    context.table && `table ${context.table}`,
    context.stage && `stage ${context.stage}`,
    context.connection && `connection ${context.connection}`,
  ]
    .filter(Boolean)
    .join(', ');
  const code = context.code ? ` [${context.code}]` : '';
  return where ? `${where}: ${message}${code}` : `${message}${code}`;
}

/** Worth retrying: the same call may succeed a little later. */
export abstract class TransientError extends EtlError {
  readonly transient = true;
}

/** Retrying will not help: a person has to change something. */
export abstract class TerminalError extends EtlError {
  readonly transient = false;
}

export class ConnectionLostError extends TransientError {
  override name = 'ConnectionLostError';
}
export class ConnectionRefusedError extends TransientError {
  override name = 'ConnectionRefusedError';
}
export class ConnectionTimeoutError extends TransientError {
  override name = 'ConnectionTimeoutError';
}
export class DeadlockError extends TransientError {
  override name = 'DeadlockError';
}
export class LockWaitTimeoutError extends TransientError {
  override name = 'LockWaitTimeoutError';
}
export class TooManyConnectionsError extends TransientError {
  override name = 'TooManyConnectionsError';
}

export class HostNotFoundError extends TerminalError {
  override name = 'HostNotFoundError';
}
export class AuthenticationError extends TerminalError {
  override name = 'AuthenticationError';
}
export class DatabaseNotFoundError extends TerminalError {
  override name = 'DatabaseNotFoundError';
}
export class TlsError extends TerminalError {
  override name = 'TlsError';
}
export class PermissionDeniedError extends TerminalError {
  override name = 'PermissionDeniedError';
}
export class ReadOnlyViolationError extends TerminalError {
  override name = 'ReadOnlyViolationError';
}
export class ConfigError extends TerminalError {
  override name = 'ConfigError';
}
/** Another run holds the analytics database: a second one would interleave its writes. */
export class RunInProgressError extends TerminalError {
  override name = 'RunInProgressError';
}
export class UnknownTableError extends TerminalError {
  override name = 'UnknownTableError';
}
/** Data that breaks a contract: counts or checksums that should match and do not. */
export class ValidationError extends TerminalError {
  override name = 'ValidationError';
}
/** A database error the classifier does not know; terminal so that it is looked at. */
export class DatabaseError extends TerminalError {
  override name = 'DatabaseError';
}

/** Names Step Functions' Retry should list. Kept next to the classes so they cannot drift. */
export const TRANSIENT_ERROR_NAMES = [
  'ConnectionLostError',
  'ConnectionRefusedError',
  'ConnectionTimeoutError',
  'DeadlockError',
  'LockWaitTimeoutError',
  'TooManyConnectionsError',
] as const;

export function isTransient(error: unknown): boolean {
  return error instanceof EtlError && error.transient;
}
