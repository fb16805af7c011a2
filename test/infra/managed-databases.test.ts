import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { type DatabasesConfig, DatabasesSchema } from '../../config/databases-schema';
import type { DatabaseWindows } from '../../infra/constructs/database-windows';
import { ManagedDatabases } from '../../infra/constructs/managed-databases';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

const WINDOWS: DatabaseWindows = {
  backup: '11:00-12:00',
  maintenance: 'sun:13:00-sun:14:00',
  rotation: { scheduleExpression: 'cron(0 15 1 * ? *)', duration: '3h' },
};

/** The construct in a bare stack whose runner security group, as in every topology, allows no egress by default. */
function synth(databases: unknown, options: { windows?: DatabaseWindows } = { windows: WINDOWS }) {
  const stack = bareStack();
  const key = new kms.Key(stack, 'Key');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const runners = new ec2.SecurityGroup(stack, 'Runners', { vpc, allowAllOutbound: false });
  const construct = new ManagedDatabases(stack, 'Databases', {
    databases: DatabasesSchema.parse(databases) as DatabasesConfig,
    databaseNames: { replica: 'od_replica', analytics: 'od_analytics' },
    network: {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: runners,
    },
    encryptionKey: key,
    windows: options.windows,
  });
  return { stack, key, vpc, runners, construct, template: Template.fromStack(stack) };
}

/** The one resource a `findResources` matched. */
const only = (resources: ReturnType<Template['findResources']>) => {
  const values = Object.values(resources);
  expect(values).toHaveLength(1);
  return values[0] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
};

describe('ManagedDatabases', () => {
  const both = synth({ replica: {}, analytics: {} });
  const instanceOf = (engine: string) =>
    only(both.template.findResources('AWS::RDS::DBInstance', { Properties: { Engine: engine } }));

  it('provisions nothing unless aws.databases asks for it', () => {
    const { template, construct } = synth({});
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(construct.secrets).toEqual({});
  });

  it('gives the MariaDB replica the parameter group the extract needs, TLS forced', () => {
    const group = only(
      both.template.findResources('AWS::RDS::DBParameterGroup', {
        Properties: { Family: 'mariadb10.11' },
      }),
    );
    expect(group.Properties.Parameters).toMatchObject({
      local_infile: '1',
      sql_mode: 'NO_AUTO_VALUE_ON_ZERO',
      time_zone: 'UTC',
      require_secure_transport: '1',
      character_set_server: 'utf8mb4',
      collation_server: 'utf8mb4_general_ci',
      general_log: '0',
      slow_query_log: '0',
    });
    const [groupId] = Object.keys(
      both.template.findResources('AWS::RDS::DBParameterGroup', {
        Properties: { Family: 'mariadb10.11' },
      }),
    );
    expect(instanceOf('mariadb').Properties.DBParameterGroupName).toEqual({ Ref: groupId });
    // The audit plugin logs connections only: no statement text (row values) in CloudWatch.
    both.template.hasResourceProperties('AWS::RDS::OptionGroup', {
      EngineName: 'mariadb',
      OptionConfigurations: [
        {
          OptionName: 'MARIADB_AUDIT_PLUGIN',
          OptionSettings: [{ Name: 'SERVER_AUDIT_EVENTS', Value: 'CONNECT' }],
        },
      ],
    });
  });

  it('gives the PostgreSQL analytics database a parameter group that forces TLS and logs no statement', () => {
    const groups = both.template.findResources('AWS::RDS::DBParameterGroup', {
      Properties: { Family: 'postgres16' },
    });
    const group = only(groups);
    expect(group.Properties.Parameters).toMatchObject({
      'rds.force_ssl': '1',
      log_connections: '1',
      log_statement: 'none',
      log_min_error_statement: 'panic',
      log_min_messages: 'log',
    });
    expect(instanceOf('postgres').Properties.DBParameterGroupName).toEqual({
      Ref: Object.keys(groups)[0],
    });
  });

  it('encrypts storage with the stack key, keeps backups and a final snapshot, and protects from deletion', () => {
    for (const engine of ['mariadb', 'postgres']) {
      const instance = instanceOf(engine);
      expect(instance.Properties).toMatchObject({
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(both.key), 'Arn'] },
        BackupRetentionPeriod: 7,
        DeletionProtection: true,
        MultiAZ: false,
        PubliclyAccessible: false,
        AutoMinorVersionUpgrade: true,
        MonitoringInterval: 60,
        DBInstanceClass: 'db.t4g.medium',
        AllocatedStorage: '100',
        StorageType: 'gp3',
        PreferredBackupWindow: WINDOWS.backup,
        PreferredMaintenanceWindow: WINDOWS.maintenance,
      });
      expect(instance.DeletionPolicy).toBe('Snapshot');
    }
    expect(instanceOf('mariadb').Properties).toMatchObject({
      EngineVersion: '10.11',
      DBName: 'od_replica',
      EnableCloudwatchLogsExports: ['audit', 'error'],
    });
    expect(instanceOf('postgres').Properties).toMatchObject({
      EngineVersion: '16',
      DBName: 'od_analytics',
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
  });

  it('takes class, version, storage, multi-AZ, retention and deletion protection from the configuration', () => {
    const { template } = synth({
      analytics: {
        instance_class: 'db.r7g.large',
        engine_version: '16.4',
        allocated_storage_gb: 500,
        multi_az: true,
        backup_retention_days: 35,
        deletion_protection: false,
      },
    });
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.r7g.large',
      EngineVersion: '16.4',
      AllocatedStorage: '500',
      MultiAZ: true,
      BackupRetentionPeriod: 35,
      DeletionProtection: false,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16' });
  });

  it('generates each master secret, encrypted with the stack key, and rotates it away from the nightly run', () => {
    const secrets = both.template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(2);
    for (const secret of Object.values(secrets)) {
      expect(secret.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(both.key), 'Arn'] });
      expect(secret.Properties.GenerateSecretString.SecretStringTemplate).toBe(
        '{"username":"etl_admin"}',
      );
    }
    const schedules = both.template.findResources('AWS::SecretsManager::RotationSchedule');
    expect(Object.keys(schedules)).toHaveLength(2);
    for (const schedule of Object.values(schedules)) {
      expect(schedule.Properties.RotationRules).toEqual({
        ScheduleExpression: WINDOWS.rotation.scheduleExpression,
        Duration: '3h',
      });
      expect(schedule.Properties.RotationLambdaARN).toEqual({
        'Fn::GetAtt': [expect.any(String), 'Outputs.RotationLambdaARN'],
      });
    }
    // The rotation functions run in the runners' private subnets, with their own security group.
    const apps = both.template.findResources('AWS::Serverless::Application');
    const privateSubnets = both.vpc.privateSubnets.map((s) => both.stack.resolve(s.subnetId));
    expect(Object.keys(apps)).toHaveLength(2);
    for (const app of Object.values(apps)) {
      expect(app.Properties.Parameters.vpcSubnetIds).toEqual({
        'Fn::Join': ['', [privateSubnets[0], ',', privateSubnets[1]]],
      });
      expect(JSON.stringify(app.Properties.Parameters.vpcSecurityGroupIds)).toContain(
        'RotationSecurityGroup',
      );
    }
  });

  it('rotates every 30 days when no window is known', () => {
    const { template } = synth({ replica: {} }, {});
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  it('admits only the runners and its rotation function, each on the database port', () => {
    const runners = { 'Fn::GetAtt': [logicalIdOf(both.runners), 'GroupId'] };
    for (const [engine, port] of [
      ['mariadb', 3306],
      ['postgres', 5432],
    ] as const) {
      const [dbGroup] = instanceOf(engine).Properties.VPCSecurityGroups as unknown[];
      const ingress = Object.values(
        both.template.findResources('AWS::EC2::SecurityGroupIngress', {
          Properties: { GroupId: dbGroup },
        }),
      ).map((r) => r.Properties);
      expect(ingress).toHaveLength(2);
      for (const rule of ingress) {
        expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: port, ToPort: port });
        expect(rule.CidrIp).toBeUndefined();
      }
      expect(ingress.map((r) => JSON.stringify(r.SourceSecurityGroupId)).sort()).toEqual(
        [JSON.stringify(runners), expect.stringContaining('RotationSecurityGroup')].sort(),
      );
      // The runners' group, closed by default, gets the matching egress rule.
      both.template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        GroupId: runners,
        DestinationSecurityGroupId: dbGroup,
        FromPort: port,
        ToPort: port,
      });
      // The database's own group sends nothing (CDK's placeholder rule matches no traffic).
      const groupId = (dbGroup as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(both.template.toJSON().Resources[groupId].Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32' }),
      ]);
    }
  });

  it('lets a rotation function reach its database and HTTPS only', () => {
    const groups = both.template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('secret rotation') },
    });
    expect(Object.keys(groups)).toHaveLength(2);
    for (const [id, group] of Object.entries(groups)) {
      expect(group.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      const egress = Object.values(
        both.template.findResources('AWS::EC2::SecurityGroupEgress', {
          Properties: { GroupId: { 'Fn::GetAtt': [id, 'GroupId'] } },
        }),
      );
      expect(egress.map((r) => r.Properties.FromPort)).toEqual([
        id.includes('Replica') ? 3306 : 5432,
      ]);
    }
  });

  it('outputs each endpoint and secret ARN', () => {
    const outputs = both.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual([
      'AnalyticsDatabaseEndpoint',
      'AnalyticsDatabaseSecretArn',
      'ReplicaDatabaseEndpoint',
      'ReplicaDatabaseSecretArn',
    ]);
    expect(JSON.stringify(outputs.ReplicaDatabaseEndpoint?.Value)).toContain('Endpoint.Address');
    expect(both.stack.resolve(both.construct.secrets.replication?.secretArn)).toEqual(
      outputs.ReplicaDatabaseSecretArn?.Value,
    );
  });
});
