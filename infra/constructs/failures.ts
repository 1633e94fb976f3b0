import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface PlatformFailuresProps {
  readonly stage: string;
  /** @default RemovalPolicy.RETAIN */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * Where stream batches and scheduled invocations that keep failing end up: one
 * KMS-encrypted queue, kept 14 days. It holds event metadata (stream positions, rule
 * names), never a notification. An alarm fires on its first message (Monitoring).
 */
export class PlatformFailures extends Construct {
  readonly queue: sqs.Queue;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: PlatformFailuresProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `referral-exchange ${props.stage}: failed stream batches and scheduled invocations`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge delivers failed scheduled invocations under its service principal.
    this.key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:GenerateDataKey', 'kms:Decrypt');
    Validations.of(this.queue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the failure destination (a dead-letter queue).',
      },
      { id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the failure destination.' },
    );
  }

  /**
   * The on-failure destination of an event source mapping. Lambda sends the failure
   * record with the function's role, so the role gets sqs:SendMessage on this queue and
   * the key use of an encrypted send — explicit actions instead of SqsDlq's broad grant.
   */
  destination(): lambda.IEventSourceDlq {
    const failures = this;
    return {
      bind(_target: lambda.IEventSourceMapping, handler: lambda.IFunction): lambda.DlqDestinationConfig {
        failures.grantSendFailure(handler);
        return { destination: failures.queue.queueArn };
      },
    };
  }

  /** Send a failure record: sqs:SendMessage on the queue and the key use of an encrypted send. */
  grantSendFailure(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.key.keyArn],
      }),
    );
  }
}
