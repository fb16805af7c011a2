import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/load-config';
import { NetworkSchema } from '../../config/network-schema';
import { buildApp } from '../build-app';
import {
  type AslDefinition,
  type AslState,
  resolveDefinitionString,
} from '../limits/resolve-definition';

export type { AslDefinition, AslState };

/**
 * Synthesizes the stack (no bundling: only the template is needed) and resolves the state
 * machine's `DefinitionString` into plain ASL, replacing CloudFormation references with
 * placeholder ARNs. The local runner binds every Task to a local handler, so the placeholders
 * are never called. The network does not change the definition (its subnets and security
 * group become placeholders too), so the stack is built on a placeholder new VPC, whatever
 * `aws.network` says: `local` deploys nothing, and an existing VPC would need a lookup.
 */
export function synthesizeDefinition(config: LoadedConfig): AslDefinition {
  const outdir = mkdtempSync(join(tmpdir(), 'etl-synth-'));
  const aws = { ...config.pipeline.aws, network: NetworkSchema.parse({ type: 'new_vpc' }) };
  try {
    const { app, stack } = buildApp({
      config: { ...config, pipeline: { ...config.pipeline, aws } },
      bundle: false,
      outdir,
      validateTemplates: false,
      // Locally there is no history limit and no 4 KB environment: a run may be larger.
      checkAwsLimits: false,
    });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const machine = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    if (!machine) throw new Error('the stack has no state machine');
    return resolveDefinitionString(
      machine.Properties.DefinitionString,
      template.Resources,
      config.pipeline.aws.region,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

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
