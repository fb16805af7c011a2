import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SNSEvent } from 'aws-lambda';
import { slackPayload } from '../slack';

/**
 * Subscribed to the pipeline's SNS topic: forwards each alert to Slack. The webhook URL comes from
 * the Secrets Manager secret named in SLACK_WEBHOOK_SECRET_ID (cached five minutes).
 */
export async function handler(event: SNSEvent): Promise<void> {
  const secretId = process.env.SLACK_WEBHOOK_SECRET_ID;
  if (!secretId) return;
  const url = String(await getSecret(secretId, { maxAge: 300 }));
  for (const record of event.Records) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        slackPayload(record.Sns.Subject ?? 'OpenDental ETL', record.Sns.Message),
      ),
    });
    if (!response.ok) throw new Error(`Slack webhook answered ${response.status}`);
  }
}
