import { z } from 'zod';
import { DatabasesSchema } from './databases-schema';
import { environmentName } from './environment';
import { NetworkSchema } from './network-schema';
import { bool, identifierish, int } from './schema-primitives';

/** `aws` of pipeline.yml: where and how the stack is deployed. */
export const AwsSchema = z
  .strictObject({
    /**
     * The environment this file describes (`dev`, `prod`): selected by `cdk deploy -c env=…`,
     * appended to the stack name, part of every secret's name (config/environment.ts).
     */
    environment: environmentName().optional(),
    region: z.string().default('us-east-1'),
    /**
     * The account the stack deploys to. With `network.type: existing_vpc` the lookup needs one:
     * this, else `cdk … -c account=…`, else `CDK_DEFAULT_ACCOUNT` (the cdk CLI's credentials).
     */
    account: z
      .preprocess(
        // Unquoted in YAML it is a number (and loses a leading zero: hence the hint).
        (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : v),
        z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id, quoted'),
      )
      .optional(),
    /** How the runners reach the databases (config/network-schema.ts). */
    network: NetworkSchema,
    /** RDS instances the stack provisions for the replica and analytics (optional). */
    databases: DatabasesSchema,
    stack_name: identifierish().default('OpenDentalEtl'),
    /** The deployed state machine, for `run --target aws` (default: the stack output). */
    state_machine_arn: z.string().optional(),
    lambda_memory_mb: int(128, 10_240).default(1024),
    fargate_cpu: int(256, 16_384).default(1024),
    fargate_memory_mb: int(512, 122_880).default(2048),
    /** Alarm when a run takes longer than this. */
    max_run_minutes: int(1, 24 * 60).default(240),
    /**
     * Reserve Lambda concurrency, sized from `general.max_parallel_jobs` (opt-in: the account
     * must keep 100 unreserved, so a new account's default quota cannot hold it).
     */
    reserved_concurrency: bool().default(false),
  })
  .prefault({});
