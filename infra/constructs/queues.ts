import { Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDefinition } from '#shared/resources.ts';
import { viaService } from './data.ts';

/**
 * The tags by which an offices' role finds an office's queues (attribute-based access,
 * infra/constructs/principals.ts): the stage (the name pattern `rex-<stage>-*` alone
 * would also match a stage named `<stage>-…`), the office's id, its provider's id, and
 * whether the queue is the inbox or the dead-letter queue.
 */
export const OFFICE_QUEUE_TAGS = {
  stage: 'rex-stage',
  office: 'rex-office',
  provider: 'rex-provider',
  role: 'rex-queue',
} as const;

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
  readonly offices: readonly {
    readonly officeId: string;
    /** The office's provider (the queues' `rex-provider` tag). */
    readonly providerId: string;
    readonly definition: QueueDefinition;
  }[];
  /**
   * IAM roles of an organisation's own AWS account that consume an office's queues
   * directly, by office id (docs/deploy.md, "Onboarding from outside the account"): the
   * office's two queues get a queue policy of their own that lets them receive, and the
   * key's policy lets them decrypt through SQS for those two queues only.
   * @default none
   */
  readonly externalConsumers?: ReadonlyMap<string, readonly string[]>;
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

/** A queue and its dead-letter queue, FIFO as defined, SSE-KMS under `key`. */
function queuePair(
  scope: Construct,
  def: QueueDefinition,
  key: kms.IKey,
  deadLetterOf: string,
): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = new sqs.Queue(scope, `${def.id}-DeadLetter`, {
    queueName: def.deadLetter.name,
    fifo: def.fifo || undefined,
    ...(def.fifo ? { contentBasedDeduplication: false } : {}),
    retentionPeriod: Duration.seconds(def.deadLetter.retentionSeconds),
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: `This is the dead-letter queue of ${deadLetterOf}; it has none of its own.`,
  });
  const queue = new sqs.Queue(scope, def.id, {
    queueName: def.name,
    fifo: def.fifo || undefined,
    ...(def.fifo ? { contentBasedDeduplication: false } : {}),
    visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
    retentionPeriod: Duration.seconds(def.retentionSeconds),
    receiveMessageWaitTime: Duration.seconds(def.receiveWaitTimeSeconds),
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: def.deadLetter.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/** One policy for a set of queues: TLS only. */
function tlsOnlyPolicy(
  scope: Construct,
  queues: readonly sqs.Queue[],
  id = 'Policy',
): sqs.QueuePolicy | undefined {
  if (queues.length === 0) return undefined;
  const policy = new sqs.QueuePolicy(scope, id, { queues: [...queues] });
  policy.document.addStatements(
    new iam.PolicyStatement({
      sid: 'TlsOnly',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:*'],
      resources: queues.map((q) => q.queueArn),
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    }),
  );
  return policy;
}

/**
 * What the owner of a queue pair needs to consume it: receive, delete and change
 * visibility on both, send to the queue (a redrive by hand from the dead-letter queue),
 * and the key's use bound to SQS and to these two queues by the encryption context SQS
 * sets (`aws:sqs:arn`), so that no owner decrypts another's queue under the shared key.
 */
function consumeStatementsOf(
  pair: { queue: sqs.Queue; deadLetterQueue: sqs.Queue },
  key: kms.IKey,
  stack: Stack,
): iam.PolicyStatement[] {
  const { queue, deadLetterQueue } = pair;
  return [
    new iam.PolicyStatement({
      actions: CONSUME_ACTIONS,
      resources: [queue.queueArn, deadLetterQueue.queueArn],
    }),
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': viaService('sqs', stack),
          'kms:EncryptionContext:aws:sqs:arn': [queue.queueArn, deadLetterQueue.queueArn],
        },
      },
    }),
  ];
}

/**
 * Lets an organisation's own IAM roles (another account) consume a queue pair: a queue
 * policy of the pair's own (TLS only, and their consume and redrive actions), and on
 * the key, decryption through SQS for these two queues only. Both queue ARNs are
 * spelled from the names, so the key's policy does not depend on the queues it encrypts.
 */
function allowExternalConsumers(
  scope: Construct,
  id: string,
  pair: { definition: QueueDefinition; queue: sqs.Queue; deadLetterQueue: sqs.Queue },
  arns: readonly string[],
  key: kms.IKey,
): sqs.QueuePolicy {
  const { queue, deadLetterQueue } = pair;
  const policy = tlsOnlyPolicy(scope, [queue, deadLetterQueue], id)!;
  const principals = arns.map((arn) => new iam.ArnPrincipal(arn));
  policy.document.addStatements(
    new iam.PolicyStatement({
      sid: 'OrganisationConsumes',
      principals,
      actions: CONSUME_ACTIONS,
      resources: [queue.queueArn, deadLetterQueue.queueArn],
    }),
    new iam.PolicyStatement({
      sid: 'OrganisationRedrives',
      principals,
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }),
  );
  const stack = Stack.of(scope);
  const arnOf = (name: string) => stack.formatArn({ service: 'sqs', resource: name });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: `DecryptThroughSqs${id.replace(/[^A-Za-z0-9]/g, '')}`,
      principals,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': viaService('sqs', stack),
          'kms:EncryptionContext:aws:sqs:arn': [
            arnOf(pair.definition.name),
            arnOf(pair.definition.deadLetter.name),
          ],
        },
      },
    }),
  );
  return policy;
}

function grantStatements(
  grantee: iam.IGrantable,
  statements: readonly iam.PolicyStatement[],
  what: string,
): iam.Grant {
  let grant = iam.Grant.drop(grantee, what);
  for (const statement of statements) {
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

/** sqs:SendMessage on the queues — never on a dead-letter queue — with the key use an encrypted send needs. */
function grantSend(
  grantee: iam.IGrantable,
  queues: readonly sqs.Queue[],
  key: kms.IKey,
  stack: Stack,
): iam.Grant {
  if (queues.length === 0) return iam.Grant.drop(grantee, 'send to no queue');
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['sqs:SendMessage'],
    resourceArns: queues.map((q) => q.queueArn),
  }).combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': viaService('sqs', stack) } },
    }),
  );
}

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
    this.#stage = props.stage;
    for (const { officeId, providerId, definition: def } of props.offices) {
      if (this.#byOffice.has(officeId)) throw new Error(`Service office ${officeId} is listed twice.`);
      const pair = queuePair(this, def, this.key, 'an office queue');
      for (const [queue, role] of [
        [pair.queue, 'inbox'],
        [pair.deadLetterQueue, 'dead-letter'],
      ] as const) {
        Tags.of(queue).add(OFFICE_QUEUE_TAGS.stage, props.stage);
        Tags.of(queue).add(OFFICE_QUEUE_TAGS.office, officeId);
        Tags.of(queue).add(OFFICE_QUEUE_TAGS.provider, providerId);
        Tags.of(queue).add(OFFICE_QUEUE_TAGS.role, role);
      }
      this.#byOffice.set(officeId, { officeId, definition: def, ...pair });
    }
    const external = props.externalConsumers ?? new Map<string, readonly string[]>();
    for (const officeId of external.keys()) this.queueFor(officeId);
    this.policy = tlsOnlyPolicy(
      this,
      this.all()
        .filter(({ officeId }) => !external.has(officeId))
        .flatMap(({ queue, deadLetterQueue }) => [queue, deadLetterQueue]),
    );
    for (const [officeId, arns] of external) {
      allowExternalConsumers(this, `Policy-${officeId}`, this.queueFor(officeId), arns, this.key);
    }
  }

  readonly #stage: string;

  /**
   * The key use of an office's session on its queues (infra/constructs/principals.ts):
   * kms:Decrypt and kms:GenerateDataKey only through SQS and only for the stage's queues
   * (`kms:EncryptionContext:aws:sqs:arn`). Which of them is the office's own is decided
   * by SQS, which calls the key only for a receive or send it authorised — by the
   * queue's `rex-office` tag — and never by the session directly.
   */
  officeKeyStatement(): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [this.key.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': viaService('sqs', stack) },
        ArnLike: {
          'kms:EncryptionContext:aws:sqs:arn': stack.formatArn({
            service: 'sqs',
            resource: `rex-${this.#stage}-*`,
          }),
        },
      },
    });
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
   * What a service office's client needs on its own inbox: receive, delete and change
   * visibility of messages, read attributes, with decryption under the key.
   * On the dead-letter queue the same, plus sending to the inbox, so that the office
   * can move a message back after fixing its client (a redrive by hand). The key is
   * shared, so its use is bound to SQS and to this office's two queues by the
   * encryption context SQS sets (`aws:sqs:arn`): no office decrypts another's queue.
   */
  consumeStatements(officeId: string): iam.PolicyStatement[] {
    return consumeStatementsOf(this.queueFor(officeId), this.key, Stack.of(this));
  }

  /** `consumeStatements` added to a principal's policy. */
  grantConsume(grantee: iam.IGrantable, officeId: string): iam.Grant {
    return grantStatements(grantee, this.consumeStatements(officeId), `consume the queues of ${officeId}`);
  }

  /**
   * Send to every office's queue (the outbox relay): sqs:SendMessage on the queues —
   * never on a dead-letter queue — with the key use SQS needs for an encrypted send.
   */
  grantSendToAll(grantee: iam.IGrantable): iam.Grant {
    return grantSend(
      grantee,
      this.all().map(({ queue }) => queue),
      this.key,
      Stack.of(this),
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

/** One authority's event queue and its dead-letter queue. */
export interface AuthorityQueue {
  readonly authorityId: string;
  readonly definition: QueueDefinition;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

export interface AuthorityQueuesProps {
  /**
   * The queue definition of each authority, keyed by authority id
   * (from `authorityQueue(stage, authority)` in shared/resources.ts).
   */
  readonly authorities: readonly { readonly authorityId: string; readonly definition: QueueDefinition }[];
  /** The key the queues are encrypted with: the platform key, as for the office queues. */
  readonly key: kms.IKey;
  /** IAM roles of an authority's own AWS account that consume its event queues directly, by authority id. @default none */
  readonly externalConsumers?: ReadonlyMap<string, readonly string[]>;
}

/**
 * One FIFO event queue and one FIFO dead-letter queue per authority: the status events of
 * its referrals (docs/referrals.md). The same attributes, encryption and redrive as the
 * office queues, and one TLS-only policy for all of them.
 */
export class AuthorityQueues extends Construct {
  readonly key: kms.IKey;
  readonly policy: sqs.QueuePolicy | undefined;
  readonly #byAuthority = new Map<string, AuthorityQueue>();

  constructor(scope: Construct, id: string, props: AuthorityQueuesProps) {
    super(scope, id);
    this.key = props.key;
    for (const { authorityId, definition: def } of props.authorities) {
      if (this.#byAuthority.has(authorityId)) throw new Error(`Authority ${authorityId} is listed twice.`);
      const pair = queuePair(this, def, this.key, "an authority's event queue");
      this.#byAuthority.set(authorityId, { authorityId, definition: def, ...pair });
    }
    const external = props.externalConsumers ?? new Map<string, readonly string[]>();
    for (const authorityId of external.keys()) this.queueFor(authorityId);
    this.policy = tlsOnlyPolicy(
      this,
      this.all()
        .filter(({ authorityId }) => !external.has(authorityId))
        .flatMap(({ queue, deadLetterQueue }) => [queue, deadLetterQueue]),
    );
    for (const [authorityId, arns] of external) {
      allowExternalConsumers(this, `Policy-${authorityId}`, this.queueFor(authorityId), arns, this.key);
    }
  }

  /** The queues of an authority. */
  queueFor(authorityId: string): AuthorityQueue {
    const entry = this.#byAuthority.get(authorityId);
    if (!entry) throw new Error(`No event queue for authority ${authorityId}.`);
    return entry;
  }

  /** Every authority's queues, in directory order. */
  all(): AuthorityQueue[] {
    return [...this.#byAuthority.values()];
  }

  /** What an authority's client needs on its own event queue and dead-letter queue, nothing else. */
  consumeStatements(authorityId: string): iam.PolicyStatement[] {
    return consumeStatementsOf(this.queueFor(authorityId), this.key, Stack.of(this));
  }

  grantConsume(grantee: iam.IGrantable, authorityId: string): iam.Grant {
    return grantStatements(
      grantee,
      this.consumeStatements(authorityId),
      `consume the event queues of ${authorityId}`,
    );
  }

  /** Send to every authority's event queue (the outbox relay), never to a dead-letter queue. */
  grantSendToAll(grantee: iam.IGrantable): iam.Grant {
    return grantSend(
      grantee,
      this.all().map(({ queue }) => queue),
      this.key,
      Stack.of(this),
    );
  }
}
