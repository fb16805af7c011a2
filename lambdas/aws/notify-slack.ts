import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SNSEvent } from 'aws-lambda';
import { slackChannel } from '../../core/runtime/slack-notifier';

/**
 * Subscribed to the pipeline's SNS topic: forwards each alert through the same Slack channel local
 * runs use. The webhook URL comes from the secret named in SLACK_WEBHOOK_SECRET_ID (cached five
 * minutes). A delivery that fails fails the invocation, so SNS retries it.
 */
export async function handler(event: SNSEvent): Promise<void> {
  const secretId = process.env.SLACK_WEBHOOK_SECRET_ID;
  if (!secretId) return;
  const slack = slackChannel(async () => String(await getSecret(secretId, { maxAge: 300 })));
  for (const record of event.Records) {
    await slack.send({
      subject: record.Sns.Subject ?? 'OpenDental ETL',
      message: record.Sns.Message,
    });
  }
}
