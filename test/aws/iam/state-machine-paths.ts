import { STAGE_ENVIRONMENT } from '../../../contract/container-environment';
import { STAGE_NAMES, type StageName } from '../../../contract/stage';
import { type AslDefinition, type AslState, allStates } from '../../../infra/local/definition';
import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import type { TemplateResolver } from './template-resolver';

/** A Lambda function a Task state invokes, and the stage its payload names (if any). */
export interface LambdaTask {
  state: string;
  functionArn: string;
  stage?: StageName;
}

/** A Fargate task a Task state runs, and the stage its container environment names. */
export interface EcsTask {
  state: string;
  taskDefinitionId: string;
  stage: StageName;
}

export interface StateMachinePaths {
  accesses: Access[];
  /** What the role calls to run each item of a distributed Map as a child execution. */
  mapRuns: Access[];
  lambdaTasks: LambdaTask[];
  ecsTasks: EcsTask[];
  /** Every Task state the walk of the definitions found, by name. */
  taskStates: string[];
}

const LAMBDA_ARN = /^arn:aws:lambda:[^:]+:\d+:function:[^:]+(:[^:]+)?$/;
/** The rule Step Functions manages for every `.sync` ECS integration (Step Functions guide). */
const ECS_SYNC_RULE = 'StepFunctionsGetEventsForECSTaskRule';

/**
 * Every call each state machine makes, from its resolved definition: per Task state (at any depth:
 * Map item processors and Parallel branches included), by its Resource, the actions that
 * integration needs; per distributed Map, what running its items as child executions needs; plus
 * the state machine's own logging, tracing, and Step Functions assuming its role. An integration
 * it does not know fails loudly.
 */
export function stateMachinePaths(r: TemplateResolver, rules: ServiceRules): StateMachinePaths {
  const result: StateMachinePaths = {
    accesses: [],
    mapRuns: [],
    lambdaTasks: [],
    ecsTasks: [],
    taskStates: [],
  };
  for (const [machineId] of r.resourcesOf('AWS::StepFunctions::StateMachine')) {
    const props = r.properties(machineId);
    const role = props.RoleArn as string;
    const machineArn = r.ref(machineId);
    const definition = JSON.parse(props.DefinitionString as string) as AslDefinition;
    const add = (action: string, resource: string, because: string, context = {}) =>
      result.accesses.push({ principal: role, action, resource, context, because });

    result.accesses.push({
      principal: 'states.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: role,
      context: { 'aws:SourceArn': machineArn, 'aws:SourceAccount': r.env.account },
      because: `Step Functions runs ${machineId} as its role`,
    });

    for (const [state, task] of allStates(definition)) {
      if (task.Type === 'Map') result.mapRuns.push(...mapRun(r, machineId, role, state, task));
      if (task.Type !== 'Task') continue;
      result.taskStates.push(state);
      const resource = task.Resource as string;
      const parameters = (task.Parameters ?? {}) as Record<string, unknown>;
      const because = `state ${state} (${resource})`;
      if (LAMBDA_ARN.test(resource) || resource === 'arn:aws:states:::lambda:invoke') {
        const functionArn = LAMBDA_ARN.test(resource) ? resource : String(parameters.FunctionName);
        add('lambda:InvokeFunction', functionArn, because);
        const stage = parameters.stage as StageName | undefined;
        result.lambdaTasks.push({ state, functionArn, ...(stage ? { stage } : {}) });
      } else if (resource === 'arn:aws:states:::sns:publish') {
        result.accesses.push(...rules.publish(role, String(parameters.TopicArn), because));
      } else if (resource === 'arn:aws:states:::ecs:runTask.sync') {
        result.ecsTasks.push(ecsTask(r, state, parameters));
        result.accesses.push(...runTaskSync(r, role, state, parameters, because));
      } else {
        throw new Error(`${because}: integration not modelled by the permission simulation`);
      }
    }

    const logging = props.LoggingConfiguration as { Destinations?: unknown[] } | undefined;
    if (logging?.Destinations?.length) {
      // Vended log delivery (Step Functions developer guide, "Logging using CloudWatch Logs").
      for (const action of [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ])
        add(action, '*', 'execution history to CloudWatch Logs');
    }
    if ((props.TracingConfiguration as { Enabled?: boolean } | undefined)?.Enabled) {
      for (const action of [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
      ])
        add(action, '*', 'X-Ray tracing of executions');
    }
  }
  return result;
}

/** The label Step Functions generates for a distributed Map without `Label` (any will do). */
const GENERATED_LABEL = 'a1b2c3d4';

/**
 * A distributed Map runs each item as a child execution of the state machine itself, with the
 * state machine's role: `states:StartExecution` on the state machine, `states:DescribeExecution`
 * and `states:StopExecution` on its executions (Step Functions developer guide, "IAM policies for
 * using Distributed Map states": `execution:<name>:*`), and, when a failed run is redriven,
 * `states:RedriveExecution` on the child executions of its Map Run
 * (`execution:<name>/<mapRunLabel>:<id>`). An inline Map needs nothing; a reader or writer of S3
 * data fails loudly until modelled.
 */
function mapRun(
  r: TemplateResolver,
  machineId: string,
  role: string,
  state: string,
  map: AslState,
): Access[] {
  const processor = (map.ItemProcessor ?? {}) as { ProcessorConfig?: { Mode?: string } };
  if (processor.ProcessorConfig?.Mode !== 'DISTRIBUTED') return [];
  for (const key of ['ItemReader', 'ResultWriter'])
    if (key in map) throw new Error(`state ${state}: a distributed Map's ${key} is not modelled`);
  const { region, account } = r.env;
  const name = r.getAtt(machineId, 'Name');
  const label = typeof map.Label === 'string' ? map.Label : GENERATED_LABEL;
  const execution = (id: string) => `arn:aws:states:${region}:${account}:execution:${name}${id}`;
  const because = `state ${state} (distributed Map)`;
  const at = (action: string, resource: string, why = because): Access => ({
    principal: role,
    action,
    resource,
    context: {},
    because: why,
  });
  return [
    at('states:StartExecution', r.ref(machineId)),
    at('states:DescribeExecution', execution(':nightly-run')),
    at('states:StopExecution', execution(':nightly-run')),
    at(
      'states:RedriveExecution',
      execution(`/${label}:0123abcd-0123-4567-89ab-0123456789ab`),
      `${because}, a redriven run redrives its Map Run's child executions`,
    ),
  ];
}

function ecsTask(r: TemplateResolver, state: string, parameters: Record<string, unknown>): EcsTask {
  const taskDefinition = String(parameters.TaskDefinition);
  const taskDefinitionId = taskDefinition.startsWith('arn:')
    ? r.idOf('AWS::ECS::TaskDefinition', taskDefinition)
    : r
        .resourcesOf('AWS::ECS::TaskDefinition')
        .find(([id]) => r.properties(id).Family === taskDefinition)?.[0];
  if (!taskDefinitionId) throw new Error(`state ${state}: no task definition ${taskDefinition}`);
  // The stage travels in the container environment (the contract's codec names the variable).
  const overrides = (parameters.Overrides ?? {}) as {
    ContainerOverrides?: { Environment?: { Name: string; Value?: string }[] }[];
  };
  const stage = (overrides.ContainerOverrides ?? [])
    .flatMap((c) => c.Environment ?? [])
    .find((e) => e.Name === STAGE_ENVIRONMENT.stage.name)?.Value as StageName | undefined;
  if (!stage || !STAGE_NAMES.includes(stage))
    throw new Error(`state ${state}: no stage in the container environment`);
  return { state, taskDefinitionId, stage };
}

/**
 * `ecs:runTask.sync`: RunTask on the task definition in the cluster, PassRole of its task and
 * execution roles to ECS, StopTask/DescribeTasks on the task, and the managed EventBridge rule
 * through which Step Functions learns that the task stopped (Step Functions developer guide, "IAM
 * policies for Amazon ECS/Fargate").
 */
function runTaskSync(
  r: TemplateResolver,
  role: string,
  state: string,
  parameters: Record<string, unknown>,
  because: string,
): Access[] {
  const { region, account } = r.env;
  const task = ecsTask(r, state, parameters);
  const definition = r.properties(task.taskDefinitionId);
  const clusterArn = String(parameters.Cluster);
  const cluster = clusterArn.split('/').pop();
  const taskArn = `arn:aws:ecs:${region}:${account}:task/${cluster}/0123456789abcdef0123456789abcdef`;
  const ruleArn = `arn:aws:events:${region}:${account}:rule/${ECS_SYNC_RULE}`;
  const at = (action: string, resource: string, context = {}): Access => ({
    principal: role,
    action,
    resource,
    context,
    because,
  });
  return [
    at('ecs:RunTask', r.ref(task.taskDefinitionId), { 'ecs:cluster': clusterArn }),
    ...[definition.TaskRoleArn, definition.ExecutionRoleArn]
      .filter((arn): arn is string => typeof arn === 'string')
      .map((arn) => at('iam:PassRole', arn, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })),
    at('ecs:StopTask', taskArn, { 'ecs:cluster': clusterArn }),
    at('ecs:DescribeTasks', taskArn, { 'ecs:cluster': clusterArn }),
    at('events:PutTargets', ruleArn),
    at('events:PutRule', ruleArn),
    at('events:DescribeRule', ruleArn),
  ];
}
