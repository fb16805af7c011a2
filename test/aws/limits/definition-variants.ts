import { STATE } from '../../../infra/constructs/state-names';
import type { AslDefinition, AslState } from '../../../infra/limits/resolve-definition';
import { allStates } from '../../../infra/local/definition';

/**
 * Variants of the deployed definition that could pass Step Functions' history limit, for the
 * synth check to refuse: the changes a later edit could make.
 */

/** The table Map of `definition`'s item processor (the states each table runs). */
export function tableProcessor(definition: AslDefinition): { States: Record<string, AslState> } {
  const map = definition.States[STATE.map];
  if (map?.Type !== 'Map') throw new Error(`the definition has no Map named ${STATE.map}`);
  return map.ItemProcessor as { States: Record<string, AslState> };
}

/** The definition with its table Map inline: every table's states in the run's own execution. */
export function withInlineMap(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition);
  const processor = tableProcessor(copy) as { ProcessorConfig?: unknown };
  processor.ProcessorConfig = { Mode: 'INLINE' };
  return copy;
}

/** The definition with every retrier of the states named in `states` allowed `maxAttempts`. */
export function withMaxAttempts(
  definition: AslDefinition,
  maxAttempts: number,
  states: ReadonlySet<string>,
): AslDefinition {
  const copy = structuredClone(definition);
  for (const [name, state] of allStates(copy)) {
    if (!states.has(name)) continue;
    for (const retrier of (state.Retry ?? []) as { MaxAttempts?: number }[]) {
      retrier.MaxAttempts = maxAttempts;
    }
  }
  return copy;
}
