import { beforeAll, describe, expect, it } from 'vitest';
import { DatabasesSchema } from '../../config/databases-schema';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { STAGE_NAMES } from '../../contract/stage';
import { foreignSources } from './iam/foreign-sources';
import { forbiddenSecretAccesses } from './iam/least-privilege';
import {
  alarmPaths,
  eventRulePaths,
  flowLogPaths,
  logGroupKeyPaths,
  schedulerPaths,
  subscriptionPaths,
} from './iam/service-paths';
import { type Access, allowedButForbidden, decide, notAllowed } from './iam/simulate';
import { ACCOUNT, type SimulatedStack, simulatedStack, unique } from './iam/simulated-stack';

/**
 * Every call path of the deployed stack, simulated offline with identity and resource policies
 * together (iam-simulate): derived from the synthesized template, the state machine's definition
 * and the code, never from a hand-written list. Each test lists every access that is not allowed
 * (principal, action, resource, decision, the call path that needs it); a simulation error counts
 * as a failure too.
 */

/** config/pipeline.yml as shipped: every connection names an existing secret. */
const configured = loadConfig({ env: {} });

/** No secret_id: the stack creates KMS-encrypted placeholder secrets; alerts go to Slack too. */
const withPlaceholders: LoadedConfig = structuredClone(configured);
for (const connection of Object.values(withPlaceholders.pipeline.connections))
  delete connection.secret_id;
withPlaceholders.pipeline.alerts.slack_webhook_secret_id = 'opendental/slack-webhook';
withPlaceholders.pipeline.alerts.email = ['data-team@example.com'];

/** The replica and analytics databases provisioned as RDS: their generated secrets. */
const withDatabases: LoadedConfig = structuredClone(configured);
withDatabases.pipeline.aws.databases = DatabasesSchema.parse({
  replica: {},
  analytics: {},
});
for (const name of ['replication', 'analytics'] as const) {
  delete withDatabases.pipeline.connections[name].secret_id;
  withDatabases.pipeline.connections[name].tls = true;
}

describe.each([
  ['config/pipeline.yml (secrets imported by name)', configured],
  ['placeholder secrets in the stack, Slack notifier', withPlaceholders],
  ['RDS replica and analytics databases with generated secrets', withDatabases],
])('permissions of the deployed stack: %s', (_name, config) => {
  let s: SimulatedStack;
  beforeAll(async () => {
    s = await simulatedStack(config);
  });
  const denials = (accesses: Access[]) => {
    // Nothing to check would prove nothing: each call path must yield accesses.
    expect(accesses.length).toBeGreaterThan(0);
    return notAllowed(s.store, unique(accesses), ACCOUNT);
  };

  it('derives every stage in both runners and the secrets of every role that runs pipeline code', () => {
    expect([...new Set(s.machine.lambdaTasks.flatMap((t) => t.stage ?? []))].sort()).toEqual(
      [...STAGE_NAMES].sort(),
    );
    expect([...new Set(s.machine.ecsTasks.map((t) => t.stage))].sort()).toEqual(
      [...STAGE_NAMES].sort(),
    );
    expect(s.secrets.problems).toEqual([]);
    const invoked = new Set(s.machine.lambdaTasks.map((t) => t.functionArn));
    const roles = [...invoked].map((arn) => {
      const id = s.resolver.idOf('AWS::Lambda::Function', arn, 'Arn');
      return s.resolver.properties(id).Role as string;
    });
    for (const role of roles) expect(s.secrets.used.get(role)?.size).toBeGreaterThan(0);
  });

  it('finds every Task state of the definition, in Parallel branches and Map item processors too', () => {
    const [machine] = s.resolver.resourcesOf('AWS::StepFunctions::StateMachine');
    if (!machine) throw new Error('the stack has no state machine');
    const definition = JSON.parse(s.resolver.properties(machine[0]).DefinitionString as string);
    expect([...s.machine.taskStates].sort()).toEqual(taskStatesIn(definition).sort());
    // The Fargate stages sit in Parallel states inside the Map's item processor, not on top.
    const topLevel = Object.keys(definition.States);
    expect(s.machine.ecsTasks.length).toBeGreaterThan(0);
    expect(s.machine.ecsTasks.filter((t) => topLevel.includes(t.state))).toEqual([]);
  });

  it('lets the state machine invoke its functions, run its Fargate tasks and publish through the topic key', async () => {
    expect(await denials(s.machine.accesses)).toEqual([]);
  });

  it('lets the state machine run each table as a child execution of itself (distributed Map)', async () => {
    expect(await denials(s.machine.mapRuns)).toEqual([]);
  });

  it('lets each function read the secrets its code uses, send dead letters, log, trace and join its VPC', async () => {
    expect(await denials(s.functions)).toEqual([]);
  });

  it('lets the Fargate task role read its secrets and the execution role pull the image and log', async () => {
    expect(await denials(s.tasks)).toEqual([]);
  });

  it('lets the scheduler start the state machine', async () => {
    expect(await denials(schedulerPaths(s.resolver))).toEqual([]);
  });

  it('lets CloudWatch alarms publish to the topic through its key', async () => {
    expect(await denials(alarmPaths(s.resolver, s.rules))).toEqual([]);
  });

  it('lets the EventBridge rules on Fargate task stops publish to the topic through its key', async () => {
    expect(await denials(eventRulePaths(s.resolver, s.rules))).toEqual([]);
  });

  it("refuses alarms and rules of another account, and sources that are not the stack's, to publish", async () => {
    const foreign = foreignSources([
      ...alarmPaths(s.resolver, s.rules),
      ...eventRulePaths(s.resolver, s.rules),
    ]);
    // Both publishing services are varied: each must be kept out by a condition of its own.
    expect(new Set(foreign.map((a) => a.principal))).toEqual(
      new Set(['cloudwatch.amazonaws.com', 'events.amazonaws.com']),
    );
    expect(await allowedButForbidden(s.store, unique(foreign), ACCOUNT)).toEqual([]);
  });

  it('lets CloudWatch Logs use the key of each encrypted log group', async () => {
    expect(await denials(logGroupKeyPaths(s.resolver, s.rules))).toEqual([]);
  });

  it('lets VPC flow logs deliver, and SNS invoke the functions subscribed to the topic', async () => {
    const deliveries = [...flowLogPaths(s.resolver, s.rules), ...subscriptionPaths(s.resolver)];
    expect(await denials(deliveries)).toEqual([]);
  });

  it('allows no role any action on a secret its code does not use, nor more than reading one it uses', async () => {
    const forbidden = await forbiddenSecretAccesses(
      s.store.roleArns(),
      s.catalog.all(),
      s.secrets.used,
    );
    expect(forbidden.length).toBeGreaterThan(0);
    expect(await allowedButForbidden(s.store, unique(forbidden), ACCOUNT)).toEqual([]);
  });
});

/**
 * The name of every Task state anywhere in a definition: every `States` object at any depth,
 * whatever holds it (independent of the walk the call paths use).
 */
function taskStatesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(taskStatesIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
    const own =
      key === 'States' && child && typeof child === 'object'
        ? Object.entries(child as Record<string, { Type?: string }>)
            .filter(([, state]) => state.Type === 'Task')
            .map(([name]) => name)
        : [];
    return [...own, ...taskStatesIn(child)];
  });
}

describe('the permission simulation itself', () => {
  let s: SimulatedStack;
  beforeAll(async () => {
    s = await simulatedStack(configured);
  });

  it('denies what no policy grants and reports what it cannot judge as an error', async () => {
    const [scheduled] = schedulerPaths(s.resolver).filter((a) => a.action.startsWith('states:'));
    const [invoke] = s.machine.accesses.filter((a) => a.action === 'lambda:InvokeFunction');
    if (!scheduled || !invoke) throw new Error('no schedule or no invocation derived');
    const because = 'self-check';
    // The scheduler's role may start the state machine, but not invoke a function.
    const denied = { ...invoke, principal: scheduled.principal, because };
    expect(await decide(s.store, denied, ACCOUNT)).toBe('ImplicitlyDenied');
    const misspelt = { ...invoke, action: 'lambda:InvokeFuncton', because };
    expect(await decide(s.store, misspelt, ACCOUNT)).toMatch(/^error: /);
    const wrongResource = { ...invoke, resource: scheduled.resource, because };
    expect(await decide(s.store, wrongResource, ACCOUNT)).toMatch(/^error: /);
  });
});
