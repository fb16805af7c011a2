import { type CfnElement, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeOperatorWildcards } from '../nag-acknowledgements';
import {
  type OperatorTarget,
  operatorPolicyDocument,
  operatorResourceArns,
} from '../operator-access';

export interface OperatorPolicyProps {
  readonly stateMachine: sfn.StateMachine;
}

/**
 * The customer managed policy an operator's role or user attaches to run and follow the
 * pipeline with `etl-pipeline … --target aws`: what the CLI calls (infra/operator-access.ts),
 * on this stack and this state machine's executions and Map Runs only.
 */
export class OperatorPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const machine = props.stateMachine;
    const target: OperatorTarget = {
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      stackId: stack.stackId,
      stateMachineArn: machine.stateMachineArn,
      stateMachineName: machine.stateMachineName,
    };
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `etl-pipeline run/status --target aws on stack ${stack.stackName}: start, follow and read its runs`,
      document: iam.PolicyDocument.fromJson(operatorPolicyDocument(target)),
    });
    // The same ARNs as cdk-nag prints them: pseudo parameters and attributes in angle brackets.
    const concrete = (value: string, pseudo: string) =>
      Token.isUnresolved(value) ? pseudo : value;
    const machineId = stack.getLogicalId(machine.node.defaultChild as CfnElement);
    const printed = operatorResourceArns({
      ...target,
      partition: '<AWS::Partition>',
      region: concrete(stack.region, '<AWS::Region>'),
      account: concrete(stack.account, '<AWS::AccountId>'),
      stateMachineName: `<${machineId}.Name>`,
    });
    acknowledgeOperatorWildcards(
      this.policy,
      [...printed.executionArn, ...printed.mapRunArn].filter((arn) => arn.includes('*')),
    );
  }
}
