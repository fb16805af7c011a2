import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/load-config';
import { buildApp } from '../build-app';
import { type AslDefinition, resolveDefinitionString } from '../limits/resolve-definition';
import { definitionInput } from './definition-input';

export { type AslDefinition, type AslState, allStates, retryIntervalsOf } from './asl-states';

/**
 * Synthesizes the stack (no bundling: only the template is needed) and resolves the state
 * machine's `DefinitionString` into plain ASL, replacing CloudFormation references with
 * placeholder ARNs. The local runner binds every Task to a local handler, so the placeholders
 * are never called. The stack is built on a placeholder new VPC (`definitionInput`). This loads
 * aws-cdk-lib and takes seconds: the local runner reads it through `definition-cache.ts`.
 */
export function synthesizeDefinition(config: LoadedConfig): AslDefinition {
  const outdir = mkdtempSync(join(tmpdir(), 'etl-synth-'));
  try {
    const { app, stack } = buildApp({
      config: definitionInput(config),
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
