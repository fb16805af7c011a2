import { CfnOutput } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../../config/schema';

/** The database connections whose credentials live in Secrets Manager. */
export const CONNECTIONS = ['source', 'replication', 'analytics'] as const;
export type ConnectionName = (typeof CONNECTIONS)[number];

export interface SecretsProps {
  /** `connections` of pipeline.yml: each one's `secret_id`, if any. */
  readonly connections: Pick<PipelineConfig['connections'], ConnectionName>;
  /** Encrypts the placeholder secrets. */
  readonly encryptionKey: kms.IKey;
  /**
   * Names the placeholder secrets `<namePrefix>/<connection>` (an environment's stack name, so
   * dev and prod never share one); without it CloudFormation generates their names.
   */
  readonly namePrefix?: string;
  /** The generated secrets of the databases the stack provisions (`aws.databases`). */
  readonly managed?: Readonly<Partial<Record<ConnectionName, secretsmanager.ISecret>>>;
}

/**
 * One Secrets Manager secret per connection: the generated secret of a database the stack
 * provisions, the existing secret named by its `secret_id`, or, without either, a placeholder
 * encrypted with the pipeline's key for the operator to fill in.
 */
export class Secrets extends Construct {
  readonly byConnection: Readonly<Record<ConnectionName, secretsmanager.ISecret>>;

  constructor(scope: Construct, id: string, props: SecretsProps) {
    super(scope, id);
    this.byConnection = Object.fromEntries(
      CONNECTIONS.map((name) => {
        // The configuration refuses a secret_id beside aws.databases (managedDatabaseConflicts).
        const managed = props.managed?.[name];
        if (managed) return [name, managed];
        const secretId = props.connections[name].secret_id;
        const secret = secretId
          ? secretsmanager.Secret.fromSecretNameV2(this, `${name}Secret`, secretId)
          : new secretsmanager.Secret(this, `${name}Secret`, {
              secretName: props.namePrefix && `${props.namePrefix}/${name}`,
              description: `OpenDental ETL ${name} connection (fill in host, port, username, password)`,
              encryptionKey: props.encryptionKey,
            });
        // What `aws secretsmanager put-secret-value --secret-id` takes (docs/deploy.md, step 7):
        // the configured name of an imported secret (its ARN here would be partial), else the ARN.
        new CfnOutput(this, `${name}SecretId`, {
          description: `The ${name} connection's secret: host, port, username, password, dbname`,
          value: secretId ?? secret.secretArn,
        }).overrideLogicalId(`${name[0]?.toUpperCase()}${name.slice(1)}SecretId`);
        return [name, secret];
      }),
    ) as Record<ConnectionName, secretsmanager.ISecret>;
  }
}
