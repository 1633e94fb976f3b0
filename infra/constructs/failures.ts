import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * Where stream batches and scheduled invocations that keep failing end up: one queue,
 * kept 14 days. It holds event metadata (stream positions, rule names, the request
 * id of a failed run), never a notification and no personal data, so SQS-managed
 * encryption serves: no customer-managed key ($1 a month) and no key grant to
 * events.amazonaws.com. EventBridge may send to it only for this stack's rules (the
 * queue policy the rule targets add carries `aws:SourceArn`). An alarm fires on its
 * first message (Monitoring).
 */
export class PlatformFailures extends Construct {
  readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
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
   * record with the function's role, so the role gets sqs:SendMessage on this queue —
   * one explicit action instead of SqsDlq's broad grant.
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

  /**
   * The on-failure destination of a function's asynchronous invocations (the schedule):
   * Lambda sends the failed event with the function's role.
   */
  asyncDestination(): lambda.IDestination {
    const failures = this;
    return {
      bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
        failures.grantSendFailure(fn);
        return { destination: failures.queue.queueArn };
      },
    };
  }

  /** Send a failure record: sqs:SendMessage on the queue (SQS-managed encryption needs no key grant). */
  grantSendFailure(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: [this.queue.queueArn],
    });
  }
}
