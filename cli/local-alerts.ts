import nodemailer from 'nodemailer';
import type { PipelineConfig } from '../config/schema';
import type { Alert } from '../infra/local/local-runner';
import { slackPayload } from '../lambdas/slack';

/**
 * Alerts of a local run (failed tables, the run summary): always on the console, and to Slack and
 * e-mail when configured (`alerts.slack_webhook_url`, `alerts.smtp` with `alerts.email`). In AWS
 * the same alerts go through SNS. An alert that cannot be delivered is reported, never fatal.
 */
export function localAlertSink(config: PipelineConfig, out: (line: string) => void) {
  const { alerts } = config;
  const mailer = alerts.smtp
    ? nodemailer.createTransport({
        host: alerts.smtp.host,
        port: alerts.smtp.port,
        secure: alerts.smtp.secure,
        ...(alerts.smtp.user
          ? { auth: { user: alerts.smtp.user, pass: alerts.smtp.password ?? '' } }
          : {}),
      })
    : null;
  return async (alert: Alert): Promise<void> => {
    out(`ALERT ${alert.subject}: ${alert.message}`);
    if (alerts.slack_webhook_url) {
      try {
        const response = await fetch(alerts.slack_webhook_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(slackPayload(alert.subject, alert.message)),
        });
        if (!response.ok) out(`(Slack alert not delivered: HTTP ${response.status})`);
      } catch {
        out('(Slack alert not delivered: webhook unreachable)');
      }
    }
    if (mailer && alerts.smtp && alerts.email.length > 0) {
      try {
        await mailer.sendMail({
          from: alerts.smtp.from,
          to: alerts.email,
          subject: alert.subject,
          text: alert.message,
        });
      } catch {
        out('(e-mail alert not delivered: SMTP server refused or unreachable)');
      }
    }
  };
}
