import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { LogFields, Logger } from './logger';

/**
 * Local log files as JSON lines: `<dir>/pipeline.log` (info and up) and `<dir>/errors.log`
 * (errors). A file from an earlier day is renamed `pipeline-YYYY-MM-DD.log` when logging starts,
 * and rotated files older than `retentionDays` are deleted. Fields named like credentials are
 * redacted as a second line of defence; the core only ever logs names, counts and error classes.
 */
export function createLocalLogger(options: {
  dir: string;
  retentionDays: number;
  now?: Date;
}): Logger & { flush(): void } {
  const now = options.now ?? new Date();
  mkdirSync(options.dir, { recursive: true });
  for (const name of ['pipeline', 'errors']) rotate(options.dir, name, now, options.retentionDays);
  const streams = pino.multistream([
    {
      level: 'info',
      stream: pino.destination({
        dest: join(options.dir, 'pipeline.log'),
        sync: true,
        mkdir: true,
      }),
    },
    {
      level: 'error',
      stream: pino.destination({ dest: join(options.dir, 'errors.log'), sync: true, mkdir: true }),
    },
  ]);
  const root = pino(
    {
      level: 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'secret', 'token', 'authorization'],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    streams,
  );
  const wrap = (logger: pino.Logger): Logger & { flush(): void } => ({
    debug: (message, fields?: LogFields) => logger.debug({ ...fields }, message),
    info: (message, fields?: LogFields) => logger.info({ ...fields }, message),
    warn: (message, fields?: LogFields) => logger.warn({ ...fields }, message),
    error: (message, fields?: LogFields) => logger.error({ ...fields }, message),
    child: (bindings) => wrap(logger.child({ ...bindings })),
    flush: () => logger.flush(),
  });
  return wrap(root);
}

function rotate(dir: string, name: string, now: Date, retentionDays: number): void {
  const current = join(dir, `${name}.log`);
  if (existsSync(current)) {
    const day = statSync(current).mtime.toISOString().slice(0, 10);
    if (day !== now.toISOString().slice(0, 10))
      renameSync(current, join(dir, `${name}-${day}.log`));
  }
  const oldest = new Date(now.getTime() - retentionDays * 86_400_000).toISOString().slice(0, 10);
  for (const file of readdirSync(dir)) {
    const match = new RegExp(`^${name}-(\\d{4}-\\d{2}-\\d{2})\\.log$`).exec(file);
    if (match?.[1] && match[1] < oldest) unlinkSync(join(dir, file));
  }
}
