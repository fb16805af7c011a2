import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { StageName } from '../../contract/stage';
import { CONTAINER_EXIT } from '../../core/runtime';
import { containerEnvironment } from './stage-task-input';
import { STATE } from './state-names';

/** The errors a Fargate stage ends with when its task stopped with a failure. */
export const FARGATE_ERRORS = {
  /** The task failed to start, or its container gave up on a transient error: relaunched. */
  transient: 'FargateTaskTransientFailure',
  /** The container exited with a terminal error, or the task stopped for any other reason. */
  failed: 'FargateTaskFailed',
} as const;

/**
 * `StringMatches` patterns on the Cause of a failed `ecs:runTask.sync` task that mean "relaunch".
 * The Cause is the ECS task description as compact JSON with PascalCase keys in alphabetical
 * order (`{"Attachments":[…],"Containers":[{…,"ExitCode":75,"Image":…}],…,"StopCode":
 * "TaskFailedToStart",…}`): a task that never started (ResourceInitializationError,
 * CannotPullContainerError, …) has that StopCode and no ExitCode; a container that gave up on a
 * transient error exits with CONTAINER_EXIT.transient. The closing `,` or `}` keeps 75 from
 * matching 750; a quote inside a string value is escaped in the JSON, so no value can forge a key.
 */
export const RELAUNCHABLE_CAUSES: readonly string[] = [
  '*"StopCode":"TaskFailedToStart"*',
  `*"ExitCode":${CONTAINER_EXIT.transient},*`,
  `*"ExitCode":${CONTAINER_EXIT.transient}}*`,
];

export interface FargateStageProps {
  cluster: ecs.ICluster;
  taskDefinition: ecs.FargateTaskDefinition;
  container: ecs.ContainerDefinition;
  subnets: ec2.SubnetSelection;
  securityGroups: ec2.ISecurityGroup[];
  /** The stage's `timeout_minutes`, in seconds: each launch gets all of it. */
  timeoutSeconds: number;
  /** Retries ECS's own capacity and throttling errors of RunTask, within one launch. */
  capacityRetry: sfn.RetryProps;
  /** How often and how late a stopped task is relaunched (its `errors` are set here). */
  relaunchRetry: Omit<sfn.RetryProps, 'errors'>;
}

/**
 * One stage as a Fargate task (`ecs:runTask.sync`), with its failures classified. Step Functions
 * reports every stopped task as `States.TaskFailed`, whatever the reason; the task's Catch hands
 * the failure to a Choice that reads the Cause (RELAUNCHABLE_CAUSES) and ends the branch with
 * FARGATE_ERRORS.transient or FARGATE_ERRORS.failed. The Parallel around it retries only the
 * transient one: the task is relaunched with backoff and jitter, each launch with a fresh
 * timeout. Anything else leaves the Parallel for the caller's Catch (the table fails with an
 * alert); a timeout (`States.Timeout`) passes through uncaught, by name.
 *
 * The success path adds four history events per stage (the Parallel's entered, started,
 * succeeded, exited); a relaunch adds the Choice and the Fail.
 */
export function fargateStage(
  scope: Construct,
  stage: StageName,
  props: FargateStageProps,
): sfn.Parallel {
  const task = new tasks.EcsRunTask(scope, STATE.ecs(stage), {
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    cluster: props.cluster,
    taskDefinition: props.taskDefinition,
    launchTarget: new tasks.EcsFargateLaunchTarget({
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    }),
    subnets: props.subnets,
    securityGroups: props.securityGroups,
    containerOverrides: [
      { containerDefinition: props.container, environment: containerEnvironment(stage) },
    ],
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(props.timeoutSeconds)),
  });
  task.addRetry(props.capacityRetry);

  const stopped = new sfn.Choice(scope, STATE.ecsStopped(stage))
    .when(
      sfn.Condition.or(
        ...RELAUNCHABLE_CAUSES.map((p) => sfn.Condition.stringMatches('$.stopped.Cause', p)),
      ),
      new sfn.Fail(scope, STATE.ecsRelaunch(stage), {
        error: FARGATE_ERRORS.transient,
        cause: `The ${stage} task failed to start, or gave up on a transient error (exit ${CONTAINER_EXIT.transient}): relaunched`,
      }),
    )
    .otherwise(
      new sfn.Fail(scope, STATE.ecsExited(stage), {
        error: FARGATE_ERRORS.failed,
        cause: `The ${stage} task stopped with a terminal error; its log names the error class`,
      }),
    );
  // States.TaskFailed in a Catch matches every task error except States.Timeout.
  task.addCatch(stopped, { errors: ['States.TaskFailed'], resultPath: '$.stopped' });

  const launch = new sfn.Parallel(scope, STATE.ecsLaunch(stage), {
    resultPath: sfn.JsonPath.DISCARD,
  });
  launch.branch(task);
  launch.addRetry({ ...props.relaunchRetry, errors: [FARGATE_ERRORS.transient] });
  return launch;
}
