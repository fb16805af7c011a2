import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import type { TemplateResolver } from './template-resolver';

/** What each schedule's role needs to start its target (EventBridge Scheduler user guide). */
const TARGET_ACTIONS: [RegExp, string][] = [
  [/^arn:aws:states:[^:]+:\d+:stateMachine:/, 'states:StartExecution'],
];

/**
 * EventBridge Scheduler starting its targets with the schedule's role (and assuming it), taking
 * the action each target needs.
 */
export function schedulerPaths(r: TemplateResolver): Access[] {
  return r.resourcesOf('AWS::Scheduler::Schedule').flatMap(([id]) => {
    const target = r.properties(id).Target as { Arn: string; RoleArn: string };
    const action = TARGET_ACTIONS.find(([pattern]) => pattern.test(target.Arn))?.[1];
    if (!action) throw new Error(`schedule ${id}: target ${target.Arn} not modelled`);
    return [
      {
        principal: 'scheduler.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: target.RoleArn,
        context: { 'aws:SourceAccount': r.env.account, 'aws:SourceArn': r.getAtt(id, 'Arn') },
        because: `Scheduler runs ${id} as its role`,
      },
      { principal: target.RoleArn, action, resource: target.Arn, because: `schedule ${id}` },
    ];
  });
}

/**
 * CloudWatch alarms notifying SNS topics: the CloudWatch service principal publishes, which the
 * topic policy must allow, through the topic's key, which the key policy must allow (SNS developer
 * guide, "Enable compatibility between event sources from AWS services and encrypted topics").
 */
export function alarmPaths(r: TemplateResolver, rules: ServiceRules): Access[] {
  return r.resourcesOf('AWS::CloudWatch::Alarm').flatMap(([id]) => {
    const alarm = r.properties(id);
    const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
      (key) => (alarm[key] as string[] | undefined) ?? [],
    );
    return actions.flatMap((topic) => {
      if (!topic.startsWith('arn:aws:sns:'))
        throw new Error(`alarm ${id}: action ${topic} not modelled`);
      return rules.publish('cloudwatch.amazonaws.com', topic, `alarm ${id}`, r.getAtt(id, 'Arn'));
    });
  });
}

/**
 * EventBridge rules delivering to their SNS targets: the EventBridge service principal publishes
 * with the rule as `aws:SourceArn` and its account as `aws:SourceAccount` (EventBridge user guide,
 * "Cross-service confused deputy prevention"), which the topic policy must allow, through the
 * topic's key, which the key policy must allow. A target of another kind, or with a role (then
 * EventBridge publishes as that role), fails loudly until modelled.
 */
export function eventRulePaths(r: TemplateResolver, rules: ServiceRules): Access[] {
  return r.resourcesOf('AWS::Events::Rule').flatMap(([id]) => {
    const targets =
      (r.properties(id).Targets as { Id: string; Arn: string; RoleArn?: string }[]) ?? [];
    return targets.flatMap((target) => {
      if (!target.Arn.startsWith('arn:aws:sns:') || target.RoleArn)
        throw new Error(`rule ${id}: target ${target.Id} (${target.Arn}) not modelled`);
      const because = `rule ${id} target ${target.Id}`;
      return rules.publish('events.amazonaws.com', target.Arn, because, r.getAtt(id, 'Arn'));
    });
  });
}

/**
 * CloudWatch Logs encrypting and decrypting each KMS-encrypted log group's data with the
 * service principal of the region, the log group's ARN as encryption context (CloudWatch Logs
 * user guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
 */
export function logGroupKeyPaths(r: TemplateResolver, rules: ServiceRules): Access[] {
  const { region, account } = r.env;
  return r.resourcesOf('AWS::Logs::LogGroup').flatMap(([id]) => {
    const key = r.properties(id).KmsKeyId as string | undefined;
    if (!key) return [];
    const name = r.ref(id);
    const context = {
      'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:log-group:${name}`,
    };
    return rules.useKey(`logs.${region}.amazonaws.com`, key, context, `log group ${id}`);
  });
}

/** SNS delivering to the Lambda functions subscribed to a topic: the function policy allows it. */
export function subscriptionPaths(r: TemplateResolver): Access[] {
  return r
    .resourcesOf('AWS::SNS::Subscription')
    .map(([id]) => [id, r.properties(id)] as const)
    .filter(([, s]) => s.Protocol === 'lambda')
    .map(([id, s]) => ({
      principal: 'sns.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: s.Endpoint as string,
      context: { 'aws:SourceArn': s.TopicArn as string, 'aws:SourceAccount': r.env.account },
      because: `subscription ${id}`,
    }));
}

/** VPC flow logs delivered to CloudWatch Logs with the flow log's role. */
export function flowLogPaths(r: TemplateResolver, rules: ServiceRules): Access[] {
  return r.resourcesOf('AWS::EC2::FlowLog').flatMap(([id]) => {
    const flowLog = r.properties(id);
    if (flowLog.LogDestinationType !== 'cloud-watch-logs') return [];
    const role = flowLog.DeliverLogsPermissionArn as string;
    return [
      {
        principal: 'vpc-flow-logs.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: role,
        context: { 'aws:SourceAccount': r.env.account },
        because: `flow log ${id} delivers with its role`,
      },
      ...rules.writeLogs(
        role,
        flowLog.LogGroupName as string,
        'eni-0123456789abcdef0-all',
        `flow log ${id}`,
      ),
    ];
  });
}
