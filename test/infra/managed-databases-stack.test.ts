import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabasesSchema } from '../../config/databases-schema';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { buildApp } from '../../infra/build-app';
import type { PipelineStack } from '../../infra/pipeline-stack';
import { logicalIdOf } from '../helpers/bare-stack';

/** The analysts' network at the clinic, admitted to the analytics database. */
const ANALYSTS = '192.168.10.0/24';

/** config/pipeline.yml with the replica and analytics databases provisioned by the stack. */
function withDatabases(): LoadedConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  config.pipeline.aws.databases = DatabasesSchema.parse({
    replica: {},
    analytics: { admit_cidrs: [ANALYSTS] },
  });
  for (const name of ['replication', 'analytics'] as const) {
    delete config.pipeline.connections[name].secret_id;
    config.pipeline.connections[name].tls = true;
  }
  return config;
}

describe('the pipeline stack with aws.databases', () => {
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    ({ stack } = buildApp({ config: withDatabases(), bundle: false, validateTemplates: false }));
    template = Template.fromStack(stack);
  });
  const attachmentRef = (name: 'replica' | 'analytics') => {
    const secret = stack.databases.instances[name]?.secret;
    return { Ref: stack.getLogicalId(secret?.node.defaultChild as CfnElement) };
  };
  /** A runner's runtime configuration, with its tokens resolved. */
  const runtimeOf = (runner: 'plan' | 'stage' | 'summarize' | 'task') =>
    JSON.parse(stack.runners.environments[runner].PIPELINE_CONFIG ?? '{}') as PipelineConfig;

  it('makes each database’s generated secret the secret of its connection', () => {
    expect(stack.resolve(stack.secrets.byConnection.replication.secretArn)).toEqual(
      attachmentRef('replica'),
    );
    expect(stack.resolve(stack.secrets.byConnection.analytics.secretArn)).toEqual(
      attachmentRef('analytics'),
    );
    // No placeholder secret: the source keeps the secret it names.
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });

  it('points each runner’s configuration at the generated secrets of the connections it opens', () => {
    for (const runner of ['stage', 'task'] as const) {
      const runtime = runtimeOf(runner);
      expect(stack.resolve(runtime.connections.replication.secret_id)).toEqual(
        attachmentRef('replica'),
      );
      expect(stack.resolve(runtime.connections.analytics.secret_id)).toEqual(
        attachmentRef('analytics'),
      );
    }
    expect(runtimeOf('summarize').connections.replication.secret_id).toBeUndefined();
    expect(stack.resolve(runtimeOf('plan').connections.analytics.secret_id)).toEqual(
      attachmentRef('analytics'),
    );
    // To a runner, a provisioned database is a connection like any other: the runtime
    // configuration, parsed again at start-up, must not carry both aws.databases and secret_id.
    for (const runner of ['plan', 'stage', 'summarize', 'task'] as const)
      expect(runtimeOf(runner).aws.databases).toEqual({});
  });

  it('admits the stack’s runner security group to each database port', () => {
    const runners = { 'Fn::GetAtt': [logicalIdOf(stack.network.securityGroup), 'GroupId'] };
    for (const [name, port] of [
      ['replica', 3306],
      ['analytics', 5432],
    ] as const) {
      const instance = template.toJSON().Resources[
        logicalIdOf(stack.databases.instances[name] as never)
      ] as { Properties: { VPCSecurityGroups: unknown[] } };
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: instance.Properties.VPCSecurityGroups[0],
        SourceSecurityGroupId: runners,
        FromPort: port,
        ToPort: port,
      });
    }
  });

  it('opens no network block on a provisioned database port, only the instance (and admit_cidrs)', () => {
    const runnerGroup = template.toJSON().Resources[logicalIdOf(stack.network.securityGroup)] as {
      Properties: { SecurityGroupEgress: { CidrIp?: string; FromPort: number }[] };
    };
    const blockPorts = runnerGroup.Properties.SecurityGroupEgress.filter((r) => r.CidrIp).map(
      (r) => r.FromPort,
    );
    expect(blockPorts).not.toContain(5432);
    expect(blockPorts).toContain(3306); // the source, in the VPC by default, still by block
    const analyticsGroup = stack.databases.instances.analytics?.connections.securityGroups[0];
    const group = template.toJSON().Resources[logicalIdOf(analyticsGroup as never)] as {
      Properties: { SecurityGroupIngress?: { CidrIp: string; FromPort: number }[] };
    };
    expect(group.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: ANALYSTS, FromPort: 5432, ToPort: 5432 }),
    ]);
  });

  it('lets the rotation function reach Secrets Manager through its VPC endpoint only', () => {
    const endpoint = stack.network.endpoints?.interfaces.SecretsManager;
    const endpointGroup = {
      'Fn::GetAtt': [logicalIdOf(endpoint?.connections.securityGroups[0] as never), 'GroupId'],
    };
    const egress = template.findResources('AWS::EC2::SecurityGroupEgress', {
      Properties: { FromPort: 443, DestinationSecurityGroupId: endpointGroup },
    });
    expect(Object.keys(egress).filter((id) => id.includes('Rotation'))).toHaveLength(2);
    const rotationGroups = Object.entries(template.findResources('AWS::EC2::SecurityGroup'))
      .filter(([id]) => id.includes('RotationSecurityGroup'))
      .map(([, r]) => r as { Properties: { SecurityGroupEgress?: { CidrIp?: string }[] } });
    expect(rotationGroups).toHaveLength(2);
    for (const g of rotationGroups)
      expect(g.Properties.SecurityGroupEgress?.some((r) => r.CidrIp === '0.0.0.0/0')).not.toBe(
        true,
      );
  });

  it('outputs the endpoints and secret ARNs beside the runner security group', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'RunnerSecurityGroupId',
        'ReplicaDatabaseEndpoint',
        'ReplicaDatabaseSecretArn',
        'AnalyticsDatabaseEndpoint',
        'AnalyticsDatabaseSecretArn',
      ]),
    );
    expect(outputs.AnalyticsDatabaseSecretArn?.Value).toEqual(attachmentRef('analytics'));
  });
});

describe('a configuration built in code (not loaded from YAML)', () => {
  it('is refused at synth when it names a secret for a database the stack provisions', () => {
    const config = withDatabases();
    config.pipeline.connections.analytics.secret_id = 'clinic/analytics';
    const build = () => buildApp({ config, bundle: false, validateTemplates: false });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      /connections\.analytics\.secret_id: must not be set with aws\.databases\.analytics/,
    );
  });
});
