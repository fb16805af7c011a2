import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeFor, exitCodeForErrorName } from '../../cli/exit-codes';
import {
  AuthenticationError,
  ConfigError,
  ConnectionLostError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  DatabaseNotFoundError,
  DeadlockError,
  HostNotFoundError,
  RunInProgressError,
  TlsError,
  UnknownTableError,
  ValidationError,
} from '../../contract/errors';

/** One error class, one exit code: thrown in-process or named by a failed state machine run. */
const EXPECTED: [Error, number][] = [
  [new ConfigError('x'), EXIT.usage],
  [new UnknownTableError('x'), EXIT.usage],
  [new ConnectionRefusedError('x'), EXIT.connect],
  [new ConnectionTimeoutError('x'), EXIT.connect],
  [new HostNotFoundError('x'), EXIT.connect],
  [new AuthenticationError('x'), EXIT.connect],
  [new DatabaseNotFoundError('x'), EXIT.connect],
  [new TlsError('x'), EXIT.connect],
  // Reached, then lost: the run failed; the database was not unreachable.
  [new ConnectionLostError('x'), EXIT.failed],
  [new DeadlockError('x'), EXIT.failed],
  [new ValidationError('x'), EXIT.failed],
  [new RunInProgressError('x'), EXIT.failed],
];

describe('exit codes by error class', () => {
  it.each(EXPECTED.map(([error, code]) => [error.name, error, code] as const))(
    '%s exits the same whether thrown or named by the state machine',
    (_name, error, code) => {
      expect(exitCodeFor(error)).toBe(code);
      expect(exitCodeForErrorName(error.name)).toBe(code);
    },
  );

  it('gives anything unknown 1', () => {
    expect(exitCodeFor(new TypeError('boom'))).toBe(EXIT.failed);
    expect(exitCodeForErrorName('States.TaskFailed')).toBe(EXIT.failed);
  });
});
