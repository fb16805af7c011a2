import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { STAGE_NAMES, type StageName } from '../../contract/stage';
import { TABLE_FAILURE_SUBJECT, TABLE_FAILURE_TEMPLATE } from '../../core/runtime';
import { BATCH_PATH, groupLambdaPayload, groupPath } from './stage-task-input';
import { STATE } from './state-names';

export interface GroupChainProps {
  stageFunction: lambda.IFunction;
  topic: sns.ITopic;
  /** The Lambda stage tasks' own: retry, timeout. */
  retry: sfn.RetryProps;
  taskTimeoutSeconds: (stage: StageName) => number;
  snsRetry: sfn.RetryProps;
}

/** One table failure alert per Map iteration item (`{ runId, table, stage, error }`). */
function alertTask(scope: Construct, id: string, props: GroupChainProps): tasks.SnsPublish {
  const alert = new tasks.SnsPublish(scope, id, {
    topic: props.topic,
    subject: TABLE_FAILURE_SUBJECT,
    message: sfn.TaskInput.fromText(
      sfn.JsonPath.format(
        TABLE_FAILURE_TEMPLATE,
        sfn.JsonPath.stringAt('$.runId'),
        sfn.JsonPath.stringAt('$.table'),
        sfn.JsonPath.stringAt('$.stage'),
        sfn.JsonPath.stringAt('$.error'),
      ),
    ),
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
  });
  alert.addRetry(props.snsRetry);
  return alert;
}

/**
 * A group of tiny tables (`PlannedGroup`): Extract → Load → Transform, each one Lambda task for
 * the whole group (`createRunGroupStageHandler`), which runs its tables in turn and hands on those
 * that succeeded and the failures so far (`$.batch`). Then one alert per failed table (an inline
 * Map over the failures, the same text as a table alone) and the group's outcome: its tables by
 * name, succeeded, failed, or lost (the task itself failed after the same Retry as a table's
 * Lambda task: every table it held failed at that stage, each alerted).
 */
export function groupChain(scope: Construct, props: GroupChainProps): sfn.IChainable {
  const outcomes = new sfn.Pass(scope, STATE.groupOutcomes, {
    parameters: {
      'group.$': '$.group',
      'succeeded.$': '$.succeeded',
      'failed.$': '$.failed',
      'lost.$': '$.lost',
    },
  });
  const alerted = new sfn.Pass(scope, STATE.groupTableAlerted);
  const failureAlert = alertTask(scope, STATE.groupFailureAlert, props);
  failureAlert.addCatch(alerted, { resultPath: '$.alertError' });
  const failures = new sfn.Map(scope, STATE.groupFailures, {
    itemsPath: '$.failed',
    itemSelector: {
      'runId.$': '$.runId',
      'table.$': '$$.Map.Item.Value.table',
      'stage.$': '$$.Map.Item.Value.stage',
      'error.$': '$$.Map.Item.Value.error',
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  failures.itemProcessor(failureAlert.next(alerted));
  failures.next(outcomes);

  const tableLost = new sfn.Pass(scope, STATE.groupTableLost, {
    parameters: {
      status: 'failed',
      'table.$': '$.table',
      'stage.$': '$.stage',
      'error.$': '$.error',
    },
  });
  const lostAlert = alertTask(scope, STATE.groupLostAlert, props);
  lostAlert.addCatch(tableLost, { resultPath: '$.alertError' });
  const lost = new sfn.Map(scope, STATE.groupLost, {
    itemsPath: '$.remaining',
    itemSelector: {
      'runId.$': '$.runId',
      'table.$': '$$.Map.Item.Value.table',
      'stage.$': '$.stage',
      'error.$': '$.error',
    },
    resultPath: '$.lost',
  });
  lost.itemProcessor(lostAlert.next(tableLost));
  lost.next(failures);

  const failedAt = (stage: StageName) => {
    const first = stage === 'extract';
    return new sfn.Pass(scope, STATE.groupFailed(stage), {
      parameters: {
        'runId.$': '$.runId',
        'group.$': groupPath('group'),
        stage,
        'error.$': '$.failure.Error',
        'remaining.$': first ? groupPath('tables') : `${BATCH_PATH}.tables`,
        ...(first ? { failed: [] } : { 'failed.$': `${BATCH_PATH}.failed` }),
        succeeded: [],
      },
    }).next(lost);
  };

  const task = (stage: StageName) => {
    const t = new tasks.LambdaInvoke(scope, STATE.group(stage), {
      lambdaFunction: props.stageFunction,
      payload: sfn.TaskInput.fromObject(groupLambdaPayload(stage)),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The next stage needs the tables still going and the failures; each table's stage output
      // stays in the task's own history event.
      resultSelector: {
        'tables.$': '$.tables',
        'succeeded.$': '$.succeeded',
        'failed.$': '$.failed',
      },
      resultPath: BATCH_PATH,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(props.taskTimeoutSeconds(stage))),
    });
    t.addRetry(props.retry);
    t.addCatch(failedAt(stage), { errors: ['States.ALL'], resultPath: '$.failure' });
    return t;
  };
  const finished = new sfn.Pass(scope, STATE.groupFinished, {
    parameters: {
      'runId.$': '$.runId',
      'group.$': groupPath('group'),
      'succeeded.$': `${BATCH_PATH}.succeeded`,
      'failed.$': `${BATCH_PATH}.failed`,
      lost: [],
    },
  });
  const [extract, load, transform] = STAGE_NAMES.map(task) as [
    tasks.LambdaInvoke,
    tasks.LambdaInvoke,
    tasks.LambdaInvoke,
  ];
  return sfn.Chain.start(extract).next(load).next(transform).next(finished).next(failures);
}
