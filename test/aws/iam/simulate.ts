import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { PolicyStore } from './policy-store';

/** One request the deployed stack makes: who calls what on which resource, and why. */
export interface Access {
  /** A role ARN, or a service principal such as `cloudwatch.amazonaws.com`. */
  principal: string;
  action: string;
  /** The full ARN (or `*` for actions AWS does not scope to a resource). */
  resource: string;
  /** Request context AWS sends with the call (beyond TLS, which every call uses). */
  context?: Record<string, string | string[]>;
  /** The call path that needs it, for the failure message. */
  because: string;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | `error: ${string}`;

/** A context key iam-simulate's validation drops: its variable part contains colons. */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;

/**
 * Simulates one access with identity and resource policies together (iam-simulate, strict mode,
 * same account). A validation error (unresolved reference, misspelt action, an ARN the action does
 * not take, a context key the action does not have) comes back as `error: …`, never as a deny.
 *
 * iam-simulate's validation drops `kms:EncryptionContext:<key>` context keys (the key contains
 * colons, which its variable matching does not expect). When it dropped only those, the decision
 * is taken again, without re-validation, from the same already validated policies and the full
 * context, so an encryption-context condition in a key policy is evaluated as AWS does.
 */
export async function decide(
  store: PolicyStore,
  access: Access,
  account: string,
): Promise<Decision> {
  const resourcePolicy = store.resourcePolicy(access.action, access.resource);
  const role = /^arn:aws:iam::\d+:role\/(.+)$/.exec(access.principal);
  const simulation: Simulation = {
    request: {
      // A role calls as a session of it, with the principal keys AWS always sends.
      principal: role
        ? `arn:aws:sts::${account}:assumed-role/${role[1]}/simulated`
        : access.principal,
      action: access.action,
      resource: { resource: access.resource, accountId: account },
      contextVariables: {
        'aws:SecureTransport': 'true',
        ...(role
          ? { 'aws:PrincipalArn': access.principal, 'aws:PrincipalAccount': account }
          : { 'aws:PrincipalServiceName': access.principal }),
        ...access.context,
      },
    },
    identityPolicies: store.identityPolicies(access.principal),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy,
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}` as Decision;
  if (result.resultType !== 'single')
    return `error: ${access.resource} was simulated as a wildcard` as Decision;
  const ignored = result.result.ignoredContextKeys ?? [];
  const unexpected = ignored.filter((key) => !ENCRYPTION_CONTEXT.test(key));
  if (unexpected.length > 0)
    return `error: context ${unexpected.join(', ')} does not apply to ${access.action}` as Decision;
  if (ignored.length === 0) return result.overallResult as Decision;
  return runUnsafeSimulation(
    {
      ...simulation,
      resourcePolicy: resourcePolicy
        ? createValidatedPolicy(resourcePolicy, validateResourcePolicy, { name: 'resource' })
        : undefined,
    },
    {},
  ) as Decision;
}

/** `access` as one line: principal, action, resource, the decision and the call path. */
export function describeAccess(access: Access, decision: Decision): string {
  const who = access.principal.replace(/^arn:aws:iam::\d+:/, '');
  return `${who} ${access.action} on ${access.resource}: ${decision} (${access.because})`;
}

/** One line per access whose decision `wrong` flags (principal, action, resource, decision, why). */
async function accessesWhere(
  store: PolicyStore,
  accesses: readonly Access[],
  account: string,
  wrong: (decision: string) => boolean,
): Promise<string[]> {
  const lines: string[] = [];
  for (const access of accesses) {
    const decision = await decide(store, access, account);
    if (wrong(decision)) lines.push(describeAccess(access, decision));
  }
  return lines;
}

/** Every access that is not allowed: an implicit or explicit deny, or a simulation error. */
export function notAllowed(
  store: PolicyStore,
  accesses: readonly Access[],
  account: string,
): Promise<string[]> {
  return accessesWhere(store, accesses, account, (d) => d !== 'Allowed');
}

/** Every access that is allowed although it must not be, and every simulation error. */
export function allowedButForbidden(
  store: PolicyStore,
  accesses: readonly Access[],
  account: string,
): Promise<string[]> {
  return accessesWhere(store, accesses, account, (d) => d === 'Allowed' || d.startsWith('error'));
}
