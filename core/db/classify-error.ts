import {
  AuthenticationError,
  ConnectionLostError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  DatabaseError,
  DatabaseNotFoundError,
  DeadlockError,
  type ErrorContext,
  EtlError,
  HostNotFoundError,
  LockWaitTimeoutError,
  PermissionDeniedError,
  ReadOnlyViolationError,
  TlsError,
  TooManyConnectionsError,
  UnknownTableError,
} from '../../contract/errors';

/**
 * The one place where driver errors (mysql2, pg, node:net, node:tls) become the core's named
 * errors. Only the driver's error *code* is kept: driver messages can quote row values
 * ("Duplicate entry 'Smith' …") or user names, so they are never copied into ours.
 */
export function classifyDatabaseError(error: unknown, context: ErrorContext = {}): EtlError {
  if (error instanceof EtlError) return error;
  const { code, errno, message } = errorShape(error);
  const ctx = { ...context, code: code ?? (errno ? String(errno) : undefined) };
  const options = { cause: error };

  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HostNotFoundError('host name could not be resolved (DNS)', ctx, options);
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(
        'connection refused: is the server running and the port right?',
        ctx,
        options,
      );
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionTimeoutError('connection timed out or host unreachable', ctx, options);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'PROTOCOL_CONNECTION_LOST':
    case 'ER_SERVER_SHUTDOWN':
    case 'ER_CONNECTION_KILLED':
    case 'ER_NET_READ_ERROR':
    case 'ER_NET_READ_INTERRUPTED':
    case 'ER_NET_ERROR_ON_WRITE':
    case 'ER_NET_WRITE_INTERRUPTED':
    case 'ER_QUERY_INTERRUPTED':
    case '57P01': // admin_shutdown: pg_terminate_backend
    case '57P02': // crash_shutdown
    case '57P03': // cannot_connect_now: server starting up
    case '08000':
    case '08003':
    case '08006':
      return new ConnectionLostError(
        'connection lost (killed, reset or server restart)',
        ctx,
        options,
      );
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
    case '28P01':
    case '28000':
      return new AuthenticationError(
        'authentication failed: check the user and password',
        ctx,
        options,
      );
    case 'ER_BAD_DB_ERROR':
    case '3D000':
      return new DatabaseNotFoundError('database does not exist', ctx, options);
    case 'ER_LOCK_DEADLOCK':
    case '40P01':
      return new DeadlockError('deadlock detected', ctx, options);
    case 'ER_LOCK_WAIT_TIMEOUT':
    case '55P03':
      return new LockWaitTimeoutError('lock wait timeout', ctx, options);
    case 'ER_CON_COUNT_ERROR':
    case 'ER_TOO_MANY_USER_CONNECTIONS':
    case '53300':
      return new TooManyConnectionsError('too many connections on the server', ctx, options);
    case 'ER_TABLEACCESS_DENIED_ERROR':
    case 'ER_COLUMNACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
    case '42501':
      return new PermissionDeniedError('permission denied for this user', ctx, options);
    case 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION':
    case '25006':
      return new ReadOnlyViolationError('write refused: the session is read-only', ctx, options);
    case 'ER_NO_SUCH_TABLE':
    case '42P01':
      return new UnknownTableError('table does not exist', ctx, options);
    case 'HANDSHAKE_NO_SSL_SUPPORT':
    case 'HANDSHAKE_SSL_ERROR':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
    case 'CERT_NOT_YET_VALID':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return new TlsError('TLS negotiation failed: check the tls settings and CA', ctx, options);
  }
  // Errors without a code that pg and node raise with a fixed, value-free text. mysql2 marks
  // errors that closed the connection `fatal`; after a server-side KILL the next call fails
  // with "connection is in closed state" and no code.
  if (
    (error as { fatal?: unknown } | null)?.fatal === true ||
    /Connection terminated|Client has encountered a connection error|socket hang up|closed state/i.test(
      message,
    )
  ) {
    return new ConnectionLostError(
      'connection lost (killed, reset or server restart)',
      ctx,
      options,
    );
  }
  if (/does not support SSL|SSL connection|self[- ]signed certificate/i.test(message)) {
    return new TlsError('TLS negotiation failed: check the tls settings and CA', ctx, options);
  }
  if (/timeout exceeded when trying to connect|connect ETIMEDOUT/i.test(message)) {
    return new ConnectionTimeoutError('connection timed out or host unreachable', ctx, options);
  }
  return new DatabaseError('database error', ctx, options);
}

function errorShape(error: unknown): { code?: string; errno?: number; message: string } {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; errno?: unknown; message?: unknown };
    return {
      code: typeof e.code === 'string' ? e.code : undefined,
      errno: typeof e.errno === 'number' ? e.errno : undefined,
      message: typeof e.message === 'string' ? e.message : '',
    };
  }
  return { message: '' };
}

/** Makes a driver stream emit classified errors (no driver text, no values) instead of raw ones. */
export function classifyStreamErrors<S extends NodeJS.EventEmitter>(
  stream: S,
  connection: string,
): S {
  const emit = stream.emit.bind(stream);
  stream.emit = ((event: string | symbol, ...args: unknown[]) =>
    event === 'error'
      ? emit('error', classifyDatabaseError(args[0], { connection }))
      : emit(event, ...args)) as S['emit'];
  return stream;
}
