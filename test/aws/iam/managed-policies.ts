/** An IAM policy document. */
export interface PolicyDocument {
  Version: string;
  Statement: Record<string, unknown>[];
}

/**
 * The AWS managed policies the stack attaches, with the statements AWS documents for them (AWS
 * Managed Policy Reference). A template names a managed policy by ARN only; one missing here fails
 * the simulation instead of being assumed to allow anything.
 */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLambdaVPCAccessExecutionPermissions',
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
  'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EnableCreationAndManagementOfRDSCloudwatchLogGroups',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
        Resource: ['arn:aws:logs:*:*:log-group:RDS*'],
      },
      {
        Sid: 'EnableCreationAndManagementOfRDSCloudwatchLogStreams',
        Effect: 'Allow',
        Action: [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
          'logs:GetLogEvents',
        ],
        Resource: ['arn:aws:logs:*:*:log-group:RDS*:log-stream:*'],
      },
    ],
  },
};
