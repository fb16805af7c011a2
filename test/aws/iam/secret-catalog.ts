import { type TemplateResolver, token } from './template-resolver';

const SUFFIX_WILDCARD = '-??????';

/**
 * The stack's secrets by full ARN. IAM evaluates a secret's full ARN, which ends in six random
 * characters Secrets Manager appends to the name; a secret imported by name (`fromSecretNameV2`)
 * appears in the template only as a partial ARN or as `name-??????` in a policy. Each name gets
 * one fixed suffix here, so every reference to a secret becomes the same full ARN.
 */
export class SecretCatalog {
  private readonly known = new Set<string>();

  constructor(private readonly r: TemplateResolver) {
    for (const [id] of r.resourcesOf('AWS::SecretsManager::Secret')) this.known.add(r.ref(id));
    // A pattern over several secrets names none of them; least privilege judges what it allows.
    for (const resource of this.policyResources())
      if (resource.includes(':secret:') && !/[*?]/.test(resource.replace(SUFFIX_WILDCARD, '')))
        this.known.add(this.full(resource));
  }

  /** The full ARN behind a secret id: a full ARN, a partial ARN, `name-??????` or a name. */
  full(secretId: string): string {
    const created = this.r
      .resourcesOf('AWS::SecretsManager::Secret')
      .map(([id]) => this.r.ref(id))
      .find((arn) => arn === secretId);
    if (created) return created;
    const { region, account } = this.r.env;
    const prefix = `arn:aws:secretsmanager:${region}:${account}:secret:`;
    let name = secretId.startsWith('arn:')
      ? secretId.slice(secretId.indexOf(':secret:') + 8)
      : secretId;
    if (secretId.startsWith('arn:') && !secretId.startsWith(prefix))
      throw new Error(`secret ${secretId} is outside the simulated account and region`);
    if (name.endsWith(SUFFIX_WILDCARD)) name = name.slice(0, -SUFFIX_WILDCARD.length);
    if (name.includes('*') || name.includes('?'))
      throw new Error(`secret pattern ${secretId} names no single secret`);
    return `${prefix}${name}-${token(name, 6)}`;
  }

  /** Records a secret the deployed code refers to (an environment value) and returns its full ARN. */
  add(secretId: string): string {
    const arn = this.full(secretId);
    this.known.add(arn);
    return arn;
  }

  /** Every secret the stack creates, refers to or grants: what least privilege is checked on. */
  all(): string[] {
    return [...this.known].sort();
  }

  /** Every `Resource` string of the stack's identity policies. */
  private policyResources(): string[] {
    const documents = [
      ...['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
        this.r.resourcesOf(type).map(([id]) => this.r.properties(id).PolicyDocument),
      ),
      ...this.r
        .resourcesOf('AWS::IAM::Role')
        .flatMap(([id]) =>
          ((this.r.properties(id).Policies as { PolicyDocument: unknown }[]) ?? []).map(
            (p) => p.PolicyDocument,
          ),
        ),
    ] as { Statement: { Resource?: unknown }[] }[];
    return documents.flatMap((d) =>
      d.Statement.flatMap((s) => ([] as unknown[]).concat(s.Resource ?? [])).map(String),
    );
  }
}
