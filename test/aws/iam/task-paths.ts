import type { SecretUsage } from './secret-usage';
import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import type { StateMachinePaths } from './state-machine-paths';
import type { TemplateResolver } from './template-resolver';

const TASK_ID = '0123456789abcdef0123456789abcdef';
const ECR_IMAGE = /^(\d+)\.dkr\.ecr\.([^.]+)\.amazonaws\.com\/([^:@]+)/;

interface Container {
  Name: string;
  Image: string;
  Environment?: { Name: string; Value: string }[];
  Secrets?: { Name: string; ValueFrom: string }[];
  LogConfiguration?: { LogDriver: string; Options: Record<string, string> };
}

/**
 * What each Fargate task definition the state machine runs calls: its execution role pulls the
 * image from ECR, writes the `awslogs` stream and reads the container's `Secrets`; its task role
 * runs the stage handler (ecs-tasks/main.ts → runContainerStage) for the stages the ASL runs
 * there; ECS assumes both.
 */
export async function taskPaths(
  r: TemplateResolver,
  rules: ServiceRules,
  secrets: SecretUsage,
  machine: StateMachinePaths,
): Promise<Access[]> {
  const out: Access[] = [];
  for (const id of new Set(machine.ecsTasks.map((t) => t.taskDefinitionId))) {
    const definition = r.properties(id);
    const taskRole = definition.TaskRoleArn as string | undefined;
    const executionRole = definition.ExecutionRoleArn as string | undefined;
    if (!taskRole || !executionRole) throw new Error(`${id}: a task role and an execution role`);
    for (const role of [taskRole, executionRole])
      out.push({
        principal: 'ecs-tasks.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: role,
        because: `ECS runs ${id} with its roles`,
      });
    const stages = machine.ecsTasks.filter((t) => t.taskDefinitionId === id).map((t) => t.stage);
    for (const container of definition.ContainerDefinitions as Container[]) {
      const who = `${id} container ${container.Name}`;
      const image = ECR_IMAGE.exec(container.Image);
      if (image) {
        const repository = `arn:aws:ecr:${image[2]}:${image[1]}:repository/${image[3]}`;
        const because = `ECS pulls the image of ${who}`;
        out.push({
          principal: executionRole,
          action: 'ecr:GetAuthorizationToken',
          resource: '*',
          because,
        });
        for (const action of [
          'BatchCheckLayerAvailability',
          'GetDownloadUrlForLayer',
          'BatchGetImage',
        ])
          out.push({
            principal: executionRole,
            action: `ecr:${action}`,
            resource: repository,
            because,
          });
      }
      const logs = container.LogConfiguration;
      if (logs?.LogDriver === 'awslogs') {
        const stream = `${logs.Options['awslogs-stream-prefix']}/${container.Name}/${TASK_ID}`;
        const group = logs.Options['awslogs-group'] ?? '';
        out.push(...rules.writeLogs(executionRole, group, stream, `${who} logs`));
      }
      // ValueFrom may name a JSON key after the ARN (arn:…:secret:name-abcdef:key::).
      for (const secret of container.Secrets ?? []) {
        const arn = secret.ValueFrom.split(':').slice(0, 7).join(':');
        out.push(...secrets.use(executionRole, arn, `${who} secret ${secret.Name}`));
      }
      const env = Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value]));
      out.push(...(await secrets.handler(taskRole, 'createRunStageHandler', stages, env, who)));
    }
  }
  return out;
}
