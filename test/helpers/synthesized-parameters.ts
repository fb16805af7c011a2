import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DatabasesSchema } from '../../config/databases-schema';
import { ManagedDatabases } from '../../infra/constructs/managed-databases';
import { bareStack } from './bare-stack';

/**
 * The parameters of a provisioned database's parameter group, read from the synthesized template
 * (what RDS would be given), for the engine family `mariadb` (replica) or `postgres` (analytics).
 */
export function synthesizedParameters(family: 'mariadb' | 'postgres'): Record<string, string> {
  const stack = bareStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new ManagedDatabases(stack, 'Databases', {
    databases: DatabasesSchema.parse({ replica: {}, analytics: {} }),
    databaseNames: { replica: 'replica', analytics: 'analytics' },
    network: {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: new ec2.SecurityGroup(stack, 'Runners', { vpc }),
    },
    encryptionKey: new kms.Key(stack, 'Key'),
  });
  const groups = Object.values(
    Template.fromStack(stack).findResources('AWS::RDS::DBParameterGroup'),
  ).filter((g) => String(g.Properties.Family).startsWith(family));
  if (groups.length !== 1) throw new Error(`expected one ${family} parameter group`);
  return groups[0]?.Properties.Parameters as Record<string, string>;
}
