import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { type PipelineConfig, PipelineConfigSchema } from '../../config/schema';
import { type FieldPath, secretPaths } from '../../config/secret-fields';
import { buildApp } from '../../infra/build-app';
import type { StageRunners } from '../../infra/constructs/stage-runners';

/**
 * A canary in every field the schema marks secret, present and future: the paths come from the
 * schema, not from a list here. Each canary is URL-shaped so that a URL field accepts it too.
 */
const paths = secretPaths(PipelineConfigSchema);
const canary = (i: number) => `https://hooks.example.com/services/Canary${i}-d41c8f`;

function setAt(target: Record<string, unknown>, path: FieldPath, value: string): void {
  const [head, ...rest] = path.map((k) => (k === '*' ? 'canary' : k));
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  target[head] ??= {};
  setAt(target[head] as Record<string, unknown>, rest, value);
}

const shipped = loadConfig({ env: {} });
let outdir: string;
let pipeline: PipelineConfig;
let template: string;
let assemblyFiles: [name: string, text: string][];
let environments: Record<string, string>[];
let runtimeEnvironments: StageRunners['environments'];

beforeAll(() => {
  const raw: Record<string, unknown> = {
    ...structuredClone(shipped.pipeline),
    // Optional blocks with required fields of their own, so that their secrets can be set.
    alerts: {
      email: ['team@example.com'],
      slack_webhook_secret_id: 'clinic/slack-webhook',
      smtp: { host: 'smtp.example.com', user: 'etl', from: 'etl@example.com' },
    },
  };
  paths.forEach((path, i) => {
    setAt(raw, path, canary(i));
  });
  pipeline = PipelineConfigSchema.parse(raw);
  outdir = mkdtempSync(join(tmpdir(), 'etl-template-secrets-'));
  const { app, stack } = buildApp({
    config: { ...shipped, pipeline },
    bundle: false,
    validateTemplates: false,
    outdir,
  });
  runtimeEnvironments = stack.runners.environments;
  const assembly = app.synth();
  template = JSON.stringify(assembly.getStackByName(stack.stackName).template);
  assemblyFiles = readdirSync(outdir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, readFileSync(join(outdir, f), 'utf8')]);
  const resources = JSON.parse(template).Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  environments = Object.values(resources).flatMap((r) => {
    // The custom-resource providers CDK adds have no environment.
    const variables = (r.Properties.Environment as { Variables?: Record<string, string> })
      ?.Variables;
    if (r.Type === 'AWS::Lambda::Function') return variables ? [variables] : [];
    if (r.Type === 'AWS::ECS::TaskDefinition') {
      const [container] = r.Properties.ContainerDefinitions as {
        Environment: { Name: string; Value: string }[];
      }[];
      return [Object.fromEntries((container?.Environment ?? []).map((e) => [e.Name, e.Value]))];
    }
    return [];
  });
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

describe('no credential reaches the template', () => {
  it('covers every secret field of pipeline.yml with a canary the configuration really holds', () => {
    expect(paths.length).toBeGreaterThanOrEqual(5);
    const built = JSON.stringify(pipeline);
    for (let i = 0; i < paths.length; i++) expect(built).toContain(canary(i));
  });

  it('the whole synthesized template contains none of the canaries', () => {
    expect(template.length).toBeGreaterThan(10_000);
    for (let i = 0; i < paths.length; i++) {
      expect(template, paths[i]?.join('.')).not.toContain(canary(i));
    }
    expect(template).not.toContain('Canary');
  });

  it('nor does any file of the cloud assembly (manifest, tree, asset manifests)', () => {
    expect(assemblyFiles.map(([name]) => name)).toEqual(
      expect.arrayContaining(['manifest.json', 'tree.json']),
    );
    for (const [name, text] of assemblyFiles) expect(text, name).not.toContain('Canary');
  });

  it('every Lambda function and the Fargate container has an environment, none with a canary', () => {
    // The plan, stage and summarize functions, the Slack notifier and the task's container.
    expect(environments.length).toBeGreaterThanOrEqual(5);
    for (const environment of environments) {
      expect(JSON.stringify(environment)).not.toContain('Canary');
    }
    // What a runner parses back is valid, with no credential left but the defaults.
    for (const environment of Object.values(runtimeEnvironments)) {
      const runtime = PipelineConfigSchema.parse(JSON.parse(environment.PIPELINE_CONFIG ?? ''));
      expect(runtime.alerts.slack_webhook_url).toBeUndefined();
      expect(runtime.alerts.smtp?.password).toBeUndefined();
      expect(runtime.connections.source.password).toBe('');
    }
  });
});
