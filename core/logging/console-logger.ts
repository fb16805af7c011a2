import type { Logger } from './logger';

/** JSON lines on stdout: the container's log driver ships them to CloudWatch. */
export function consoleLogger(bindings: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ level, message, ...bindings, ...fields })}\n`);
  return {
    debug: () => {},
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger({ ...bindings, ...more }),
  };
}
