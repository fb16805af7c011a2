import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { buildApp } from '../../infra/build-app';
import { CONNECTIONS } from '../../infra/constructs/secrets';
import type { PipelineStack } from '../../infra/pipeline-stack';

const WEBHOOK = 'clinic/slack-webhook';

/** The stack with the Slack notifier, its connection secrets named (shipped) or created here. */
function synth(secrets: 'named' | 'created') {
  const config: LoadedConfig = structuredClone(loadConfig({ env: {} }));
  config.pipeline.alerts.slack_webhook_secret_id = WEBHOOK;
  if (secrets === 'created') {
    for (const name of CONNECTIONS) delete config.pipeline.connections[name].secret_id;
  }
  const { stack } = buildApp({ config, bundle: false, validateTemplates: false });
  return { stack, config, resources: Template.fromStack(stack).toJSON().Resources as Resources };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Text that identifies each secret in a policy's Resource or a configuration's ARN. */
function secretNeedles(stack: PipelineStack, config: LoadedConfig): Record<string, string> {
  const needles: Record<string, string> = { webhook: `:secret:${WEBHOOK}-` };
  for (const name of CONNECTIONS) {
    const secret = stack.secrets.byConnection[name];
    needles[name] =
      secret instanceof secretsmanager.Secret
        ? JSON.stringify({ Ref: stack.getLogicalId(secret.node.defaultChild as CfnElement) })
        : `:secret:${config.pipeline.connections[name].secret_id}`;
  }
  return needles;
}

/** Every role's secretsmanager statements, by role logical id. */
function secretStatementsByRole(resources: Resources): Map<string, Statement[]> {
  const byRole = new Map<string, Statement[]>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const statements = (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const secretStatements = statements.filter((s) =>
      ([] as string[]).concat(s.Action).some((a) => a.startsWith('secretsmanager:')),
    );
    for (const role of resource.Properties.Roles as { Ref: string }[]) {
      byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...secretStatements]);
    }
  }
  return byRole;
}

describe.each(['named', 'created'] as const)('least privilege on secrets (%s secrets)', (kind) => {
  const { stack, config, resources } = synth(kind);
  const needles = secretNeedles(stack, config);
  const logicalId = (role: iam.IRole | undefined) =>
    stack.getLogicalId(role?.node.defaultChild as CfnElement);
  const runners = stack.runners;
  const expected: Record<string, string[]> = {
    [logicalId(runners.planFunction.role)]: ['source', 'analytics'],
    [logicalId(runners.stageFunction.role)]: ['source', 'replication', 'analytics'],
    [logicalId(runners.summarizeFunction.role)]: ['analytics'],
    [logicalId(runners.taskDefinition.taskRole)]: ['source', 'replication', 'analytics'],
    [logicalId(stack.alerts.slackNotifier?.role)]: ['webhook'],
  };
  const byRole = secretStatementsByRole(resources);
  const readable = (roleId: string) =>
    Object.keys(needles).filter((name) =>
      (byRole.get(roleId) ?? []).some((s) =>
        JSON.stringify(s.Resource).includes(needles[name] ?? '?'),
      ),
    );

  it('each function and the task role may read exactly the secrets its code reads', () => {
    for (const [roleId, secrets] of Object.entries(expected)) {
      expect(readable(roleId), roleId).toEqual(
        Object.keys(needles).filter((n) => secrets.includes(n)),
      );
      for (const statement of byRole.get(roleId) ?? []) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.Action).toEqual([
          'secretsmanager:GetSecretValue',
          'secretsmanager:DescribeSecret',
        ]);
        // One secret per statement: no wildcard reaches a secret the role does not use.
        expect(
          Object.values(needles).filter((n) => JSON.stringify(statement.Resource).includes(n)),
        ).toHaveLength(1);
      }
    }
  });

  it('no other principal (state machine, scheduler, execution role, VPC) may read any secret', () => {
    const roles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThan(Object.keys(expected).length);
    for (const [roleId] of roles) {
      if (roleId in expected) continue;
      expect(byRole.get(roleId) ?? [], roleId).toEqual([]);
    }
  });

  it('each runner’s configuration names the secrets it may read, and no other', () => {
    const environmentOf = (fn: { node: { defaultChild?: unknown } }) =>
      JSON.stringify(
        resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)]?.Properties.Environment,
      );
    const cases: [string, string, string[]][] = [
      ['plan', environmentOf(runners.planFunction), ['source', 'analytics']],
      ['stage', environmentOf(runners.stageFunction), ['source', 'replication', 'analytics']],
      ['summarize', environmentOf(runners.summarizeFunction), ['analytics']],
      ['notifier', environmentOf(stack.alerts.slackNotifier as never), ['webhook']],
    ];
    for (const [runner, environment, secrets] of cases) {
      const named = Object.keys(needles).filter((name) => {
        // A configuration holds the secret's ARN without the policy's "-??????" suffix.
        const needle = (needles[name] ?? '?').replace(/-$/, '');
        return environment.includes(needle);
      });
      expect(named, runner).toEqual(Object.keys(needles).filter((n) => secrets.includes(n)));
    }
  });
});
