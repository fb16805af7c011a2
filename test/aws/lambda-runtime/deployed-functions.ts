import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import type { LoadedConfig } from '../../../config/load-config';
import { buildApp } from '../../../infra/build-app';
import { type FakeDeployment, resolveValue, type Template } from './cloudformation-values';

/** A Lambda function of the synthesized stack, with its code as the cloud assembly holds it. */
export interface DeployedFunction {
  logicalId: string;
  /** `Handler`, e.g. `index.handler`. */
  handler: string;
  /** `Runtime`, e.g. `nodejs22.x`. */
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  reservedConcurrency: number | undefined;
  /** `Environment.Variables`, resolved to the values a deployment would give them. */
  environment: Record<string, string>;
  /** The asset directory in the cloud assembly: what CDK zips and uploads as the code. */
  assetDir: string;
}

export interface BundledAssembly {
  outdir: string;
  stackName: string;
  template: Template;
  functions: DeployedFunction[];
}

/**
 * Synthesizes the stack as `cdk deploy` would, with each `NodejsFunction` bundled by the local
 * esbuild (no Docker), into `outdir`, and reads every function of the template with its asset.
 */
export function synthesizeBundled(
  config: LoadedConfig,
  outdir: string,
  where: FakeDeployment,
): BundledAssembly {
  // Template validation is covered by the infra tests; here it would only cost seconds.
  const { app, stack } = buildApp({ config, outdir, bundle: true, validateTemplates: false });
  const artifact = app.synth().getStackArtifact(stack.artifactId);
  const manifest = artifact.dependencies.find((d) => d instanceof AssetManifestArtifact);
  if (!manifest) throw new Error('the stack has no asset manifest');
  const template = artifact.template as Template;
  return {
    outdir,
    stackName: stack.stackName,
    template,
    functions: deployedFunctions(manifest.file, template, where),
  };
}

interface AssetManifest {
  files: Record<
    string,
    {
      source: { path: string; packaging?: string };
      destinations: Record<string, { objectKey: string }>;
    }
  >;
}

/**
 * Every `AWS::Lambda::Function` of the template, its code found the way the deployment finds it:
 * the template's `Code.S3Key` is an object key of the assets manifest, whose source is the asset
 * directory in the cloud assembly.
 */
export function deployedFunctions(
  assetManifestFile: string,
  template: Template,
  where: FakeDeployment,
): DeployedFunction[] {
  const manifest = JSON.parse(readFileSync(assetManifestFile, 'utf8')) as AssetManifest;
  const sourceByKey = new Map(
    Object.values(manifest.files).flatMap((file) =>
      Object.values(file.destinations).map((d) => [d.objectKey, file.source] as const),
    ),
  );
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, resource]) => {
      const p = resource.Properties ?? {};
      const key = resolveValue((p.Code as { S3Key?: unknown } | undefined)?.S3Key, template, where);
      const source = sourceByKey.get(key);
      if (!source) throw new Error(`${logicalId}: no asset with object key ${key}`);
      if (source.packaging !== 'zip') throw new Error(`${logicalId}: asset is not a zip directory`);
      const variables =
        (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return {
        logicalId,
        handler: String(p.Handler),
        runtime: String(p.Runtime),
        memoryMb: Number(p.MemorySize ?? 128),
        timeoutSeconds: Number(p.Timeout ?? 3),
        reservedConcurrency:
          p.ReservedConcurrentExecutions === undefined
            ? undefined
            : Number(p.ReservedConcurrentExecutions),
        environment: Object.fromEntries(
          Object.entries(variables).map(([k, v]) => [k, resolveValue(v, template, where)]),
        ),
        assetDir: resolve(dirname(assetManifestFile), source.path),
      };
    });
}

/**
 * Copies a function's code into `taskRoot` (which must not exist yet), as Lambda unzips it into
 * /var/task: outside the repository, so no package.json ("type": "module") and no node_modules
 * of the project are on its path. Returns the files copied, relative to `taskRoot`.
 */
export function copyToTaskRoot(fn: DeployedFunction, taskRoot: string): string[] {
  if (existsSync(taskRoot)) throw new Error(`${taskRoot} exists: a task root starts empty`);
  const scope = packageScopeOf(dirname(taskRoot));
  if (scope) throw new Error(`${taskRoot} is inside a package or node_modules: ${scope}`);
  mkdirSync(taskRoot, { recursive: true });
  cpSync(fn.assetDir, taskRoot, { recursive: true });
  return listFiles(taskRoot);
}

/** The nearest package.json or node_modules at or above `dir`, if any. */
export function packageScopeOf(dir: string): string | null {
  for (let d = resolve(dir); ; d = dirname(d)) {
    for (const name of ['package.json', 'node_modules']) {
      if (existsSync(join(d, name))) return join(d, name);
    }
    if (d === dirname(d)) return null;
  }
}

function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix)).flatMap((name) => {
    const relative = prefix ? `${prefix}/${name}` : name;
    return statSync(join(root, relative)).isDirectory() ? listFiles(root, relative) : [relative];
  });
}
