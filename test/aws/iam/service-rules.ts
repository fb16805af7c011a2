import type { Access } from './simulate';
import type { TemplateResolver } from './template-resolver';

/**
 * Service rules iam-simulate cannot know, since it judges one action at a time: a call to one
 * service that makes that service call KMS with the caller's identity. Each function returns every
 * access the one call needs, with the context AWS sends (kms:ViaService, the service's encryption
 * context, for a service principal aws:SourceArn/aws:SourceAccount).
 */
export class ServiceRules {
  constructor(private readonly r: TemplateResolver) {}

  /** What a service principal's requests carry: the account and resource it acts for. */
  private serviceContext(principal: string, sourceArn?: string): Record<string, string> {
    if (principal.startsWith('arn:')) return {};
    const context: Record<string, string> = { 'aws:SourceAccount': this.r.env.account };
    if (sourceArn) context['aws:SourceArn'] = sourceArn;
    return context;
  }

  /**
   * What the KMS request a service makes for `principal` carries: for a role, the caller's
   * account and the service it came through; for a service principal, its source.
   */
  private kmsContext(
    principal: string,
    service: string,
    sourceArn?: string,
  ): Record<string, string> {
    return principal.startsWith('arn:')
      ? { 'kms:CallerAccount': this.r.env.account, 'kms:ViaService': this.via(service) }
      : this.serviceContext(principal, sourceArn);
  }

  /** The customer key a resource is encrypted with, or undefined (none, or an AWS managed key). */
  private customerKey(keyReference: unknown): string | undefined {
    if (keyReference === undefined) return undefined;
    const key = String(keyReference);
    if (key.startsWith('alias/aws/') || key.includes(':alias/aws/')) return undefined;
    if (!key.startsWith('arn:aws:kms:'))
      return this.r.getAtt(this.r.idOf('AWS::KMS::Key', key), 'Arn');
    return key;
  }

  /**
   * sns:Publish to a topic; to a KMS-encrypted topic the publisher also needs
   * kms:GenerateDataKey* and kms:Decrypt on its key (SNS developer guide, "Key management").
   */
  publish(principal: string, topicArn: string, because: string, sourceArn?: string): Access[] {
    const topicId = this.r.idOf('AWS::SNS::Topic', topicArn);
    const key = this.customerKey(this.r.properties(topicId).KmsMasterKeyId);
    const context = this.serviceContext(principal, sourceArn);
    const kmsContext = {
      ...this.kmsContext(principal, 'sns', sourceArn),
      'kms:EncryptionContext:aws:sns:topicArn': topicArn,
    };
    return [
      { principal, action: 'sns:Publish', resource: topicArn, context, because },
      ...(key
        ? this.useKey(principal, key, kmsContext, `${because}, through the topic's key`)
        : []),
    ];
  }

  /** sqs:SendMessage; to a KMS-encrypted queue the sender also needs the key. */
  send(principal: string, queueArn: string, because: string): Access[] {
    const queueId = this.r.idOf('AWS::SQS::Queue', queueArn, 'Arn');
    const key = this.customerKey(this.r.properties(queueId).KmsMasterKeyId);
    const kmsContext = {
      ...this.kmsContext(principal, 'sqs'),
      'kms:EncryptionContext:aws:sqs:arn': queueArn,
    };
    return [
      { principal, action: 'sqs:SendMessage', resource: queueArn, because },
      ...(key
        ? this.useKey(principal, key, kmsContext, `${because}, through the queue's key`)
        : []),
    ];
  }

  /**
   * secretsmanager:GetSecretValue (full ARN); a secret of the stack encrypted with a customer
   * key also needs kms:Decrypt through Secrets Manager. A secret from outside the stack is
   * encrypted with a key the template does not show (the operator grants it, or it is
   * aws/secretsmanager, which needs no grant).
   */
  readSecret(principal: string, secretArn: string, because: string): Access[] {
    const created = this.r
      .resourcesOf('AWS::SecretsManager::Secret')
      .find(([id]) => this.r.ref(id) === secretArn);
    const key = created ? this.customerKey(this.r.properties(created[0]).KmsKeyId) : undefined;
    const decrypt: Access = {
      principal,
      action: 'kms:Decrypt',
      resource: key ?? '',
      context: {
        ...this.kmsContext(principal, 'secretsmanager'),
        'kms:EncryptionContext:SecretARN': secretArn,
      },
      because: `${because}, through the secret's key`,
    };
    return [
      { principal, action: 'secretsmanager:GetSecretValue', resource: secretArn, because },
      ...(key ? [decrypt] : []),
    ];
  }

  /** Writing a log stream of a log group (CloudWatch Logs evaluates the stream's ARN). */
  writeLogs(principal: string, logGroupName: string, stream: string, because: string): Access[] {
    const streamArn = `arn:aws:logs:${this.r.env.region}:${this.r.env.account}:log-group:${logGroupName}:log-stream:${stream}`;
    return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
      principal,
      action,
      resource: streamArn,
      because,
    }));
  }

  /** Encrypting and decrypting data keys: what SNS, SQS and CloudWatch Logs ask KMS for. */
  useKey(
    principal: string,
    keyArn: string,
    context: Record<string, string>,
    because: string,
  ): Access[] {
    return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
      principal,
      action,
      resource: keyArn,
      context,
      because,
    }));
  }

  private via(service: string): string {
    return `${service}.${this.r.env.region}.amazonaws.com`;
  }
}
