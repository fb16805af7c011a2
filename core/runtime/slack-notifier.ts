/**
 * What the Slack notifier Lambda needs of the core, and nothing else: importing it through the
 * runtime's index would bundle the whole data plane (database drivers, the OpenDental reference
 * data) into a function that only forwards alerts.
 */
export { slackChannel } from '../alerts/slack-channel';
