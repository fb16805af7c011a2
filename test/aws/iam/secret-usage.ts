import type { PipelineConfig } from '../../../config/schema';
import type { StageName } from '../../../contract/stage';
import { connectionsOpened, type HandlerFactory, secretsReadAtStart } from './code-usage';
import type { SecretCatalog } from './secret-catalog';
import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';

/**
 * The secrets each role's code uses, gathered while the runners' call paths are derived: the
 * baseline least privilege is judged against. A secret the code only reads on start-up is an
 * access it needs, but not a use: least privilege then fails until the runtime stops reading it.
 */
export class SecretUsage {
  /** Role ARN → full ARNs of the secrets its code uses. */
  readonly used = new Map<string, Set<string>>();
  /** What could not be derived (a connection opened without a secret to read): each a failure. */
  readonly problems: string[] = [];

  constructor(
    private readonly rules: ServiceRules,
    private readonly catalog: SecretCatalog,
    private readonly config: PipelineConfig,
  ) {}

  /** `role` uses the secret `secretId`: reading it (and its key). */
  use(role: string, secretId: string, because: string): Access[] {
    const arn = this.catalog.add(secretId);
    this.used.set(role, (this.used.get(role) ?? new Set<string>()).add(arn));
    return this.rules.readSecret(role, arn, because);
  }

  /**
   * What a runtime handler running as `role` with `env` reads: the secrets of the connections it
   * opens (which it uses), and every secret the runtime reads when it starts.
   */
  async handler(
    role: string,
    factory: HandlerFactory,
    stages: readonly StageName[],
    env: Readonly<Record<string, string>>,
    who: string,
  ): Promise<Access[]> {
    const accesses: Access[] = [];
    const runtime = JSON.parse(env.PIPELINE_CONFIG ?? '{}') as PipelineConfig;
    for (const connection of connectionsOpened(factory, stages, this.config)) {
      const secretId =
        runtime.connections?.[connection as keyof PipelineConfig['connections']]?.secret_id;
      if (secretId) accesses.push(...this.use(role, secretId, `${who} opens ${connection}`));
      else this.problems.push(`${who} opens ${connection}, but its environment names no secret`);
    }
    for (const secretId of await secretsReadAtStart({ ...env }))
      accesses.push(
        ...this.rules.readSecret(role, this.catalog.add(secretId), `${who} reads it at start-up`),
      );
    return accesses;
  }
}
