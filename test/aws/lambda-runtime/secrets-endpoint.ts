import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeDeployment, secretArnOf, secretNameOf } from './cloudformation-values';

/** One GetSecretValue request as the endpoint received it (no secret value). */
export interface SecretRequest {
  secretId: string;
  /** The SigV4 credential scope of the request: `<key id>/<date>/<region>/<service>/aws4_request`. */
  credentialScope: string | null;
  answered: 'secret' | 'ResourceNotFoundException' | 'refused';
}

export interface SecretsEndpoint {
  /** For `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  url: string;
  requests: SecretRequest[];
  /** Stores a secret's value under the name a `SecretId` (name, full or partial ARN) names. */
  put(secretId: string, value: string): void;
  close(): Promise<void>;
}

/**
 * Secrets Manager on a local port, for the SDK inside a bundle: `GetSecretValue` in the AWS JSON
 * 1.1 protocol (`X-Amz-Target: secretsmanager.GetSecretValue`). A secret is found by name, full
 * ARN or partial ARN (without the six-character suffix), as Secrets Manager finds it; an unknown
 * one is answered with `ResourceNotFoundException`. A request not signed with SigV4 for
 * `secretsmanager` in the deployment's region is refused.
 */
export async function startSecretsEndpoint(where: FakeDeployment): Promise<SecretsEndpoint> {
  const secrets = new Map<string, string>();
  const requests: SecretRequest[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += String(d);
    });
    req.on('end', () => answer(req, res, body));
  });

  function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const credentialScope =
      /Credential=([^,]+)/.exec(String(req.headers.authorization ?? ''))?.[1] ?? null;
    const signedFor = credentialScope?.split('/').slice(2, 4).join('/');
    const { SecretId: secretId = '' } = JSON.parse(body || '{}') as { SecretId?: string };
    const request: SecretRequest = { secretId, credentialScope, answered: 'refused' };
    requests.push(request);
    if (
      req.method !== 'POST' ||
      req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' ||
      signedFor !== `${where.region}/secretsmanager`
    ) {
      reply(res, 400, {
        __type: 'InvalidSignatureException',
        message: 'not a signed secretsmanager.GetSecretValue request',
      });
      return;
    }
    const name = secretNameOf(secretId, where);
    const value = name === null ? undefined : secrets.get(name);
    if (name === null || value === undefined) {
      request.answered = 'ResourceNotFoundException';
      reply(res, 400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    request.answered = 'secret';
    reply(res, 200, {
      ARN: secretArnOf(name, where),
      Name: name,
      SecretString: value,
      VersionId: '00000000-0000-4000-8000-000000000001',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    put(secretId, value) {
      const name = secretNameOf(secretId, where);
      if (name === null) throw new Error(`${secretId} is not a secret of this deployment`);
      secrets.set(name, value);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (status !== 200) headers['x-amzn-errortype'] = String(body.__type);
  res.writeHead(status, headers).end(JSON.stringify(body));
}
