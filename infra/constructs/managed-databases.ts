import { CfnOutput, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type DatabasesConfig,
  MANAGED_CONNECTIONS,
  type ManagedDatabaseConfig,
  type ManagedDatabaseName,
} from '../../config/databases-schema';
import { acknowledgeManagedDatabase } from '../nag-acknowledgements';
import {
  ANALYTICS_PARAMETERS,
  REPLICA_AUDIT_EVENTS,
  REPLICA_PARAMETERS,
} from './database-parameters';
import type { DatabaseWindows } from './database-windows';
import type { RunnerNetwork } from './network';

export interface ManagedDatabasesProps {
  /** `aws.databases`: which databases to provision, and how. */
  readonly databases: DatabasesConfig;
  /** The database each one is created with: `connections.<name>.database`. */
  readonly databaseNames: Readonly<Record<ManagedDatabaseName, string>>;
  /** The runners' VPC, subnets and security group: the databases admit that group only. */
  readonly network: RunnerNetwork;
  /** Encrypts the storage (hence backups and snapshots) and the generated secrets. */
  readonly encryptionKey: kms.IKey;
  /** Backup, maintenance and rotation windows clear of the nightly run (database-windows.ts). */
  readonly windows?: DatabaseWindows;
  /**
   * The VPC's Secrets Manager interface endpoint, if any: the rotation functions call Secrets
   * Manager through it; without one, through the NAT gateway (HTTPS to any address).
   */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
}

/** The master user of each provisioned database: the runners' user (they create the tables). */
export const MASTER_USERNAME = 'etl_admin';

/** The secret rotates this often when no window is known (database-windows.ts). */
const ROTATION_DAYS = 30;

/**
 * The replica (RDS for MariaDB) and the analytics database (RDS for PostgreSQL), each only if
 * configured in `aws.databases`. Each has its own parameter group (TLS forced, the settings the
 * pipeline's sessions rely on), encrypted storage, automated backups, a final snapshot when
 * deleted, deletion protection, enhanced monitoring, CloudWatch log exports without statement
 * text, and a generated master secret rotated by a function inside the VPC. Only the runners'
 * security group reaches its port.
 */
export class ManagedDatabases extends Construct {
  readonly instances: Partial<Record<ManagedDatabaseName, rds.DatabaseInstance>> = {};
  /** Each provisioned database's generated secret, by the connection it serves. */
  readonly secrets: Partial<
    Record<(typeof MANAGED_CONNECTIONS)[ManagedDatabaseName], secretsmanager.ISecret>
  > = {};

  constructor(scope: Construct, id: string, props: ManagedDatabasesProps) {
    super(scope, id);
    for (const name of Object.keys(MANAGED_CONNECTIONS) as ManagedDatabaseName[]) {
      const config = props.databases[name];
      if (!config) continue;
      const instance = this.createInstance(name, config, props);
      this.instances[name] = instance;
      // Set by fromGeneratedSecret: the instance always has its secret.
      this.secrets[MANAGED_CONNECTIONS[name]] = instance.secret as secretsmanager.ISecret;
    }
  }

  private createInstance(
    name: ManagedDatabaseName,
    config: ManagedDatabaseConfig,
    props: ManagedDatabasesProps,
  ): rds.DatabaseInstance {
    const { network } = props;
    const label = name === 'replica' ? 'Replica' : 'Analytics';
    const scope = new Construct(this, label);
    const engine = ENGINES[name].engine(config.engine_version);
    const port = ENGINES[name].port;
    const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
      vpc: network.vpc,
      description: `OpenDental ETL ${name} database: the runners and its rotation function only`,
      allowAllOutbound: false,
    });
    const instance = new rds.DatabaseInstance(scope, 'Instance', {
      engine,
      instanceType: new ec2.InstanceType(config.instance_class.replace(/^db\./, '')),
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      securityGroups: [securityGroup],
      publiclyAccessible: false,
      port,
      credentials: rds.Credentials.fromGeneratedSecret(MASTER_USERNAME, {
        encryptionKey: props.encryptionKey,
      }),
      databaseName: props.databaseNames[name],
      parameterGroup: new rds.ParameterGroup(scope, 'Parameters', {
        engine,
        description: `OpenDental ETL ${name}: TLS only, the settings the pipeline relies on`,
        parameters: { ...ENGINES[name].parameters },
      }),
      optionGroup: ENGINES[name].optionGroup?.(scope, engine),
      allocatedStorage: config.allocated_storage_gb,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      multiAz: config.multi_az,
      backupRetention: Duration.days(config.backup_retention_days),
      preferredBackupWindow: props.windows?.backup,
      preferredMaintenanceWindow: props.windows?.maintenance,
      copyTagsToSnapshot: true,
      deletionProtection: config.deletion_protection,
      // Deleting the stack (or replacing the instance) leaves a final snapshot.
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
      monitoringInterval: Duration.minutes(1),
      cloudwatchLogsExports: [...ENGINES[name].logExports],
    });
    // The runners' security group gets the egress rule, the database's the ingress rule.
    network.securityGroup.connections.allowTo(instance, ec2.Port.tcp(port), 'the runners');
    for (const cidr of config.admit_cidrs) {
      instance.connections.allowFrom(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(port),
        'aws.databases admit_cidrs',
      );
    }
    this.addRotation(instance, props);
    pinRulePorts(scope, port);
    acknowledgeManagedDatabase(instance, {
      engine: name === 'replica' ? 'mariadb' : 'postgres',
      multiAz: config.multi_az,
      deletionProtection: config.deletion_protection,
    });
    new CfnOutput(this, `${label}Endpoint`, {
      description: `The ${name} database (${MANAGED_CONNECTIONS[name]} connection): host:port`,
      value: `${instance.dbInstanceEndpointAddress}:${instance.dbInstanceEndpointPort}`,
    }).overrideLogicalId(`${label}DatabaseEndpoint`);
    new CfnOutput(this, `${label}SecretArn`, {
      description: `The ${name} database's generated credentials (rotated)`,
      value: instance.secret?.secretArn ?? '',
    }).overrideLogicalId(`${label}DatabaseSecretArn`);
    return instance;
  }

  /**
   * Single-user rotation of the master password by AWS's rotation function for the engine, in
   * the runners' subnets with a security group of its own: the database's port and HTTPS to
   * Secrets Manager, nothing else.
   */
  private addRotation(instance: rds.DatabaseInstance, props: ManagedDatabasesProps): void {
    const scope = instance.node.scope as Construct;
    const securityGroup = new ec2.SecurityGroup(scope, 'RotationSecurityGroup', {
      vpc: props.network.vpc,
      description: 'OpenDental ETL secret rotation: its database and Secrets Manager only',
      allowAllOutbound: false,
    });
    const endpoint = props.secretsManagerEndpoint;
    if (endpoint) securityGroup.connections.allowTo(endpoint, ec2.Port.tcp(443), 'Secrets Manager');
    else securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager');
    instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(ROTATION_DAYS),
      vpcSubnets: props.network.subnets,
      securityGroup,
      endpoint,
    });
    const windows = props.windows;
    if (!windows) return;
    // The L2 schedule takes a rate only; the window keeps rotation away from the nightly run.
    const schedule = (instance.secret as secretsmanager.Secret).node.findChild('RotationSchedule');
    const cfn = schedule.node.defaultChild as secretsmanager.CfnRotationSchedule;
    cfn.rotationRules = {
      scheduleExpression: windows.rotation.scheduleExpression,
      duration: windows.rotation.duration,
    };
  }
}

/** What differs between the two engines. */
const ENGINES: Record<
  ManagedDatabaseName,
  {
    engine: (version: string) => rds.IInstanceEngine;
    /** The engine's default port: the runners' egress rules name it (config/network-schema.ts). */
    port: number;
    parameters: Readonly<Record<string, string>>;
    /** The logs exported to CloudWatch: none carries statement text (database-parameters.ts). */
    logExports: readonly string[];
    optionGroup?: (scope: Construct, engine: rds.IInstanceEngine) => rds.IOptionGroup;
  }
> = {
  replica: {
    engine: (version) =>
      rds.DatabaseInstanceEngine.mariaDb({
        // 10.11 or 10.11.9: the parameter group family is the major version, mariadb10.11.
        version: rds.MariaDbEngineVersion.of(version, version.split('.').slice(0, 2).join('.')),
      }),
    port: 3306,
    parameters: REPLICA_PARAMETERS,
    logExports: ['audit', 'error'],
    optionGroup: (scope, engine) =>
      new rds.OptionGroup(scope, 'Options', {
        engine,
        description: 'OpenDental ETL replica: connection audit log',
        configurations: [
          { name: 'MARIADB_AUDIT_PLUGIN', settings: { SERVER_AUDIT_EVENTS: REPLICA_AUDIT_EVENTS } },
        ],
      }),
  },
  analytics: {
    engine: (version) =>
      rds.DatabaseInstanceEngine.postgres({
        // 16 or 16.4: the parameter group family is the major version, postgres16.
        version: rds.PostgresEngineVersion.of(version, version.split('.')[0] as string),
      }),
    port: 5432,
    parameters: ANALYTICS_PARAMETERS,
    logExports: ['postgresql', 'upgrade'],
  },
};

/**
 * The rotation function's rules name the database's port as CDK knows it, the instance's
 * `Endpoint.Port` attribute, which cdk-nag cannot read (it reports the rule as open). The port is
 * set on the instance, so the rules name it as the number it is.
 */
function pinRulePorts(scope: Construct, port: number): void {
  for (const child of scope.node.findAll()) {
    if (
      !(child instanceof ec2.CfnSecurityGroupIngress || child instanceof ec2.CfnSecurityGroupEgress)
    )
      continue;
    if (!Token.isUnresolved(child.fromPort)) continue;
    child.fromPort = port;
    child.toPort = port;
  }
}
