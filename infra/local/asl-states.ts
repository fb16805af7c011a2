import type { AslDefinition, AslState } from '../limits/resolve-definition';

// Plain ASL walks, with no CDK behind them (the import above is types only): the local runner
// uses them on a cached definition without loading aws-cdk-lib (definition-cache.ts).

export type { AslDefinition, AslState };

/** Every state of a definition, Map item processors and Parallel branches included. */
export function allStates(definition: { States: Record<string, AslState> }): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as
      | { States: Record<string, AslState> }
      | undefined;
    const branches = (state.Branches ?? []) as { States: Record<string, AslState> }[];
    return [
      [name, state] as [string, AslState],
      ...(processor ? allStates(processor) : []),
      ...branches.flatMap((branch) => allStates(branch)),
    ];
  });
}

/**
 * Retry waits for the local engine (`retryIntervalOverrides`): every retrier of every state waits
 * `ms` instead of its IntervalSeconds, so local runs and tests do not sleep through backoffs.
 */
export function retryIntervalsOf(
  definition: { States: Record<string, AslState> },
  ms: number,
): Record<string, number[]> {
  return Object.fromEntries(
    allStates(definition)
      .filter(([, state]) => Array.isArray(state.Retry))
      .map(([name, state]) => [name, (state.Retry as unknown[]).map(() => ms)]),
  );
}
