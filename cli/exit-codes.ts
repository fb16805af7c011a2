import {
  AuthenticationError,
  ConfigError,
  ConnectionRefusedError,
  ConnectionTimeoutError,
  DatabaseNotFoundError,
  EtlError,
  HostNotFoundError,
  TlsError,
  UnknownTableError,
} from '../core/errors';

/** Exit codes of every command: documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Some tables failed, or a verification found differences. */
  failed: 1,
  /** Usage or configuration error. */
  usage: 2,
  /** A database could not be reached. */
  connect: 3,
} as const;

const CONNECT_ERRORS = [
  ConnectionRefusedError,
  ConnectionTimeoutError,
  HostNotFoundError,
  AuthenticationError,
  DatabaseNotFoundError,
  TlsError,
];

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UnknownTableError) return EXIT.usage;
  if (CONNECT_ERRORS.some((cls) => error instanceof cls)) return EXIT.connect;
  return EXIT.failed;
}

/** One line (or block) for the terminal: our messages are PHI-free; foreign errors show only their class. */
export function describeError(error: unknown): string {
  if (error instanceof EtlError) return `${error.name}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: unexpected error (see logs for the stack)`;
  return 'unexpected error';
}
