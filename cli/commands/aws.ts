import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { Command } from '@commander-js/extra-typings';
import type { PipelineConfig } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { type OperatorPolicyDocument, operatorPolicyDocument } from '../../infra/operator-access';
import { describeStack } from '../aws-target';
import { configFrom } from '../config-context';

export function awsCommand(): Command {
  const aws = new Command('aws').description('the deployed stack, for an operator’s machine');
  aws
    .command('operator-policy')
    .description(
      'print, as JSON, the IAM policy etl-pipeline needs for --target aws: the deployed stack’s OperatorPolicy',
    )
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const policy = await deployedOperatorPolicy(configFrom(options).pipeline);
      process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
    });
  return aws;
}

/**
 * The operator policy of the deployed stack, with its ARNs: the stack's own (from DescribeStacks,
 * the one call it makes) and its `StateMachineArn` output. The same document as the stack's
 * `OperatorPolicy` (infra/operator-access.ts builds both).
 */
export async function deployedOperatorPolicy(
  config: PipelineConfig,
  cloudFormation?: CloudFormationClient,
): Promise<OperatorPolicyDocument> {
  const { stackName, stackId, outputs } = await describeStack(config, cloudFormation);
  const stateMachineArn = outputs.StateMachineArn;
  // arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>
  const [, partition, , region, account] = stackId.split(':');
  const stateMachineName = stateMachineArn?.split(':')[6];
  if (!partition || !region || !account || !stateMachineArn || !stateMachineName)
    throw new ConfigError(`stack ${stackName} has no StateMachineArn output: deploy it first`);
  return operatorPolicyDocument({
    partition,
    region,
    account,
    stackId,
    stateMachineArn,
    stateMachineName,
  });
}
