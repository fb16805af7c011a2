/**
 * The logging port of the core. Fields are counts, names, durations and error classes only:
 * never a row value and never a credential (patient data is PHI). Implementations: pino files
 * locally (`local-logger.ts`), Powertools JSON in AWS.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/** Discards everything: for dry runs and tests that do not look at logs. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Keeps entries in memory; tests read `entries` (and scan them for canaries). */
export function memoryLogger(
  entries: { level: string; message: string; fields: LogFields }[] = [],
) {
  const make = (bindings: LogFields): Logger & { entries: typeof entries } => ({
    entries,
    debug: (message, fields) =>
      entries.push({ level: 'debug', message, fields: { ...bindings, ...fields } }),
    info: (message, fields) =>
      entries.push({ level: 'info', message, fields: { ...bindings, ...fields } }),
    warn: (message, fields) =>
      entries.push({ level: 'warn', message, fields: { ...bindings, ...fields } }),
    error: (message, fields) =>
      entries.push({ level: 'error', message, fields: { ...bindings, ...fields } }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}
