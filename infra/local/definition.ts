import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../config/load-config';
import { buildApp } from '../build-app';

/** Amazon States Language, as plain JSON. */
export type AslDefinition = { StartAt: string; States: Record<string, AslState> } & Record<
  string,
  unknown
>;
export type AslState = Record<string, unknown> & { Type: string };

const ACCOUNT = '123456789012';

/**
 * Synthesizes the stack (no bundling: only the template is needed) and resolves the state
 * machine's `DefinitionString` into plain ASL, replacing CloudFormation references with
 * placeholder ARNs. The local runner binds every Task to a local handler, so the placeholders
 * are never called.
 */
export function synthesizeDefinition(config: LoadedConfig): AslDefinition {
  const outdir = mkdtempSync(join(tmpdir(), 'etl-synth-'));
  try {
    const { app, stack } = buildApp({
      config,
      bundle: false,
      outdir,
      validateTemplates: false,
      placeholderAccount: ACCOUNT,
    });
    const template = app.synth().getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const machine = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    if (!machine) throw new Error('the stack has no state machine');
    const region = config.pipeline.aws.region;
    return JSON.parse(
      resolveIntrinsics(machine.Properties.DefinitionString, template.Resources, region),
    ) as AslDefinition;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function resolveIntrinsics(
  value: unknown,
  resources: Record<string, { Type: string }>,
  region: string,
): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, resources, region)).join(separator);
  }
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': region,
      'AWS::AccountId': ACCOUNT,
    };
    return pseudo[v.Ref] ?? placeholderArn(v.Ref, resources[v.Ref]?.Type, region);
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id] = v['Fn::GetAtt'] as [string, string];
    return placeholderArn(id, resources[id]?.Type, region);
  }
  throw new Error(`cannot resolve ${Object.keys(v).join(', ')} in the state machine definition`);
}

function placeholderArn(id: string, type: string | undefined, region: string): string {
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${ACCOUNT}:function:${id}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${ACCOUNT}:${id}`;
    case 'AWS::ECS::Cluster':
      return `arn:aws:ecs:${region}:${ACCOUNT}:cluster/${id}`;
    case 'AWS::ECS::TaskDefinition':
      return `arn:aws:ecs:${region}:${ACCOUNT}:task-definition/${id}:1`;
    default:
      return id;
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
