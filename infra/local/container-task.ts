import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from '../../contract/errors';

/**
 * How the local runner starts one Fargate task: the command, its arguments and its environment.
 * `taskEnvironment` is what the container gets in AWS (the runtime configuration and the
 * container overrides, i.e. the stage input).
 */
export type TaskLaunch = (taskEnvironment: Record<string, string>) => {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
};

/** The image `run --fargate-runner container` runs unless `--fargate-image` names another. */
export const DEFAULT_STAGE_IMAGE = 'localhost/etl-stage-task:latest';

/** The container engine: podman (rootless or root, no daemon); its CLI is Docker's. */
const ENGINE = 'podman';

/**
 * The Fargate task in its image, with podman, as the task definition runs it: a read-only root
 * file system, a writable /tmp, the image's own non-root user. The host's network, so that the
 * container reaches databases on 127.0.0.1 as the local runner does. Variables are passed by name
 * (`-e NAME`), their values through podman's environment: the configuration carries the local
 * passwords, and a command line is visible to every user of the machine.
 *
 * The runner ends a task by killing podman; the entrypoint (ETL_EXIT_WITH_PARENT=1) then sees
 * its stdin close and exits, and `--rm` removes the container.
 */
export function containerTask(
  image: string,
  engineEnv: NodeJS.ProcessEnv = process.env,
): TaskLaunch {
  return (taskEnvironment) => {
    const environment: Record<string, string> = {
      // As the task definition sets it: stack traces name the TypeScript source.
      NODE_OPTIONS: '--enable-source-maps',
      ...taskEnvironment,
    };
    return {
      command: ENGINE,
      args: [
        'run',
        '--rm',
        '--interactive',
        '--pull=never',
        '--read-only',
        '--tmpfs',
        '/tmp',
        '--network',
        'host',
        ...caFilesOf(environment.PIPELINE_CONFIG).flatMap((file) => [
          '--volume',
          `${file}:${file}:ro`,
        ]),
        ...Object.keys(environment).flatMap((name) => ['--env', name]),
        image,
      ],
      env: { ...engineEnv, ...environment },
    };
  };
}

/**
 * The CA files the configuration names (`connections.*.tls.ca_file`, absolute once loaded): each
 * is mounted read-only at the same path, so the container's configuration names a file it has.
 * In AWS the stack carries them into the image instead (docs/tls.md).
 */
function caFilesOf(pipelineConfig: string | undefined): string[] {
  if (!pipelineConfig) return [];
  const { connections = {} } = JSON.parse(pipelineConfig) as {
    connections?: Record<string, { tls?: { ca_file?: string } | boolean }>;
  };
  const files = Object.values(connections).flatMap((c) =>
    typeof c.tls === 'object' && c.tls.ca_file ? [c.tls.ca_file] : [],
  );
  return [...new Set(files)];
}

/**
 * Refuses early, with what to do, when the image is not there: `--pull=never` keeps podman from
 * reaching for a registry, so a missing image would otherwise fail every Fargate task alike.
 */
export async function assertImageExists(
  image: string,
  engineEnv: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  try {
    await promisify(execFile)(ENGINE, ['image', 'exists', image], { env: engineEnv });
  } catch (error) {
    const missingEngine = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ConfigError(
      missingEngine
        ? `--fargate-runner container needs ${ENGINE}, which is not installed`
        : `image ${image} not found: build it with \`${ENGINE} build -f ecs-tasks/Dockerfile -t ${image} .\` (see docs/deploy.md, "The Fargate image")`,
      { stage: 'config' },
    );
  }
}
