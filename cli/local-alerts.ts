import type { PipelineConfig } from '../config/schema';
import { type Alert, type AlertChannel, consoleChannel, deliverAlert } from '../core/alerts/alert';
import { slackChannel } from '../core/alerts/slack-channel';
import { smtpChannel } from '../core/alerts/smtp-channel';

/**
 * The channels of a local run's alerts (failed tables, the run summary): always the console, and
 * Slack and e-mail when configured (`alerts.slack_webhook_url`, `alerts.smtp` with
 * `alerts.email`). In AWS the same alert texts go through SNS, and the Slack notifier uses the
 * same Slack channel.
 */
export function localAlertChannels(
  config: PipelineConfig,
  out: (line: string) => void,
): AlertChannel[] {
  const { alerts } = config;
  const channels = [consoleChannel(out)];
  const url = alerts.slack_webhook_url;
  if (url) channels.push(slackChannel(async () => url));
  if (alerts.smtp && alerts.email.length > 0) channels.push(smtpChannel(alerts.smtp, alerts.email));
  return channels;
}

/** Delivers each alert to every local channel; a failed delivery is reported, never fatal. */
export function localAlertSink(config: PipelineConfig, out: (line: string) => void) {
  const channels = localAlertChannels(config, out);
  return (alert: Alert): Promise<void> => deliverAlert(channels, alert, out);
}
