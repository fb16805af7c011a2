import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogFields, Logger } from '../../core/runtime';

/** The core's logging port on Powertools' JSON logger (CloudWatch). Fields are counts and names only. */
export function powertoolsLogger(serviceName: string): Logger {
  const wrap = (logger: PowertoolsLogger): Logger => ({
    debug: (message, fields?: LogFields) => logger.debug(message, { ...fields }),
    info: (message, fields?: LogFields) => logger.info(message, { ...fields }),
    warn: (message, fields?: LogFields) => logger.warn(message, { ...fields }),
    error: (message, fields?: LogFields) => logger.error(message, { ...fields }),
    child: (bindings) => wrap(logger.createChild({ persistentKeys: { ...bindings } })),
  });
  return wrap(new PowertoolsLogger({ serviceName }));
}
