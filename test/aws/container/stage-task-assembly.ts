import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type { PipelineConfig, TableOverride } from '../../../config/schema';
import { ROOT_DIR } from '../../../infra/build-app';
import { CONNECTIONS, type ConnectionName } from '../../../infra/constructs/secrets';
import { StageRunners } from '../../../infra/constructs/stage-runners';
import { bareStack, sharedResources } from '../../helpers/bare-stack';

/**
 * The Fargate task as CDK deploys it: the image asset (its staged build context, Dockerfile,
 * build arguments and platform, from the cloud assembly's asset manifest) and the container
 * definition of the task definition in the template. The connection secrets are given full ARNs,
 * so the container's environment is plain text, as CloudFormation would resolve it.
 */
export interface StageTaskAssembly {
  image: {
    /** The staged build context (absolute). */
    directory: string;
    dockerFile: string;
    buildArgs: Record<string, string>;
    platform: string | undefined;
  };
  container: {
    environment: Record<string, string>;
    readonlyRootFilesystem: boolean;
    /** Paths of the container's writable volumes (the scratch /tmp). */
    writablePaths: string[];
    user: string | undefined;
  };
  secretArns: Record<ConnectionName, string>;
  /** Deletes the cloud assembly. */
  close(): void;
}

export function synthesizeStageTask(
  config: PipelineConfig,
  tables: Record<string, TableOverride>,
): StageTaskAssembly {
  const stack = bareStack({ env: { region: config.aws.region, account: '123456789012' } });
  const shared = sharedResources(stack);
  const secretArns = Object.fromEntries(
    CONNECTIONS.map((name) => [
      name,
      `arn:aws:secretsmanager:${config.aws.region}:123456789012:secret:etl/${name}-AbC123`,
    ]),
  ) as Record<ConnectionName, string>;
  new StageRunners(stack, 'StageRunners', {
    config,
    tables,
    rootDir: ROOT_DIR,
    network: shared.network,
    secrets: Object.fromEntries(
      CONNECTIONS.map((name) => [
        name,
        secretsmanager.Secret.fromSecretCompleteArn(stack, `${name}Secret`, secretArns[name]),
      ]),
    ) as Record<ConnectionName, secretsmanager.ISecret>,
    deadLetterQueue: shared.deadLetterQueue,
    logs: shared.logs,
  });
  const assembly = (stack.node.root as App).synth();
  const images = assembly.artifacts
    .filter((a) => a instanceof cxapi.AssetManifestArtifact)
    .flatMap((a) => Object.values(a.contents.dockerImages ?? {}));
  if (images.length !== 1) throw new Error(`expected one image asset, found ${images.length}`);
  const source = images[0]?.source ?? {};

  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const taskDefinitions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::ECS::TaskDefinition',
  );
  const [container] = (taskDefinitions[0]?.Properties.ContainerDefinitions ?? []) as {
    Environment?: { Name: string; Value: unknown }[];
    ReadonlyRootFilesystem?: boolean;
    MountPoints?: { ContainerPath: string; ReadOnly?: boolean }[];
    User?: string;
  }[];
  if (taskDefinitions.length !== 1 || !container) throw new Error('expected one task definition');
  const environment: Record<string, string> = {};
  for (const { Name, Value } of container.Environment ?? []) {
    if (typeof Value !== 'string') throw new Error(`${Name} is not plain text in the template`);
    environment[Name] = Value;
  }
  return {
    image: {
      directory: join(assembly.directory, source.directory ?? ''),
      dockerFile: source.dockerFile ?? 'Dockerfile',
      buildArgs: source.dockerBuildArgs ?? {},
      platform: source.platform,
    },
    container: {
      environment,
      readonlyRootFilesystem: container.ReadonlyRootFilesystem === true,
      writablePaths: (container.MountPoints ?? [])
        .filter((m) => m.ReadOnly !== true)
        .map((m) => m.ContainerPath),
      user: container.User,
    },
    secretArns,
    close: () => rmSync(assembly.directory, { recursive: true, force: true }),
  };
}
