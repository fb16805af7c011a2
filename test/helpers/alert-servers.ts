import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A local Slack incoming webhook and SMTP server on free ports: what local runs send to
 * `alerts.slack_webhook_url` and `alerts.smtp` arrives in `onSlack` (the request body) and
 * `onMail` (the message as sent).
 */
export async function startAlertServers(
  onSlack: (body: string) => void,
  onMail: (message: string) => void,
): Promise<{ slackUrl: string; smtpPort: number; close: () => Promise<void> }> {
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += String(d);
    });
    req.on('end', () => {
      onSlack(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      let text = '';
      stream.on('data', (d) => {
        text += String(d);
      });
      stream.on('end', () => {
        onMail(text);
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return {
    slackUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    close: async () => {
      await new Promise((r) => http.close(r));
      await new Promise((r) => smtp.close(() => r(undefined)));
    },
  };
}
