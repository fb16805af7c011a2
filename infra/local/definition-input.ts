import type { LoadedConfig } from '../../config/load-config';
import { NetworkSchema } from '../../config/network-schema';

/**
 * The configuration the local definition is synthesized from: the loaded one on a placeholder new
 * VPC, whatever `aws.network` says. The network does not change the definition (its subnets and
 * security group become placeholder ARNs), `local` deploys nothing, and an existing VPC would need
 * a lookup. The definition cache keys on this too, so a network change is no miss.
 */
export function definitionInput(config: LoadedConfig): LoadedConfig {
  const aws = { ...config.pipeline.aws, network: NetworkSchema.parse({ type: 'new_vpc' }) };
  return { ...config, pipeline: { ...config.pipeline, aws } };
}
