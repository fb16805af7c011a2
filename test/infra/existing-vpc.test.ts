import { Token } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import { buildApp } from '../../infra/build-app';
import { synthesizeDefinition } from '../../infra/local/definition';

const ACCOUNT = '210987654321';
const VPC_ID = 'vpc-0abc1234def567890';

function configWith(aws: Partial<LoadedConfig['pipeline']['aws']>): LoadedConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  Object.assign(config.pipeline.aws, aws);
  return config;
}

function synth(config: LoadedConfig, env: NodeJS.ProcessEnv = {}) {
  const { app, stack } = buildApp({ config, bundle: false, validateTemplates: false, env });
  const assembly = app.synth();
  return { app, stack, assembly, template: assembly.getStackByName(stack.stackName).template };
}

describe('aws.vpc_id: an existing VPC', () => {
  it('synthesizes offline with aws.account, recording the VPC lookup the cdk CLI will make', () => {
    const { stack, assembly, template } = synth(configWith({ vpc_id: VPC_ID, account: ACCOUNT }));
    expect(stack.account).toBe(ACCOUNT);
    expect(assembly.manifest.missing).toEqual([
      {
        key: `vpc-provider:account=${ACCOUNT}:filter.vpc-id=${VPC_ID}:region=us-east-1:returnAsymmetricSubnets=true`,
        provider: 'vpc-provider',
        props: {
          account: ACCOUNT,
          region: 'us-east-1',
          filter: { 'vpc-id': VPC_ID },
          returnAsymmetricSubnets: true,
          lookupRoleArn: `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-lookup-role-${ACCOUNT}-us-east-1`,
        },
      },
    ]);
    // Until the lookup is answered, CDK's placeholder VPC stands in: no VPC is created.
    expect(stack.network.vpc.vpcId).toBe('vpc-12345');
    const resources = Object.values(template.Resources) as { Type: string; Properties: never }[];
    expect(resources.filter((r) => r.Type === 'AWS::EC2::VPC')).toEqual([]);
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function') as {
      Properties: { VpcConfig?: { SubnetIds: unknown } };
    }[];
    const placed = functions.filter((f) => f.Properties.VpcConfig);
    expect(placed.length).toBe(3);
    for (const f of placed)
      expect(f.Properties.VpcConfig?.SubnetIds).toEqual(['p-12345', 'p-67890']);
  });

  it('takes the account from CDK_DEFAULT_ACCOUNT (set by the cdk CLI) when aws.account is not set', () => {
    const { stack, assembly } = synth(configWith({ vpc_id: VPC_ID }), {
      CDK_DEFAULT_ACCOUNT: ACCOUNT,
    });
    expect(stack.account).toBe(ACCOUNT);
    expect(assembly.manifest.missing?.[0]?.props).toMatchObject({ account: ACCOUNT });
  });

  it('without any account, fails with a ConfigError that says what to set', () => {
    let error: unknown;
    try {
      buildApp({ config: configWith({ vpc_id: VPC_ID }), bundle: false, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /aws\.vpc_id .* set aws\.account .* CDK_DEFAULT_ACCOUNT/,
    );
  });

  it('has 0 unacknowledged cdk-nag findings', () => {
    const config = configWith({ vpc_id: VPC_ID, account: ACCOUNT });
    const { app, stack } = buildApp({ config, bundle: false, validateTemplates: false, env: {} });
    for (const pack of [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app)]) {
      const report = pack.validateScope(stack) as { violations?: { ruleName: string }[] };
      expect((report.violations ?? []).map((v) => v.ruleName)).toEqual([]);
    }
  });

  it('does not stop a local run: the local runner’s definition synthesizes without an account', () => {
    const asl = synthesizeDefinition(configWith({ vpc_id: VPC_ID }));
    expect(Object.keys(asl.States)).toContain('Tables');
  });
});

describe('without aws.vpc_id', () => {
  it('stays account-agnostic, whatever credentials the cdk CLI found', () => {
    const { stack, assembly, template } = synth(configWith({}), {
      CDK_DEFAULT_ACCOUNT: ACCOUNT,
    });
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(assembly.manifest.missing).toBeUndefined();
    expect(JSON.stringify(template)).not.toContain(ACCOUNT);
  });

  it('pins the stack to aws.account when it is set: the new VPC’s zones are looked up too', () => {
    const { stack, assembly } = synth(configWith({ account: ACCOUNT }));
    expect(stack.account).toBe(ACCOUNT);
    expect(assembly.manifest.missing?.map((m) => m.provider)).toEqual(['availability-zones']);
  });
});
