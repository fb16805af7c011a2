/** A Slack message for an alert. The alert texts carry table, stage and error class only. */
export function slackPayload(subject: string, message: string): { text: string } {
  return { text: `*${subject}*\n${message}` };
}
