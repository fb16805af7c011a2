import { type Alert, type AlertChannel, AlertNotDelivered } from './alert';

/** A Slack message for an alert. */
export function slackPayload(alert: Alert): { text: string } {
  return { text: `*${alert.subject}*\n${alert.message}` };
}

/**
 * Slack through an incoming webhook. The URL is a credential: it is asked for at each send (from
 * the configuration locally, from Secrets Manager in AWS) and never appears in a report.
 */
export function slackChannel(webhookUrl: () => Promise<string>): AlertChannel {
  return {
    name: 'Slack alert',
    async send(alert) {
      const url = await webhookUrl();
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackPayload(alert)),
        });
      } catch {
        throw new AlertNotDelivered('webhook unreachable');
      }
      if (!response.ok) throw new AlertNotDelivered(`HTTP ${response.status}`);
    },
  };
}
