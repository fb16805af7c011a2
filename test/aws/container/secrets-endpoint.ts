import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Secrets Manager endpoint for a container on the host's network: it answers
 * `secretsmanager.GetSecretValue` (the AWS JSON 1.1 protocol the SDK speaks) for the given
 * secrets, by full ARN, and `ResourceNotFoundException` for any other id. The SDK in the image
 * reaches it through `AWS_ENDPOINT_URL_SECRETS_MANAGER`, signing with fake credentials.
 */
export interface SecretsEndpoint {
  url: string;
  /** Each request: the operation, the secret id and the SigV4 `Authorization` header. */
  requests: { operation: string; secretId: string; authorization: string }[];
  /** The environment that points the AWS SDK at this endpoint, with fake credentials. */
  environment(region: string): Record<string, string>;
  close(): Promise<void>;
}

export async function serveSecrets(secrets: Record<string, unknown>): Promise<SecretsEndpoint> {
  const requests: SecretsEndpoint['requests'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += String(chunk);
    });
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      const secretId = String((JSON.parse(body || '{}') as { SecretId?: string }).SecretId ?? '');
      requests.push({ operation, secretId, authorization: String(req.headers.authorization) });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (operation !== 'GetSecretValue') {
        reply(400, { __type: 'InvalidRequestException', message: `${operation} is not served` });
      } else if (!(secretId in secrets)) {
        reply(400, { __type: 'ResourceNotFoundException', message: 'Secret not found' });
      } else {
        reply(200, {
          ARN: secretId,
          Name: secretId
            .split(':')
            .at(-1)
            ?.replace(/-[A-Za-z0-9]{6}$/, ''),
          SecretString: JSON.stringify(secrets[secretId]),
          VersionId: '00000000-0000-0000-0000-000000000001',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    environment: (region) => ({
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_EC2_METADATA_DISABLED: 'true',
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
