import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * CloudFormation, mocked as the deployed stack answers `DescribeStacks`: the default stack name
 * with its `StateMachineArn` output. Reset before each test.
 */
export function mockStackOutputs(stateMachineArn: string) {
  const cfn = mockClient(CloudFormationClient);
  const reset = () => {
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'OpenDentalEtl',
          StackId: `${stateMachineArn.replace(/:states:(.*):stateMachine:.*$/, ':cloudformation:$1')}:stack/OpenDentalEtl/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: stateMachineArn }],
        },
      ],
    });
  };
  return { cfn, reset };
}
