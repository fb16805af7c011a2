import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedOperatorPolicy } from '../../cli/commands/aws';
import { loadConfig } from '../../config/load-config';
import { buildApp } from '../../infra/build-app';
import { OPERATOR_CALLS } from '../../infra/operator-access';
import { type CliCall, cliCalls } from './iam/cli-calls';
import {
  foreignAccesses,
  OperatorStore,
  operatorAccesses,
  operatorPolicyOf,
} from './iam/operator-paths';
import type { NamedPolicy } from './iam/policy-store';
import { allowedButForbidden, notAllowed } from './iam/simulate';
import { ACCOUNT, unique } from './iam/simulated-stack';
import { type CfnTemplate, TemplateResolver } from './iam/template-resolver';

/**
 * The operator policy (infra/constructs/operator-policy.ts) against the calls the CLI's code
 * makes (read by the TypeScript compiler: test/aws/iam/cli-calls.ts) and simulated offline with
 * iam-simulate, for the dev environment's stack as `cdk synth -c env=dev` builds it.
 */

let calls: CliCall[];
let resolver: TemplateResolver;
let operator: NamedPolicy;
let store: OperatorStore;

beforeAll(() => {
  calls = cliCalls();
  const outdir = mkdtempSync(join(tmpdir(), 'etl-operator-'));
  try {
    const config = loadConfig({ path: 'config/pipeline.dev.yml', env: {} });
    config.pipeline.aws.account = ACCOUNT;
    const { app, stack } = buildApp({ config, bundle: false, outdir, validateTemplates: false });
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    resolver = new TemplateResolver(
      template,
      { account: ACCOUNT, region: stack.region },
      stack.stackName,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  operator = operatorPolicyOf(resolver);
  store = new OperatorStore(resolver, operator);
});

const pairs = (list: readonly { action: string; on: string | string[] }[]) =>
  [...new Set(list.flatMap((c) => [c.on].flat().map((on) => `${c.action} on ${on}`)))].sort();

const actionsOf = (policy: NamedPolicy) =>
  [
    ...new Set(
      (policy.policy.Statement as { Action: string | string[] }[]).flatMap((s) =>
        [s.Action].flat(),
      ),
    ),
  ].sort();

describe('the operator policy, generated from the calls the CLI makes', () => {
  it('lists exactly the calls the CLI code sends, each with the parameter naming its resource', () => {
    // The CLI reaches AWS in more than one module: all of them are read.
    expect(new Set(calls.map((c) => c.at.split(':')[0])).size).toBeGreaterThan(1);
    expect(pairs(OPERATOR_CALLS)).toEqual(pairs(calls));
  });

  it('grants in the synthesized stack every action the CLI calls, and no other', () => {
    expect(actionsOf(operator)).toEqual([...new Set(calls.map((c) => c.action))].sort());
  });

  it('allows every call of the CLI on this stack, its state machine, its runs, their children and Map Runs', async () => {
    const accesses = unique(operatorAccesses(resolver, calls));
    expect(accesses.length).toBeGreaterThanOrEqual(calls.length);
    expect(await notAllowed(store, accesses, ACCOUNT)).toEqual([]);
  });

  it('denies the same calls on another stack or state machine, a name sharing the prefix, another region or account', async () => {
    const foreign = unique(foreignAccesses(resolver, calls));
    expect(foreign.length).toBeGreaterThan(calls.length * 4);
    expect(await allowedButForbidden(store, foreign, ACCOUNT)).toEqual([]);
  });
});

describe('etl-pipeline aws operator-policy', () => {
  it('prints the deployed stack’s operator policy, ARNs resolved', async () => {
    const stateMachine = resolver.ref(
      (resolver.resourcesOf('AWS::StepFunctions::StateMachine')[0] ?? [''])[0],
    );
    const cfn = mockClient(CloudFormationClient);
    cfn.on(DescribeStacksCommand, { StackName: resolver.stackName }).resolves({
      Stacks: [
        {
          StackName: resolver.stackName,
          StackId: resolver.ref('AWS::StackId'),
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: stateMachine }],
        },
      ],
    });
    const config = loadConfig({ path: 'config/pipeline.dev.yml', env: {} });
    config.pipeline.aws.account = ACCOUNT;
    const printed = await deployedOperatorPolicy(config.pipeline, new CloudFormationClient({}));
    cfn.restore();
    // CloudFormation renders a one-element list as its element: compare element-wise.
    const normalized = (document: unknown) =>
      JSON.parse(JSON.stringify(document), (_key, value) =>
        Array.isArray(value) && value.length === 1 ? value[0] : value,
      );
    expect(normalized(printed)).toEqual(normalized(operator.policy));
    expect(operator.policy.Statement.map((s) => s.Sid)).toEqual([
      'ReadStackOutputs',
      'StartAndListRuns',
      'FollowRuns',
      'ReadMapRuns',
    ]);
  });
});
