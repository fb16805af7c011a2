import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretReader } from '../../core/runtime';

/** Secrets Manager through Powertools: JSON secrets, cached five minutes across invocations. */
export const readJsonSecret: SecretReader = (secretId) =>
  getSecret(secretId, { transform: 'json', maxAge: 300 });
