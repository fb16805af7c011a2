import { describe, expect, it } from 'vitest';
import { isTransient, TRANSIENT_ERROR_NAMES } from '../../contract/errors';
import { classifyDatabaseError } from '../../core/db/classify-error';

const driverError = (
  code: string,
  message = `driver says: Duplicate entry 'Smith, Jane' for key`,
) => Object.assign(new Error(message), { code });

describe('classifyDatabaseError', () => {
  it.each([
    ['ECONNREFUSED', 'ConnectionRefusedError', true],
    ['ENOTFOUND', 'HostNotFoundError', false],
    ['PROTOCOL_CONNECTION_LOST', 'ConnectionLostError', true],
    ['57P01', 'ConnectionLostError', true],
    ['ER_LOCK_DEADLOCK', 'DeadlockError', true],
    ['40P01', 'DeadlockError', true],
    ['ER_LOCK_WAIT_TIMEOUT', 'LockWaitTimeoutError', true],
    ['ER_CON_COUNT_ERROR', 'TooManyConnectionsError', true],
    ['53300', 'TooManyConnectionsError', true],
    ['ER_ACCESS_DENIED_ERROR', 'AuthenticationError', false],
    ['28P01', 'AuthenticationError', false],
    ['ER_BAD_DB_ERROR', 'DatabaseNotFoundError', false],
    ['3D000', 'DatabaseNotFoundError', false],
    ['ER_TABLEACCESS_DENIED_ERROR', 'PermissionDeniedError', false],
    ['ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', 'ReadOnlyViolationError', false],
    ['HANDSHAKE_NO_SSL_SUPPORT', 'TlsError', false],
    ['ER_DUP_ENTRY', 'DatabaseError', false],
  ])('%s becomes %s (transient: %s)', (code, name, transient) => {
    const error = classifyDatabaseError(driverError(code), {
      connection: 'source',
      table: 'patient',
    });
    expect(error.name).toBe(name);
    expect(isTransient(error)).toBe(transient);
    expect(error.message).toContain('table patient');
    expect(error.message).toContain(`[${code}]`);
  });

  it('never copies the driver message, which can quote row values', () => {
    const error = classifyDatabaseError(driverError('ER_DUP_ENTRY'));
    expect(error.message).not.toContain('Smith');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('recognises pg connection loss without a code', () => {
    const error = classifyDatabaseError(new Error('Connection terminated unexpectedly'));
    expect(error.name).toBe('ConnectionLostError');
  });

  it('recognises a mysql2 connection closed by a server-side KILL (fatal, no code)', () => {
    const error = classifyDatabaseError(
      Object.assign(new Error("Can't add new command when connection is in closed state"), {
        fatal: true,
      }),
    );
    expect(error.name).toBe('ConnectionLostError');
  });

  it('the Retry list names exactly the transient classes', () => {
    for (const name of TRANSIENT_ERROR_NAMES) {
      const code = {
        ConnectionLostError: 'ECONNRESET',
        ConnectionRefusedError: 'ECONNREFUSED',
        ConnectionTimeoutError: 'ETIMEDOUT',
        DeadlockError: 'ER_LOCK_DEADLOCK',
        LockWaitTimeoutError: 'ER_LOCK_WAIT_TIMEOUT',
        TooManyConnectionsError: 'ER_CON_COUNT_ERROR',
      }[name];
      const error = classifyDatabaseError(driverError(code));
      expect(error.name).toBe(name);
      expect(isTransient(error)).toBe(true);
    }
  });
});
