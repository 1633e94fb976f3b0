/**
 * The one source of truth for the platform's stateful resources: DynamoDB tables and
 * SQS queues. The CDK constructs in infra/ and the local platform in local/ both build
 * from these definitions, so key schemas, indexes, TTL, streams and queue attributes
 * cannot drift apart (test/e2e/resources-match.test.ts compares them).
 */

export type AttributeType = 'S' | 'N';
export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** ALL, or KEYS_ONLY plus the listed attributes (INCLUDE). */
  readonly projection: 'ALL' | 'KEYS_ONLY' | { readonly include: readonly string[] };
}

export type StreamView = 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES';

export interface TableDefinition {
  /** Construct id and the stable logical name. */
  readonly id: 'Records' | 'Audit';
  /** Physical name suffix: `rex-<stage>-<suffix>`. */
  readonly suffix: string;
  /** The environment variable through which functions learn the table name. */
  readonly envVar: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  readonly timeToLiveAttribute?: string;
  readonly stream?: StreamView;
}

const S = (name: string): KeyAttribute => ({ name, type: 'S' });
const N = (name: string): KeyAttribute => ({ name, type: 'N' });

/**
 * What a feed item shows (docs/referrals.md, the feed): the referral's metadata, history
 * and next deadline — never the ciphertext, the subject id or anything else. Each index
 * adds the party key it is not keyed by (its own key attribute is projected anyway).
 */
const FEED_ATTRIBUTES = [
  'referralId',
  'status',
  'consentId',
  'caseReference',
  'dataCategories',
  'createdAt',
  'updatedAt',
  'history',
  'dueKind',
  'dueAt',
  'forwardedTo',
  'forwardedToOfficeId',
  'forwardedFrom',
  'forwardedFromOfficeId',
  'erasure',
] as const;

/**
 * Records: consents, referrals, outbox items and idempotency records in one table
 * (one TransactWriteItems covers them with the audit entry). Overloaded indexes:
 * gsi1 = by subject (a person's consents and referrals), gsi3 = by deadline (sparse).
 * The feed indexes `authorityFeed` and `officeFeed` are keyed by the referral's own
 * `authorityId` / `serviceOfficeId` and sorted by `changedKey` (`<updatedAt>#<referralId>`),
 * which only referral items carry: other items with an `authorityId` (the open-referral
 * guard) stay out of them. The stream feeds the outbox relay.
 *
 * Index projections are chosen by cost (docs/performance.md): a referral item carries
 * its ciphertext (~5 KB), and an index projecting ALL would copy it — and rewrite it on
 * every status change. gsi1 projects only the small attributes its readers use
 * (revocation on withdrawal, the "holds a referral under this consent" check).
 */
export const recordsTable: TableDefinition = {
  id: 'Records',
  suffix: 'records',
  envVar: 'REX_RECORDS_TABLE',
  partitionKey: S('pk'),
  sortKey: S('sk'),
  globalSecondaryIndexes: [
    {
      indexName: 'gsi1',
      partitionKey: S('gsi1pk'),
      sortKey: S('gsi1sk'),
      projection: {
        include: [
          'referralId',
          'status',
          'version',
          'subjectId',
          'consentId',
          'authorityId',
          'serviceOfficeId',
          'serviceType',
          'providerId',
          'purpose',
          'dataCategories',
          'caseReference',
          'createdAt',
          'receivedAt',
          'reAnnouncements',
        ],
      },
    },
    { indexName: 'gsi3', partitionKey: S('gsi3pk'), sortKey: S('gsi3sk'), projection: 'KEYS_ONLY' },
    {
      indexName: 'authorityFeed',
      partitionKey: S('authorityId'),
      sortKey: S('changedKey'),
      projection: { include: [...FEED_ATTRIBUTES, 'serviceOfficeId'] },
    },
    {
      indexName: 'officeFeed',
      partitionKey: S('serviceOfficeId'),
      sortKey: S('changedKey'),
      projection: { include: [...FEED_ATTRIBUTES, 'authorityId'] },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
};

/**
 * Audit: entry drafts are written with each state change; the sequencer chains them.
 * Indexes serve the data-protection officer's queries without a scan; all but `pending`
 * are sparse until an entry is sequenced: their sort key (`indexedAt`, the entry's
 * `<time>#<entryId>`) and `sequence` are set by the sequencer. So a draft costs one index
 * write (`pending`) and sequencing inserts each index row once, instead of writing every
 * index with the draft and rewriting it when the entry is chained (docs/performance.md).
 * `bySequence` serves export and verification in chain order.
 */
export const auditTable: TableDefinition = {
  id: 'Audit',
  suffix: 'audit',
  envVar: 'REX_AUDIT_TABLE',
  partitionKey: S('pk'),
  sortKey: S('sk'),
  globalSecondaryIndexes: [
    { indexName: 'bySubject', partitionKey: S('subjectId'), sortKey: S('indexedAt'), projection: 'ALL' },
    { indexName: 'byOffice', partitionKey: S('serviceOfficeId'), sortKey: S('indexedAt'), projection: 'ALL' },
    { indexName: 'byAuthority', partitionKey: S('authorityId'), sortKey: S('indexedAt'), projection: 'ALL' },
    { indexName: 'byEvent', partitionKey: S('event'), sortKey: S('indexedAt'), projection: 'ALL' },
    { indexName: 'bySequence', partitionKey: S('seqBucket'), sortKey: N('sequence'), projection: 'ALL' },
    { indexName: 'pending', partitionKey: S('pendingShard'), sortKey: S('timeKey'), projection: 'KEYS_ONLY' },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_IMAGE',
};

export const tables: readonly TableDefinition[] = [recordsTable, auditTable];

/** The Cognito user pool people sign in with (infra/constructs/sign-in.ts), found by this name. */
export function userPoolName(stage: string): string {
  return `referral-exchange-${stage}`;
}

export function tableName(stage: string, def: TableDefinition): string {
  return `rex-${stage}-${def.suffix}`;
}

export interface QueueDefinition {
  /** Construct id, stable across deployments. */
  readonly id: string;
  /** Physical queue name (FIFO names end in `.fifo`). */
  readonly name: string;
  readonly fifo: boolean;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly receiveWaitTimeSeconds: number;
  readonly deadLetter: {
    readonly name: string;
    readonly maxReceiveCount: number;
    readonly retentionSeconds: number;
  };
}

const DAY = 86_400;

/**
 * Queue attributes of a service office's inbox. FIFO with explicit deduplication ids:
 * the relay's deterministic id (referral id + event) makes a repeated send within the
 * 5-minute window a no-op, and the client also deduplicates by referral id.
 * 14 days of retention matches the default expiry deadline of a referral.
 * The consumer is the office's client, not a Lambda; 120 s of visibility covers a
 * receipt call, a decryption and a write with margin.
 */
export const officeQueueDefaults = {
  visibilityTimeoutSeconds: 120,
  retentionSeconds: 14 * DAY,
  receiveWaitTimeSeconds: 20,
  maxReceiveCount: 5,
  deadLetterRetentionSeconds: 14 * DAY,
} as const;

export function officeQueue(
  stage: string,
  office: { readonly id: string; readonly queueName: string },
): QueueDefinition {
  const base = `rex-${stage}-${office.queueName}`;
  return {
    id: `OfficeQueue-${office.id}`,
    name: `${base}.fifo`,
    fifo: true,
    visibilityTimeoutSeconds: officeQueueDefaults.visibilityTimeoutSeconds,
    retentionSeconds: officeQueueDefaults.retentionSeconds,
    receiveWaitTimeSeconds: officeQueueDefaults.receiveWaitTimeSeconds,
    deadLetter: {
      name: `${base}-dlq.fifo`,
      maxReceiveCount: officeQueueDefaults.maxReceiveCount,
      retentionSeconds: officeQueueDefaults.deadLetterRetentionSeconds,
    },
  };
}

export function officeQueues(
  stage: string,
  directory: { readonly serviceOffices: readonly { readonly id: string; readonly queueName: string }[] },
): QueueDefinition[] {
  return directory.serviceOffices.map((o) => officeQueue(stage, o));
}

/**
 * Queue attributes of an authority's event queue: the office queue's (FIFO, explicit
 * deduplication ids — the event id —, the same retention, visibility and redrive).
 */
export const authorityQueueDefaults = officeQueueDefaults;

/**
 * An authority's event queue. The name joins stage and authority id with `_`, which
 * neither a stage nor a directory slug may contain, so it can never be an office's queue
 * name (`rex-<stage>-<queueName>`); at most 4 + 16 + 1 + 48 + 9 = 78 characters.
 */
export function authorityQueue(stage: string, authority: { readonly id: string }): QueueDefinition {
  const base = `rex-${stage}_${authority.id}`;
  return {
    id: `AuthorityQueue-${authority.id}`,
    name: `${base}.fifo`,
    fifo: true,
    visibilityTimeoutSeconds: authorityQueueDefaults.visibilityTimeoutSeconds,
    retentionSeconds: authorityQueueDefaults.retentionSeconds,
    receiveWaitTimeSeconds: authorityQueueDefaults.receiveWaitTimeSeconds,
    deadLetter: {
      name: `${base}-dlq.fifo`,
      maxReceiveCount: authorityQueueDefaults.maxReceiveCount,
      retentionSeconds: authorityQueueDefaults.deadLetterRetentionSeconds,
    },
  };
}

export function authorityQueues(
  stage: string,
  directory: { readonly authorities: readonly { readonly id: string }[] },
): QueueDefinition[] {
  return directory.authorities.map((a) => authorityQueue(stage, a));
}

/**
 * Which table holds each kind of stored item of the retention table (docs/data-model.md,
 * `retentionItems` in shared/domain/record-of-processing.ts). test/infra checks that
 * every table holding an item that expires has TTL on `expiresAt`.
 */
export const ITEM_TABLES: Readonly<Record<string, TableDefinition['id']>> = {
  consent: 'Records',
  'referral-metadata': 'Records',
  'referral-ciphertext': 'Records',
  'erasure-request': 'Records',
  outbox: 'Records',
  idempotency: 'Records',
  'open-referral-guard': 'Records',
  'office-state': 'Records',
  'retired-keys': 'Records',
  'audit-entry': 'Audit',
  checkpoint: 'Audit',
};

/** The attribute DynamoDB's TTL deletes items by, on every table that has expiring items. */
export const TTL_ATTRIBUTE = 'expiresAt';
