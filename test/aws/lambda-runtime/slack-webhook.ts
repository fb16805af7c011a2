import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackWebhook {
  /** The webhook URL, with a secret path as Slack's have: a credential. */
  url: string;
  /** The bodies POSTed to it. */
  received: string[];
  /** The status it answers with (200; a test sets 500 to refuse). */
  status: number;
  close(): Promise<void>;
}

/** A Slack incoming webhook on a local port. Only POSTs to its secret path are accepted. */
export async function startSlackWebhook(): Promise<SlackWebhook> {
  const path = `/services/T00000000/B00000000/${randomBytes(12).toString('hex')}`;
  const hook: SlackWebhook = { url: '', received: [], status: 200, close: async () => {} };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += String(d);
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== path) return void res.writeHead(404).end();
      hook.received.push(body);
      res.writeHead(hook.status).end(hook.status === 200 ? 'ok' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  hook.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return hook;
}
