import { EtlError } from '../contract/errors';

/** Exit codes of every command: documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Some tables failed, a verification found differences, or another run holds the lock. */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** A database could not be reached. */
  connect: 3,
} as const;

/** Error classes (by `name`, as they also come back from the state machine) that mean bad input. */
const USAGE_ERRORS: ReadonlySet<string> = new Set(['ConfigError', 'UnknownTableError']);

/**
 * Error classes that mean a database could not be reached at all. A connection that was reached
 * and then lost (`ConnectionLostError`) is a failure of the run (1), not of reaching it.
 */
const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ConnectionRefusedError',
  'ConnectionTimeoutError',
  'HostNotFoundError',
  'AuthenticationError',
  'DatabaseNotFoundError',
  'TlsError',
]);

/** The exit code of an error class, by its name: the one mapping, for thrown errors and for the names a state machine execution fails with. */
export function exitCodeForErrorName(name: string): number {
  if (USAGE_ERRORS.has(name)) return EXIT.usage;
  if (CONNECT_ERRORS.has(name)) return EXIT.connect;
  return EXIT.failed;
}

export function exitCodeFor(error: unknown): number {
  return error instanceof EtlError ? exitCodeForErrorName(error.name) : EXIT.failed;
}

/** One line (or block) for the terminal: our messages are PHI-free; foreign errors show only their class. */
export function describeError(error: unknown): string {
  if (error instanceof EtlError) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: unexpected error (see logs for the stack)`;
  return 'unexpected error';
}
