import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabasesSchema } from '../../config/databases-schema';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { NetworkSchema } from '../../config/network-schema';
import { buildApp } from '../../infra/build-app';
import { RunnerFunction } from '../../infra/constructs/runner-function';
import {
  ACCOUNT,
  buildOffline,
  LOOKUP_ANSWER,
  LOOKUP_KEY,
  SUBNET_IDS,
  VPC_ID,
} from '../helpers/existing-vpc-context';

const STAR = 'AwsSolutions-IAM5[Resource::*]';
/** How a reason names each service whose actions take Resource "*". */
const SERVICE_IN_REASON: Record<string, RegExp> = {
  xray: /X-Ray|xray:/,
  logs: /logs:/,
  ecs: /ecs:/,
  ecr: /ecr:/,
  ec2: /ec2:/,
};

/** The acknowledgements recorded on one construct: rule id → reason. */
function acknowledgements(construct: IConstruct): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const entry of construct.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
    for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
      rules[id.replace(/^annotation::/i, '')] = reason;
    }
  }
  return rules;
}

type Statement = { Action: string | string[]; Resource: unknown };

function starActions(policy: iam.Policy): string[] {
  const document = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement: Statement[] };
  return document.Statement.filter((s) =>
    ([] as unknown[]).concat(s.Resource).includes('*'),
  ).flatMap((s) => ([] as string[]).concat(s.Action));
}

function configured(options: {
  slack?: boolean;
  reserved?: boolean;
  /** Provision the replica and analytics databases (aws.databases), single-AZ or multi-AZ. */
  databases?: 'single-az' | 'multi-az';
  network?: Record<string, unknown>;
}): LoadedConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  if (options.slack) config.pipeline.alerts.slack_webhook_secret_id = 'clinic/slack-webhook';
  if (options.reserved) config.pipeline.aws.reserved_concurrency = true;
  if (options.databases) {
    // Single-AZ with deletion protection off: every acknowledgement a database can need.
    const multi = options.databases === 'multi-az';
    const instance = { multi_az: multi, deletion_protection: multi };
    config.pipeline.aws.databases = DatabasesSchema.parse({
      replica: instance,
      analytics: instance,
    });
    for (const name of ['replication', 'analytics'] as const) {
      delete config.pipeline.connections[name].secret_id;
      config.pipeline.connections[name].tls = true;
    }
  }
  if (options.network) {
    config.pipeline.aws.network = NetworkSchema.parse(options.network);
    config.pipeline.aws.account = ACCOUNT;
  }
  return config;
}

/** The rule ids of a stack's unacknowledged AwsSolutions and HIPAA.Security findings. */
function findings(app: App, stack: Stack): string[] {
  return [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app)].flatMap((pack) => {
    const report = pack.validateScope(stack) as { violations?: { ruleName: string }[] };
    return (report.violations ?? []).map((v) => v.ruleName);
  });
}

describe('cdk-nag acknowledgements of Resource "*"', () => {
  let constructs: IConstruct[];
  let stack: Stack;
  beforeAll(() => {
    const built = buildApp({
      config: configured({ slack: true }),
      bundle: false,
      validateTemplates: false,
      env: {},
    });
    stack = built.stack;
    constructs = built.app.node.findAll();
  });

  it('are never stack-wide: none on the app or the stack', () => {
    expect(Object.keys(acknowledgements(stack))).not.toContain(STAR);
    expect(Object.keys(acknowledgements(stack.node.root))).not.toContain(STAR);
  });

  it('sit only on IAM policies that grant an action on Resource "*", with a reason naming its service', () => {
    const acknowledged = constructs.filter((c) => STAR in acknowledgements(c));
    // The three runner functions, the Slack notifier, the task's execution role, the state
    // machine, and the deploy-time lookup of S3's prefix list.
    expect(acknowledged.map((c) => c.node.path).sort()).toEqual(
      [
        'OpenDentalEtl/Alerts/SlackNotifier/ServiceRole/DefaultPolicy',
        'OpenDentalEtl/Network/Endpoints/S3PrefixList/CustomResourcePolicy',
        'OpenDentalEtl/Pipeline/StateMachine/Role/DefaultPolicy',
        'OpenDentalEtl/StageRunners/PlanFunction/ServiceRole/DefaultPolicy',
        'OpenDentalEtl/StageRunners/StageFunction/ServiceRole/DefaultPolicy',
        'OpenDentalEtl/StageRunners/StageTask/ExecutionRole/DefaultPolicy',
        'OpenDentalEtl/StageRunners/SummarizeFunction/ServiceRole/DefaultPolicy',
      ].sort(),
    );
    for (const construct of acknowledged) {
      expect(construct, construct.node.path).toBeInstanceOf(iam.Policy);
      const actions = starActions(construct as iam.Policy);
      expect(actions.length, construct.node.path).toBeGreaterThan(0);
      const reason = acknowledgements(construct)[STAR] ?? '';
      for (const service of new Set(actions.map((a) => a.split(':')[0] ?? ''))) {
        expect(reason, `${construct.node.path}: ${service}`).toMatch(
          SERVICE_IN_REASON[service] ?? /(?!)/,
        );
      }
    }
  });

  it('cover every policy that grants on Resource "*"', () => {
    const withStar = constructs.filter(
      (c): c is iam.Policy => c instanceof iam.Policy && starActions(c).length > 0,
    );
    expect(withStar.length).toBeGreaterThan(0);
    for (const policy of withStar) {
      expect(Object.keys(acknowledgements(policy)), policy.node.path).toContain(STAR);
    }
  });
});

describe('0 unacknowledged cdk-nag findings in every configuration', () => {
  it.each([
    ['the Slack notifier and reserved concurrency', { slack: true, reserved: true }],
    ['the Slack notifier, no reserved concurrency', { slack: true, reserved: false }],
    [
      'single-AZ RDS databases without deletion protection',
      { slack: false, reserved: false, databases: 'single-az' },
    ],
    ['multi-AZ RDS databases', { slack: true, reserved: true, databases: 'multi-az' }],
  ] as const)('with %s', (_name, options) => {
    const { app, stack } = buildApp({
      config: configured(options),
      bundle: false,
      validateTemplates: false,
      env: {},
    });
    expect(findings(app, stack)).toEqual([]);
    // Reserved concurrency needs no acknowledgement on a pipeline function when it is on.
    const concurrencyAcks = app.node
      .findAll()
      .filter((c) => c instanceof RunnerFunction)
      .filter((c) => 'HIPAA.Security-LambdaConcurrency' in acknowledgements(c));
    expect(concurrencyAcks.length).toBe(options.reserved ? 0 : options.slack ? 4 : 3);
    // A database's single-AZ and deletion acknowledgements follow its configuration.
    const count = (id: string) =>
      app.node.findAll().filter((c) => id in acknowledgements(c)).length;
    const configuredAway = 'databases' in options && options.databases === 'single-az' ? 2 : 0;
    expect(count('AwsSolutions-RDS3')).toBe(configuredAway);
    expect(count('AwsSolutions-RDS10')).toBe(configuredAway);
  });

  const VPN = { customer_gateway_ip: '44.192.10.20', clinic_cidrs: ['192.168.10.0/24'] };
  const EXISTING = { type: 'existing_vpc', vpc_id: VPC_ID, subnet_ids: SUBNET_IDS };
  it.each([
    ['a new VPC with a static VPN', { type: 'new_vpc', vpn: VPN }],
    [
      'a new VPC with NAT and BGP VPN',
      { type: 'new_vpc', nat_gateway: true, vpn: { ...VPN, bgp_asn: 65010 } },
    ],
    ['an existing VPC, first pass', EXISTING],
    ['an existing VPC, looked up', EXISTING, { [LOOKUP_KEY]: LOOKUP_ANSWER }],
    [
      'an existing VPC with its own group, no endpoints',
      { ...EXISTING, security_group_id: 'sg-0123456789abcdef0', endpoints: false },
      { [LOOKUP_KEY]: LOOKUP_ANSWER },
    ],
  ] as [string, Record<string, unknown>, Record<string, unknown>?][])(
    'with %s',
    (_name, network, context = {}) => {
      const config = configured({ slack: true, network });
      const { app, stack } = buildOffline(config, context);
      expect(findings(app, stack)).toEqual([]);
    },
  );

  it.each([
    ['a new VPC with a VPN', { type: 'new_vpc', vpn: VPN }, {}],
    ['an existing VPC', EXISTING, { [LOOKUP_KEY]: LOOKUP_ANSWER }],
  ] as [string, Record<string, unknown>, Record<string, unknown>][])(
    'with RDS databases in %s',
    (_name, network, context) => {
      const config = configured({ databases: 'single-az', network });
      const { app, stack } = buildOffline(config, context);
      expect(stack.databases.instances.replica).toBeDefined();
      expect(findings(app, stack)).toEqual([]);
    },
  );
});
