import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root directory. Its own module (no CDK) so that the local runner can name the
 * ECS entrypoint's working directory without loading aws-cdk-lib through `build-app.ts`.
 */
export const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
