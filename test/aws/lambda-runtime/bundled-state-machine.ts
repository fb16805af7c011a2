import { randomUUID } from 'node:crypto';
import { type AslDefinition, allStates, retryIntervalsOf } from '../../../infra/local/definition';
import { polyfillWithResolvers } from '../../../infra/local/local-runner';
import { type FakeDeployment, resolveValue, type Template } from './cloudformation-values';
import type { InvokeOutcome, LocalLambda } from './local-lambda';

export interface Publication {
  topicArn: string;
  subject: string | null;
  message: string;
}

export interface BundledRun {
  status: 'succeeded' | 'failed';
  output: Record<string, unknown> | null;
  error?: string;
  cause?: string;
  /** What the state machine published to SNS. */
  published: Publication[];
  /** SNS deliveries to subscribed functions (asynchronous: the publish does not wait for them). */
  deliveries: Promise<InvokeOutcome>[];
}

const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/**
 * Runs the template's state machine definition (resolved as deployed) in-process with
 * aws-local-stepfunctions, each Lambda task invoking the function its `Resource` names in
 * `lambda` (the bundles as deployed), each SNS publish delivered as an SNS event to the functions
 * the template subscribes to that topic. Any other task (Fargate) fails with `LocalTest.NotBound`.
 */
export async function runBundledStateMachine(options: {
  template: Template;
  where: FakeDeployment;
  lambda: LocalLambda;
  input: unknown;
  retryIntervalMs?: number;
}): Promise<BundledRun> {
  const { template, where, lambda } = options;
  const machine = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (!machine) throw new Error('the template has no state machine');
  const definition = JSON.parse(
    resolveValue(machine.Properties?.DefinitionString, template, where),
  ) as AslDefinition;

  const published: Publication[] = [];
  const deliveries: Promise<InvokeOutcome>[] = [];
  const subscribers = lambdaSubscriptions(template, where);
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const functionId = /^arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)$/.exec(resource)?.[1];
    if (functionId) {
      handlers[name] = async (input) => {
        const outcome = await lambda.invoke(functionId, input);
        if (outcome.ok) return outcome.payload;
        throw named(outcome.error.errorType, outcome.error.errorMessage);
      };
    } else if (resource === SNS_PUBLISH) {
      handlers[name] = async (input) => {
        const publication = publish(input);
        published.push(publication);
        const event = snsEvent(publication);
        for (const subscriber of subscribers.get(publication.topicArn) ?? [])
          deliveries.push(lambda.invoke(subscriber, event));
        return { MessageId: event.Records[0]?.Sns.MessageId };
      };
    } else {
      handlers[name] = async () => {
        throw named('LocalTest.NotBound', `${name} (${resource}) is not run by this test`);
      };
    }
  }

  polyfillWithResolvers();
  const { StateMachine } = await import('aws-local-stepfunctions');
  const retryMs = options.retryIntervalMs ?? 50;
  const retryIntervalOverrides = retryIntervalsOf(definition, retryMs);
  const execution = new StateMachine(definition as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  }).run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: retryIntervalOverrides as never,
    },
  });
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { status: 'succeeded', output, published, deliveries };
  } catch (error) {
    const e = error as {
      name?: string;
      message?: string;
      cause?: { name?: string; message?: string };
    };
    const inner = e.name === 'ExecutionError' && e.cause ? e.cause : e;
    return {
      status: 'failed',
      output: null,
      error: inner.name,
      cause: inner.message,
      published,
      deliveries,
    };
  }
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Topic ARN → the functions subscribed to it (`AWS::SNS::Subscription`, protocol lambda). */
function lambdaSubscriptions(template: Template, where: FakeDeployment): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const resource of Object.values(template.Resources)) {
    const p = resource.Properties ?? {};
    if (resource.Type !== 'AWS::SNS::Subscription' || p.Protocol !== 'lambda') continue;
    const topicArn = resolveValue(p.TopicArn, template, where);
    const functionId = resolveValue(p.Endpoint, template, where).split(':function:')[1] ?? '';
    byTopic.set(topicArn, [...(byTopic.get(topicArn) ?? []), functionId]);
  }
  return byTopic;
}

/** The Publish parameters as SNS checks them: a string message, a subject SNS accepts. */
function publish(input: unknown): Publication {
  const { TopicArn, Subject, Message } = input as Record<string, unknown>;
  if (typeof TopicArn !== 'string' || typeof Message !== 'string')
    throw named('SNS.InvalidParameterException', 'TopicArn and Message must be strings');
  if (Buffer.byteLength(Message) > 256 * 1024)
    throw named('SNS.InvalidParameterException', 'Message too long');
  // "ASCII text that begins with a letter, number or punctuation mark, no line breaks or control
  // characters, less than 100 characters."
  if (Subject !== undefined && (typeof Subject !== 'string' || !/^[!-~][ -~]{0,98}$/.test(Subject)))
    throw named('SNS.InvalidParameterException', 'Subject is not valid');
  return { topicArn: TopicArn, subject: (Subject as string | undefined) ?? null, message: Message };
}

/** The event SNS invokes a subscribed function with. */
function snsEvent(publication: Publication) {
  const messageId = randomUUID();
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${publication.topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: publication.topicArn,
          Subject: publication.subject,
          Message: publication.message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'bG9jYWw=',
          SigningCertUrl: 'https://sns.amazonaws.com/SimpleNotificationService-local.pem',
          UnsubscribeUrl: `https://sns.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${publication.topicArn}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}
