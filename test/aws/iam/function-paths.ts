import type { StageName } from '../../../contract/stage';
import { ALERT_SUBSCRIBER_ADAPTER, environmentRead, factoryOfLambdaState } from './code-usage';
import type { SecretUsage } from './secret-usage';
import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import type { StateMachinePaths } from './state-machine-paths';
import type { TemplateResolver } from './template-resolver';

const LOG_STREAM = '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef';

interface FunctionProperties {
  Role: string;
  Environment?: { Variables?: Record<string, string> };
  LoggingConfig?: { LogGroup?: string };
  TracingConfig?: { Mode?: string };
  VpcConfig?: { SubnetIds: string[]; SecurityGroupIds: string[] };
  DeadLetterConfig?: { TargetArn?: string };
}

/**
 * What each Lambda function of the stack calls with its role: its log group, X-Ray, its network
 * interfaces in the VPC, its dead-letter queue, and the secrets of its code (the handlers of the
 * Task states that invoke it, or the alert subscriber's adapter); and Lambda assuming the role.
 */
export async function functionPaths(
  r: TemplateResolver,
  rules: ServiceRules,
  secrets: SecretUsage,
  machine: StateMachinePaths,
): Promise<Access[]> {
  const out: Access[] = [];
  const { region, account } = r.env;
  const subscribed = r
    .resourcesOf('AWS::SNS::Subscription')
    .map(([id]) => r.properties(id))
    .filter((s) => s.Protocol === 'lambda')
    .map((s) => s.Endpoint as string);

  for (const [id] of r.resourcesOf('AWS::Lambda::Function')) {
    const fn = r.properties(id) as unknown as FunctionProperties;
    const role = fn.Role;
    const arn = r.getAtt(id, 'Arn');
    const env = fn.Environment?.Variables ?? {};
    const add = (action: string, resource: string, because: string) =>
      out.push({ principal: role, action, resource, because });
    out.push({
      principal: 'lambda.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: role,
      because: `Lambda runs ${id} as its role`,
    });
    const logGroup = fn.LoggingConfig?.LogGroup ?? `/aws/lambda/${r.ref(id)}`;
    out.push(...rules.writeLogs(role, logGroup, LOG_STREAM, `${id} logs`));
    if (fn.TracingConfig?.Mode === 'Active')
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        add(action, '*', `${id} traces to X-Ray`);
    if (fn.VpcConfig) {
      // Lambda creates and removes the function's network interfaces with its role.
      const ec2 = (what: string) => `arn:aws:ec2:${region}:${account}:${what}`;
      const why = `${id} in its VPC`;
      for (const subnet of fn.VpcConfig.SubnetIds)
        add('ec2:CreateNetworkInterface', ec2(`subnet/${subnet}`), why);
      for (const group of fn.VpcConfig.SecurityGroupIds)
        add('ec2:CreateNetworkInterface', ec2(`security-group/${group}`), why);
      for (const action of ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'])
        add(action, '*', why);
      const eni = ec2('network-interface/eni-0123456789abcdef0');
      for (const action of [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ])
        add(action, eni, why);
    }
    const deadLetters = fn.DeadLetterConfig?.TargetArn;
    if (deadLetters?.startsWith('arn:aws:sqs:'))
      out.push(...rules.send(role, deadLetters, `${id} dead letters`));
    else if (deadLetters) out.push(...rules.publish(role, deadLetters, `${id} dead letters`));

    // Its code: the runtime handlers of the states that invoke it.
    const tasks = machine.lambdaTasks.filter(
      (t) => t.functionArn === arn || t.functionArn.startsWith(`${arn}:`),
    );
    for (const factory of new Set(tasks.map((t) => factoryOfLambdaState(t.state)))) {
      const stages = tasks
        .filter((t) => factoryOfLambdaState(t.state) === factory && t.stage)
        .map((t) => t.stage as StageName);
      out.push(...(await secrets.handler(role, factory, stages, env, `${id} (${factory})`)));
    }
    // Or the alert subscriber: the secrets named by the variables its adapter reads.
    if (subscribed.includes(arn))
      for (const variable of environmentRead(ALERT_SUBSCRIBER_ADAPTER)) {
        const value = env[variable];
        if (value?.startsWith('arn:aws:secretsmanager:'))
          out.push(...secrets.use(role, value, `${id} (${ALERT_SUBSCRIBER_ADAPTER}) ${variable}`));
      }
  }
  return out;
}
