import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../../config/schema';
import { TRANSIENT_ERROR_NAMES } from '../../contract/errors';
import { STAGE_NAMES, type StageName } from '../../contract/stage';
import {
  RETRY_MAX_DELAY_SECONDS,
  RUN_SUMMARY_SUBJECT,
  RUN_SUMMARY_TEMPLATE,
  runDeadlineMinutes,
  TABLE_FAILURE_SUBJECT,
  TABLE_FAILURE_TEMPLATE,
} from '../../core/runtime';
import { fargateStage } from './fargate-stage';
import { groupChain } from './group-stage';
import { groupPath, itemPath, lambdaPayload, summaryPath } from './stage-task-input';
import { STATE } from './state-names';

/** Lambda runs at most 900 s; its task states stop a little earlier so the catch still runs. */
export const LAMBDA_TASK_CAP_SECONDS = 870;

/** Errors Step Functions raises when the Lambda service itself stumbles: worth retrying too. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * Errors Step Functions' SNS integration raises for a publish worth repeating: SNS or KMS
 * throttling, an internal error, or a service error the SDK does not model (the base class).
 */
export const SNS_TRANSIENT_ERRORS = [
  'SNS.InternalErrorException',
  'SNS.ThrottledException',
  'SNS.KMSThrottlingException',
  'SNS.AmazonSNSException',
];

export { STATE };

export interface EtlStateMachineProps {
  config: PipelineConfig;
  planFunction: lambda.IFunction;
  stageFunction: lambda.IFunction;
  summarizeFunction: lambda.IFunction;
  cluster: ecs.ICluster;
  taskDefinition: ecs.FargateTaskDefinition;
  container: ecs.ContainerDefinition;
  subnets: ec2.SubnetSelection;
  securityGroups: ec2.ISecurityGroup[];
  topic: sns.ITopic;
  logGroup: logs.ILogGroup;
}

/**
 * Plan → Map over the items (concurrency from the input's `parallel`) → per table, by runner,
 * Extract → Load → Transform in Lambda or as Fargate tasks (`ecs:runTask.sync`, see
 * `fargate-stage.ts`), or per group of tiny tables one Lambda task per stage (`group-stage.ts`) → Summarize → SNS summary → Fail if any table failed. Retry covers
 * transient errors only, with backoff, full jitter and a maximum delay; a Catch records the
 * failure, alerts and lets the other tables go on. Every task has an explicit TimeoutSeconds, and
 * the execution its deadline (`runDeadlineMinutes`, the run lock's lease too).
 */
export class EtlStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: EtlStateMachineProps) {
    super(scope, id);
    const { config } = props;
    const timeoutOf = (stage: StageName) => config.stages[stage].timeout_minutes * 60;
    // Step Functions refuses an IntervalSeconds below 1; a first delay longer than the cap wins.
    const interval = Math.max(1, config.general.retry_delay_seconds);
    const backoff = {
      interval: Duration.seconds(interval),
      maxAttempts: config.general.max_retries,
      backoffRate: 2,
      maxDelay: Duration.seconds(Math.max(interval, RETRY_MAX_DELAY_SECONDS)),
      jitterStrategy: sfn.JitterType.FULL,
    };
    const retry = (errors: string[]): sfn.RetryProps => ({ errors, ...backoff });
    // An alert is worth a few quick tries, not the stages' long backoff.
    const snsRetry: sfn.RetryProps = {
      errors: SNS_TRANSIENT_ERRORS,
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    };

    const plan = new tasks.LambdaInvoke(this, STATE.plan, {
      lambdaFunction: props.planFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(300)),
    });
    plan.addRetry(retry([...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS]));

    const failureAlert = new tasks.SnsPublish(this, STATE.alert, {
      topic: props.topic,
      subject: TABLE_FAILURE_SUBJECT,
      message: sfn.TaskInput.fromJsonPathAt('$.alert'),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    const tableFailed = new sfn.Pass(this, STATE.tableFailed, {
      parameters: {
        'status.$': '$.status',
        'table.$': '$.table',
        'stage.$': '$.stage',
        'error.$': '$.error',
      },
    });
    failureAlert.addRetry(snsRetry);
    failureAlert.addCatch(tableFailed, { resultPath: '$.alertError' });
    failureAlert.next(tableFailed);

    const failedAt = (stage: StageName) =>
      new sfn.Pass(this, STATE.failed(stage), {
        parameters: {
          status: 'failed',
          'table.$': itemPath('table'),
          stage,
          'error.$': '$.failure.Error',
          alert: sfn.JsonPath.format(
            TABLE_FAILURE_TEMPLATE,
            sfn.JsonPath.stringAt('$.runId'),
            sfn.JsonPath.stringAt(itemPath('table')),
            stage,
            sfn.JsonPath.stringAt('$.failure.Error'),
          ),
        },
      }).next(failureAlert);
    const failures = Object.fromEntries(
      STAGE_NAMES.map((s) => [s, failedAt(s)]),
    ) as unknown as Record<StageName, sfn.Chain>;

    const lambdaStage = (stage: StageName) => {
      const task = new tasks.LambdaInvoke(this, STATE.lambda(stage), {
        lambdaFunction: props.stageFunction,
        payload: sfn.TaskInput.fromObject(lambdaPayload(stage)),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(
          Duration.seconds(Math.min(timeoutOf(stage), LAMBDA_TASK_CAP_SECONDS)),
        ),
      });
      task.addRetry(retry([...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS]));
      task.addCatch(failures[stage], { errors: ['States.ALL'], resultPath: '$.failure' });
      return task;
    };
    const ecsStage = (stage: StageName) =>
      fargateStage(this, stage, {
        cluster: props.cluster,
        taskDefinition: props.taskDefinition,
        container: props.container,
        subnets: props.subnets,
        securityGroups: props.securityGroups,
        timeoutSeconds: timeoutOf(stage),
        // Within a launch: ECS's own capacity and throttling errors of RunTask.
        capacityRetry: retry([
          'ECS.AmazonECSException',
          'ECS.ServerException',
          'ECS.ThrottlingException',
        ]),
        // A task that failed to start, or whose container gave up on a transient error.
        relaunchRetry: backoff,
      }).addCatch(failures[stage], { errors: ['States.ALL'], resultPath: '$.failure' });

    const succeeded = new sfn.Pass(this, STATE.tableSucceeded, {
      parameters: { status: 'succeeded', 'table.$': itemPath('table') },
    });
    const lambdaChain = sfn.Chain.start(lambdaStage('extract'))
      .next(lambdaStage('load'))
      .next(lambdaStage('transform'))
      .next(succeeded);
    const ecsChain = sfn.Chain.start(ecsStage('extract'))
      .next(ecsStage('load'))
      .next(ecsStage('transform'))
      .next(succeeded);
    // A group of tiny tables first (its item has `group`), then a table alone by its runner.
    const groups = groupChain(this, {
      stageFunction: props.stageFunction,
      topic: props.topic,
      retry: retry([...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS]),
      taskTimeoutSeconds: (stage) => Math.min(timeoutOf(stage), LAMBDA_TASK_CAP_SECONDS),
      snsRetry,
    });
    const perTable = new sfn.Choice(this, STATE.runner)
      .when(sfn.Condition.isPresent(groupPath('group')), groups)
      .when(sfn.Condition.stringEquals(itemPath('runner'), 'fargate'), ecsChain)
      .otherwise(lambdaChain);

    // Each table runs as its own child execution (a distributed Map): its events go to its own
    // history, so a night's history no longer grows with the tables and their retries (Step
    // Functions stops an execution at 25,000 events). The outcomes replace the plan's items under
    // `tables`, so the state never holds both (256 KB).
    const map = new sfn.DistributedMap(this, STATE.map, {
      itemsPath: '$.tables',
      maxConcurrencyPath: '$.parallel',
      itemSelector: { 'item.$': '$$.Map.Item.Value', 'runId.$': '$.runId' },
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultPath: '$.tables',
    });
    map.itemProcessor(perTable);

    const summarize = new tasks.LambdaInvoke(this, STATE.summarize, {
      lambdaFunction: props.summarizeFunction,
      payload: sfn.TaskInput.fromObject({ 'runId.$': '$.runId', 'results.$': '$.tables' }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // Only `{ summary }` goes on: the outcomes (and the failures it lists) would double the state.
      resultSelector: { 'summary.$': '$' },
      resultPath: '$.summarized',
      outputPath: '$.summarized',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(120)),
    });
    summarize.addRetry(retry([...TRANSIENT_ERROR_NAMES, ...LAMBDA_SERVICE_ERRORS]));
    const notifySummary = new tasks.SnsPublish(this, STATE.notifySummary, {
      topic: props.topic,
      subject: RUN_SUMMARY_SUBJECT,
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          RUN_SUMMARY_TEMPLATE,
          sfn.JsonPath.stringAt(summaryPath('runId')),
          sfn.JsonPath.stringAt(summaryPath('status')),
          sfn.JsonPath.stringAt(summaryPath('tablesSucceeded')),
          sfn.JsonPath.stringAt(summaryPath('tablesTotal')),
          sfn.JsonPath.stringAt(summaryPath('tablesFailed')),
        ),
      ),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    notifySummary.addRetry(snsRetry);
    const anyFailed = new sfn.Choice(this, STATE.anyFailed)
      .when(
        sfn.Condition.numberGreaterThan(summaryPath('tablesFailed'), 0),
        new sfn.Fail(this, STATE.fail, {
          error: 'TablesFailed',
          cause: 'One or more tables failed; the summary names them (etl-pipeline status).',
        }),
      )
      .otherwise(new sfn.Succeed(this, STATE.succeed));

    const definition = sfn.Chain.start(plan).next(
      new sfn.Choice(this, STATE.dryRun)
        .when(sfn.Condition.booleanEquals('$.dryRun', true), new sfn.Succeed(this, STATE.planOnly))
        .otherwise(map.next(summarize).next(notifySummary).next(anyFailed)),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // A hung run ends TimedOut (the timed-out alarm fires) before its run lock's lease ends.
      timeout: Duration.minutes(runDeadlineMinutes(config)),
      tracingEnabled: true,
      // ALL events, but never execution data: inputs and outputs stay out of the logs.
      logs: { destination: props.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The SnsPublish tasks grant sns:Publish only; the topic is encrypted with the stack's key, so
    // publishing also needs kms:GenerateDataKey* and kms:Decrypt on that key.
    props.topic.grantPublish(this.stateMachine);
  }
}
