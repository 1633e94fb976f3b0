import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition } from '#shared/resources.ts';
import { viaService } from './data.ts';

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
  /**
   * The key the queues are encrypted with. The stack passes the platform key
   * (DataTables): one key instead of two saves $1 a month per district, and every use
   * of it is fenced by `kms:ViaService` and, for an office, by its queues' encryption
   * context.
   * @default a key of its own
   */
  readonly key?: kms.IKey;
}

const CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
];

/**
 * One FIFO queue and one FIFO dead-letter queue per service office, with the
 * attributes of its definition, SSE-KMS under one customer-managed key, and TLS
 * required by one queue policy for all of them (two resources per office, not four).
 */
export class OfficeQueues extends Construct {
  /** The customer-managed key of every office queue and dead-letter queue. */
  readonly key: kms.IKey;
  /** The one policy of every office queue and dead-letter queue: TLS only. */
  readonly policy: sqs.QueuePolicy | undefined;
  readonly #byOffice = new Map<string, OfficeQueue>();

  constructor(scope: Construct, id: string, props: OfficeQueuesProps) {
    super(scope, id);
    this.key =
      props.key ??
      new kms.Key(this, 'Key', {
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
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: def.deadLetter.maxReceiveCount },
      });
      this.#byOffice.set(officeId, { officeId, definition: def, queue, deadLetterQueue });
    }
    const all = this.all().flatMap(({ queue, deadLetterQueue }) => [queue, deadLetterQueue]);
    if (all.length > 0) {
      this.policy = new sqs.QueuePolicy(this, 'Policy', { queues: all });
      this.policy.document.addStatements(
        new iam.PolicyStatement({
          sid: 'TlsOnly',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['sqs:*'],
          resources: all.map((q) => q.queueArn),
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
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
   * can move a message back after fixing its client (a redrive by hand). The key is
   * shared, so its use is bound to SQS and to this office's two queues by the
   * encryption context SQS sets (`aws:sqs:arn`): no office decrypts another's queue.
   */
  consumeStatements(officeId: string): iam.PolicyStatement[] {
    const { queue, deadLetterQueue } = this.queueFor(officeId);
    return [
      new iam.PolicyStatement({
        actions: CONSUME_ACTIONS,
        resources: [queue.queueArn, deadLetterQueue.queueArn],
      }),
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': viaService('sqs', Stack.of(this)),
            'kms:EncryptionContext:aws:sqs:arn': [queue.queueArn, deadLetterQueue.queueArn],
          },
        },
      }),
    ];
  }

  /** `consumeStatements` added to a principal's policy. */
  grantConsume(grantee: iam.IGrantable, officeId: string): iam.Grant {
    let grant = iam.Grant.drop(grantee, `consume the queues of ${officeId}`);
    for (const statement of this.consumeStatements(officeId)) {
      grant = grant.combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: statement.actions,
          resourceArns: statement.resources,
          ...(statement.conditions ? { conditions: statement.conditions } : {}),
        }),
      );
    }
    return grant;
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
        conditions: { StringEquals: { 'kms:ViaService': viaService('sqs', Stack.of(this)) } },
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
