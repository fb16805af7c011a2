import { type LoadedConfig, loadConfig } from '../config/load-config';

/** Options every command that reads the configuration accepts. */
export interface ConfigOption {
  config?: string;
}

export function configFrom(options: ConfigOption): LoadedConfig {
  return loadConfig({ path: options.config });
}
