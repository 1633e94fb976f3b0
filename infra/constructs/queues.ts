import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition } from '#shared/resources.ts';

/** One service office's inbox and its dead-letter queue. */
export interface OfficeQueue {
  readonly officeId: string;
  readonly definition: QueueDefinition;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

export interface OfficeQueuesProps {
  /** Deployment stage (named in the key's description). */
  readonly stage: string;
  /**
   * The queue definition of each office, keyed by service office id
   * (from `officeQueue(stage, office)` in shared/resources.ts).
   */
  readonly offices: readonly { readonly officeId: string; readonly definition: QueueDefinition }[];
  /**
   * What happens to the queue key when it leaves the stack. Queues themselves are
   * always deleted with the stack: they hold only ciphertext that the platform can
   * redeliver from the records table.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * One FIFO queue and one FIFO dead-letter queue per service office, with the
 * attributes of its definition, SSE-KMS under one customer-managed key and TLS
 * required by the queue policy.
 */
export class OfficeQueues extends Construct {
  /** The customer-managed key of every office queue and dead-letter queue. */
  readonly key: kms.Key;
  readonly #byOffice = new Map<string, OfficeQueue>();

  constructor(scope: Construct, id: string, props: OfficeQueuesProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `referral-exchange ${props.stage}: service office queues`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const { officeId, definition: def } of props.offices) {
      if (this.#byOffice.has(officeId)) throw new Error(`Service office ${officeId} is listed twice.`);
      const deadLetterQueue = new sqs.Queue(this, `${def.id}-DeadLetter`, {
        queueName: def.deadLetter.name,
        fifo: def.fifo || undefined,
        ...(def.fifo ? { contentBasedDeduplication: false } : {}),
        retentionPeriod: Duration.seconds(def.deadLetter.retentionSeconds),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
      });
      Validations.of(deadLetterQueue).acknowledge({
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This is the dead-letter queue of an office queue; it has none of its own.',
      });
      const queue = new sqs.Queue(this, def.id, {
        queueName: def.name,
        fifo: def.fifo || undefined,
        ...(def.fifo ? { contentBasedDeduplication: false } : {}),
        visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(def.retentionSeconds),
        receiveMessageWaitTime: Duration.seconds(def.receiveWaitTimeSeconds),
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: def.deadLetter.maxReceiveCount },
      });
      this.#byOffice.set(officeId, { officeId, definition: def, queue, deadLetterQueue });
    }
  }

  /** The queues of a service office. */
  queueFor(officeId: string): OfficeQueue {
    const entry = this.#byOffice.get(officeId);
    if (!entry) throw new Error(`No queue for service office ${officeId}.`);
    return entry;
  }

  /** Every office's queues, in directory order. */
  all(): OfficeQueue[] {
    return [...this.#byOffice.values()];
  }

  /**
   * What a service office's client needs on its own inbox: receive, delete and
   * change visibility of messages, read attributes, with decryption under the key.
   * On the dead-letter queue the same, plus sending to the inbox, so that the office
   * can move a message back after fixing its client (a redrive by hand).
   */
  grantConsume(grantee: iam.IGrantable, officeId: string): iam.Grant {
    const { queue, deadLetterQueue } = this.queueFor(officeId);
    return queue
      .grantConsumeMessages(grantee)
      .combine(deadLetterQueue.grantConsumeMessages(grantee))
      .combine(queue.grant(grantee, 'sqs:SendMessage'))
      .combine(
        // SQS encrypts what is sent under a data key it asks KMS for on the sender's behalf.
        this.key.grant(grantee, 'kms:GenerateDataKey'),
      );
  }

  /**
   * Send to every office's queue (the outbox relay): sqs:SendMessage on the queues —
   * never on a dead-letter queue — with the key use SQS needs for an encrypted send.
   */
  grantSendToAll(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:SendMessage'],
      resourceArns: this.all().map(({ queue }) => queue.queueArn),
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.key.keyArn],
      }),
    );
  }

  /** Read the attributes of one office's queue (the health probe; no message access). */
  grantReadAttributes(grantee: iam.IGrantable, officeId: string): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sqs:GetQueueAttributes'],
      resourceArns: [this.queueFor(officeId).queue.queueArn],
    });
  }
}
