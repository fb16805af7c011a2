import type { CliCall } from './cli-calls';
import type { PolicyDocument } from './managed-policies';
import { type NamedPolicy, PolicyStore } from './policy-store';
import type { Access } from './simulate';
import type { TemplateResolver } from './template-resolver';

/** The role an operator's `etl-pipeline` runs as, with the stack's operator policy attached. */
export const OPERATOR = 'arn:aws:iam::111122223333:role/etl-operator';

const RUN = 'run-20260101T010000';
const LABEL = 'a1b2c3d4';
const CHILD = '0123abcd-0123-4567-89ab-0123456789ab';

/** The stack's operator policy (`AWS::IAM::ManagedPolicy`), resolved in the fake account. */
export function operatorPolicyOf(r: TemplateResolver): NamedPolicy {
  const policies = r.resourcesOf('AWS::IAM::ManagedPolicy');
  const [only] = policies;
  if (!only || policies.length !== 1)
    throw new Error(`expected one managed policy, found ${policies.length}`);
  return { name: only[0], policy: r.properties(only[0]).PolicyDocument as PolicyDocument };
}

/** The stack's policies, and the operator policy as the identity policy of {@link OPERATOR}. */
export class OperatorStore extends PolicyStore {
  constructor(
    r: TemplateResolver,
    private readonly operator: NamedPolicy,
  ) {
    super(r);
  }

  override identityPolicies(principal: string): NamedPolicy[] {
    return principal === OPERATOR ? [this.operator] : super.identityPolicies(principal);
  }
}

/** ARNs of one state machine, by the request parameter that names them. */
function resourcesOf(
  region: string,
  account: string,
  stackId: string,
  machineName: string,
): Record<string, string[]> {
  const states = `arn:aws:states:${region}:${account}`;
  return {
    StackName: [stackId],
    stateMachineArn: [`${states}:stateMachine:${machineName}`],
    // A run's own execution, and a child execution of its distributed Map.
    executionArn: [
      `${states}:execution:${machineName}:${RUN}`,
      `${states}:execution:${machineName}/${LABEL}:${CHILD}`,
    ],
    mapRunArn: [`${states}:mapRun:${machineName}/${LABEL}:${CHILD}`],
  };
}

/**
 * What the operator's CLI requests: each call the code makes, on each resource of this stack its
 * request parameters can name (the stack, the state machine, a run's execution and its children,
 * a Map Run).
 */
export function operatorAccesses(r: TemplateResolver, calls: readonly CliCall[]): Access[] {
  const [machine] = r.resourcesOf('AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error('the stack has no state machine');
  const own = resourcesOf(
    r.env.region,
    r.env.account,
    r.ref('AWS::StackId'),
    r.getAtt(machine[0], 'Name'),
  );
  if (own.stateMachineArn?.[0] !== r.ref(machine[0])) throw new Error('state machine ARN differs');
  return accesses(calls, own, 'the CLI');
}

/**
 * The same calls on what is not this stack's: another stack and state machine, a state machine
 * whose name begins with this one's, this one's name in another region and in another account.
 */
export function foreignAccesses(r: TemplateResolver, calls: readonly CliCall[]): Access[] {
  const [machine] = r.resourcesOf('AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error('the stack has no state machine');
  const name = r.getAtt(machine[0], 'Name');
  const { region, account } = r.env;
  const stack = (where: string, who: string, stackName: string) =>
    `arn:aws:cloudformation:${where}:${who}:stack/${stackName}/${CHILD}`;
  const others: [string, Record<string, string[]>][] = [
    ['another stack', resourcesOf(region, account, stack(region, account, 'Other'), 'Other')],
    [
      'a name sharing the prefix',
      resourcesOf(region, account, stack(region, account, `${r.stackName}x`), `${name}x`),
    ],
    [
      'another region',
      resourcesOf('eu-west-1', account, stack('eu-west-1', account, r.stackName), name),
    ],
    [
      'another account',
      resourcesOf(region, '444455556666', stack(region, '444455556666', r.stackName), name),
    ],
  ];
  return others.flatMap(([why, resources]) => accesses(calls, resources, why));
}

function accesses(
  calls: readonly CliCall[],
  resources: Record<string, string[]>,
  why: string,
): Access[] {
  return calls.flatMap((call) =>
    call.on.flatMap((parameter) => {
      const arns = resources[parameter];
      if (!arns) throw new Error(`${call.at}: no resource modelled for ${parameter}`);
      return arns.map((resource) => ({
        principal: OPERATOR,
        action: call.action,
        resource,
        because: `${why}: ${call.at} (${parameter})`,
      }));
    }),
  );
}
