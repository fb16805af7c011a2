import type { Access } from './simulate';

/** An account that is not the stack's: its alarms and rules must not reach the topic. */
export const OTHER_ACCOUNT = '444455556666';

const SOURCE_ARN = /^arn:aws:([^:]+):([^:]*):(\d+):(.+)$/;

/**
 * Sources of the same kind in the stack's own account that the topic policy does not admit: for
 * an alarm, one in another region (the statement admits every alarm of this account, in the
 * stack's region only); for a rule, any rule but the stack's (the statement names each one).
 */
const OWN_ACCOUNT_STRANGERS: Record<string, (source: string[]) => [string, string]> = {
  'cloudwatch.amazonaws.com': ([service, region, account, resource]) => [
    `arn:aws:${service}:${region === 'us-west-2' ? 'us-east-1' : 'us-west-2'}:${account}:${resource}`,
    'an alarm of this account in another region',
  ],
  'events.amazonaws.com': ([service, region, account]) => [
    `arn:aws:${service}:${region}:${account}:rule/NotOneOfTheStacksRules`,
    'another rule of this account',
  ],
};

/**
 * What a service principal could publish to the topic for a source that is not the stack's, one
 * request per way of being foreign, derived from the stack's own publications (each `sns:Publish`
 * a service principal makes with an `aws:SourceArn`): the same source in another account (its
 * ARN and `aws:SourceAccount`), a source of the same kind in this account that the topic policy
 * does not admit, and the other publishing service's sources claimed by this one. Each must be
 * denied: only the topic policy's conditions keep them out (the key policy lets both services use
 * the key unconditionally). A publishing service without a rule here fails loudly.
 */
export function foreignSources(accesses: readonly Access[]): Access[] {
  const publishes = accesses.filter(
    (a) => a.action === 'sns:Publish' && !a.principal.startsWith('arn:'),
  );
  const out: Access[] = [];
  for (const a of publishes) {
    const source = a.context?.['aws:SourceArn'];
    const parts = typeof source === 'string' ? SOURCE_ARN.exec(source)?.slice(1) : undefined;
    if (typeof source !== 'string' || !parts) throw new Error(`${a.because}: no aws:SourceArn`);
    const stranger = OWN_ACCOUNT_STRANGERS[a.principal];
    if (!stranger) throw new Error(`${a.principal}: no foreign source modelled`);
    const account = String(a.context?.['aws:SourceAccount']);
    const as = (sourceArn: string, sourceAccount: string, why: string): Access => ({
      ...a,
      context: { ...a.context, 'aws:SourceArn': sourceArn, 'aws:SourceAccount': sourceAccount },
      because: why,
    });
    const [service, region, , resource] = parts as [string, string, string, string];
    const elsewhere = `arn:aws:${service}:${region}:${OTHER_ACCOUNT}:${resource}`;
    out.push(as(elsewhere, OTHER_ACCOUNT, `${elsewhere}: the same source in another account`));
    const [ownArn, ownWhy] = stranger(parts);
    out.push(as(ownArn, account, `${ownArn}: ${ownWhy}`));
    // The other service's sources, claimed by this one (one request per source).
    for (const other of publishes.filter((p) => p.principal !== a.principal)) {
      const claimed = String(other.context?.['aws:SourceArn']);
      out.push(as(claimed, account, `${claimed}: a source of ${other.principal}`));
    }
  }
  return out;
}
