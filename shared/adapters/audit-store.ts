/**
 * The audit table behind the audit ports (shared/application/audit/ports.ts):
 * the sequencer's work list and its one conditional batch write, the chain head, the
 * signed checkpoints, and the data-protection officer's index queries. Every read is
 * a GetItem, BatchGetItem or Query on a key or an index — never a Scan.
 *
 * Items (docs/data-model.md): entries `ENTRY#<entryId>`/`ENTRY`, the head
 * `CHAIN`/`HEAD`, checkpoints `CHECKPOINT`/<zero-padded tree size>, export records
 * `EXPORT#<exportId>`/`EXPORT`.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AppendOutcome,
  type AuditRecordWriter,
  type AuditStore,
  type ExportWrite,
  INDEX_KEY_ATTRIBUTE,
  type IndexQuery,
  type Page,
  type StoredAuditItem,
  type StoredCheckpoint,
} from '#shared/application/audit/ports.ts';
import { type ChainHead, ChainHeadSchema, EMPTY_CHAIN_HEAD } from '#shared/domain/audit/chain.ts';
import { type AuditEntry, type AuditEntryDraft, AuditEntryDraftSchema } from '#shared/domain/audit/entry.ts';
import { auditExpiry, type RetentionPolicy } from '#shared/domain/retention.ts';
import { logger } from '#shared/observability.ts';
import { auditKeys, putAuditDraft } from './audit-drafts.ts';
import { documentClient } from './aws-clients.ts';
import { queryPages } from './paged-query.ts';
import { commit, commitCreating } from './transactions.ts';

/**
 * Sequenced entries are spread over `bySequence` partitions of this many entries each
 * (`seqBucket` = floor(sequence / SEQUENCE_BUCKET_SIZE)), so that no index partition
 * grows without bound and an export reads one partition after the other in order.
 */
export const SEQUENCE_BUCKET_SIZE = 10_000;

export const sequenceBucket = (sequence: number): string =>
  String(Math.floor(sequence / SEQUENCE_BUCKET_SIZE));

const ENTRY_PREFIX = 'ENTRY#';
const CHECKPOINT_PK = auditKeys.checkpoint(0).pk;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Item = Record<string, unknown>;

function toStoredItem(item: Item): StoredAuditItem | undefined {
  const entry = item.entry as AuditEntry | AuditEntryDraft | undefined;
  if (!entry || typeof entry !== 'object') return undefined;
  return {
    entry,
    sequenced: typeof item.sequence === 'number',
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : undefined,
    ...(Array.isArray(item.merkleNodes) ? { merkleNodes: item.merkleNodes.map(String) } : {}),
  };
}

const storedItems = (items: readonly Item[] | undefined): StoredAuditItem[] =>
  (items ?? []).map(toStoredItem).filter((i): i is StoredAuditItem => i !== undefined);

function toCheckpoint(item: Item): StoredCheckpoint {
  return {
    origin: String(item.origin),
    treeSize: Number(item.treeSize),
    rootHash: String(item.rootHash),
    headHash: String(item.headHash),
    time: String(item.time),
    note: String(item.note),
    keyName: String(item.keyName),
    verifierKey: String(item.verifierKey),
    merkleFrontier: item.merkleFrontier as StoredCheckpoint['merkleFrontier'],
  };
}

/** The checkpoint query's key condition for tree sizes up to `treeSize`. */
function atOrBelow(treeSize: number): Partial<QueryCommandInput> {
  return {
    KeyConditionExpression: 'pk = :pk AND sk <= :max',
    ExpressionAttributeValues: { ':pk': CHECKPOINT_PK, ':max': auditKeys.checkpoint(treeSize).sk },
  };
}

export class DynamoAuditStore implements AuditStore, AuditRecordWriter {
  constructor(
    readonly tableName: string,
    /** Where idempotency records of creating requests go (the records table). */
    readonly recordsTableName: string,
    private readonly client: () => DynamoDBDocumentClient = documentClient,
    private readonly retention?: RetentionPolicy,
  ) {}

  // ---------------------------------------------------------------- the chain

  async readHead(): Promise<ChainHead> {
    const out = await this.client().send(
      new GetCommand({ TableName: this.tableName, Key: auditKeys.head(), ConsistentRead: true }),
    );
    if (!out.Item) return EMPTY_CHAIN_HEAD;
    return ChainHeadSchema.parse({
      sequence: out.Item.sequence,
      hash: out.Item.hash,
      frontier: out.Item.frontier,
      ...(out.Item.epoch !== undefined ? { epoch: out.Item.epoch, expiresAt: out.Item.epochExpiresAt } : {}),
    });
  }

  async pendingDraftIds(limit: number, exclude: ReadonlySet<string>): Promise<string[]> {
    const ids: string[] = [];
    const pages = queryPages((command) => this.client().send(command), {
      TableName: this.tableName,
      IndexName: 'pending',
      KeyConditionExpression: 'pendingShard = :p',
      ExpressionAttributeValues: { ':p': 'pending' },
      Limit: Math.min(1000, limit + exclude.size),
    });
    for await (const items of pages) {
      for (const item of items) {
        const pk = String(item.pk);
        if (!pk.startsWith(ENTRY_PREFIX)) continue;
        const id = pk.slice(ENTRY_PREFIX.length);
        if (exclude.has(id)) continue;
        ids.push(id);
        if (ids.length >= limit) return ids;
      }
    }
    return ids;
  }

  async loadPendingDrafts(entryIds: readonly string[]): Promise<AuditEntryDraft[]> {
    const drafts: AuditEntryDraft[] = [];
    for (let i = 0; i < entryIds.length; i += 100) {
      let keys: Item[] | undefined = entryIds.slice(i, i + 100).map((id) => auditKeys.entry(id));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        const out = await this.client().send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          // Sequenced since the index was read, or expired: not a draft any more.
          if (item.pendingShard === undefined) continue;
          const parsed = AuditEntryDraftSchema.safeParse(item.entry);
          if (parsed.success) drafts.push(parsed.data);
          else logger.error('audit draft is not well-formed; left pending', { pk: item.pk });
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined;
      }
    }
    return drafts;
  }

  async appendBatch(
    previous: ChainHead,
    entries: readonly AuditEntry[],
    next: ChainHead,
    merkleNodes?: readonly (readonly string[])[],
  ): Promise<AppendOutcome> {
    if (entries.length === 0) return { ok: true };
    if (entries.length > 99) throw new RangeError('A batch holds at most 99 entries.');
    const headItem = {
      Put: {
        TableName: this.tableName,
        Item: {
          ...auditKeys.head(),
          sequence: next.sequence,
          hash: next.hash,
          frontier: next.frontier,
          // The retention epoch of the last entry (not a TTL here: `expiresAt` on the head
          // item would delete it, so it is kept as `epochExpiresAt`).
          ...(next.epoch !== undefined ? { epoch: next.epoch, epochExpiresAt: next.expiresAt } : {}),
        },
        ...(previous.sequence === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#sequence = :previous',
              ExpressionAttributeNames: { '#sequence': 'sequence' },
              ExpressionAttributeValues: { ':previous': previous.sequence },
            }),
      },
    };
    // Every entry of a batch is of the head's retention epoch and expires with it
    // (docs/audit-format.md §8): the TTL of the draft is replaced by the epoch's.
    const retention =
      next.epoch !== undefined && next.expiresAt !== undefined
        ? {
            set: ', retentionEpoch = :epoch, expiresAt = :expiresAt',
            epoch: next.epoch,
            expiresAt: next.expiresAt,
          }
        : undefined;
    const entryItems = entries.map((entry, i) => {
      // The Merkle subtrees this entry completes (half of the entries complete none).
      const nodes = merkleNodes?.[i] ?? [];
      const setNodes = nodes.length > 0 ? ', merkleNodes = :nodes' : '';
      return {
        Update: {
          TableName: this.tableName,
          Key: auditKeys.entry(entry.entryId),
          UpdateExpression: `SET #entry = :entry, #sequence = :sequence, seqBucket = :bucket, indexedAt = :indexedAt${retention?.set ?? ''}${setNodes} REMOVE pendingShard`,
          ConditionExpression: 'attribute_exists(pendingShard)',
          ExpressionAttributeNames: { '#entry': 'entry', '#sequence': 'sequence' },
          ExpressionAttributeValues: {
            ':entry': entry,
            ':sequence': entry.sequence,
            ':bucket': sequenceBucket(entry.sequence),
            ':indexedAt': `${entry.time}#${entry.entryId}`,
            ...(retention ? { ':epoch': retention.epoch, ':expiresAt': retention.expiresAt } : {}),
            ...(nodes.length > 0 ? { ':nodes': nodes } : {}),
          },
        },
      };
    });
    try {
      await this.client().send(new TransactWriteCommand({ TransactItems: [...entryItems, headItem] }));
      return { ok: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[entries.length]?.Code === 'ConditionalCheckFailed')
        return { ok: false, reason: 'head-moved' };
      const gone = entries
        .filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed')
        .map((entry) => entry.entryId);
      if (gone.length > 0) return { ok: false, reason: 'drafts-gone', entryIds: gone };
      return { ok: false, reason: 'conflict' };
    }
  }

  // ---------------------------------------------------------------- checkpoints

  /** Checkpoints newest first: one page of `limit`, from `startKey`. */
  private checkpointQuery(limit: number, extra: Partial<QueryCommand['input']> = {}) {
    return this.client().send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': CHECKPOINT_PK },
        ScanIndexForward: false,
        Limit: limit,
        ...extra,
      }),
    );
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const out = await this.checkpointQuery(1, { ConsistentRead: true });
    const item = out.Items?.[0];
    return item ? toCheckpoint(item) : undefined;
  }

  async putCheckpoint(checkpoint: StoredCheckpoint): Promise<boolean> {
    try {
      await this.client().send(
        new PutCommand({
          TableName: this.tableName,
          // Kept apart from the entries and without TTL: checkpoints outlive the
          // entries they cover, so that what remains stays verifiable (docs/audit-format.md §8).
          Item: { ...auditKeys.checkpoint(checkpoint.treeSize), ...checkpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listCheckpoints(
    limit: number,
    startKey?: Item,
    maxTreeSize?: number,
  ): Promise<Page<StoredCheckpoint>> {
    const out = await this.checkpointQuery(limit, {
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      ...(maxTreeSize !== undefined ? atOrBelow(maxTreeSize) : {}),
    });
    return { items: (out.Items ?? []).map(toCheckpoint), lastKey: out.LastEvaluatedKey };
  }

  async checkpointAtOrBelow(treeSize: number): Promise<StoredCheckpoint | undefined> {
    const out = await this.checkpointQuery(1, { ...atOrBelow(treeSize), ConsistentRead: true });
    const item = out.Items?.[0];
    return item ? toCheckpoint(item) : undefined;
  }

  // ---------------------------------------------------------------- DPO queries

  async queryIndex(query: IndexQuery): Promise<Page<StoredAuditItem>> {
    const keyAttribute = INDEX_KEY_ATTRIBUTE[query.index];
    const names: Record<string, string> = { '#k': keyAttribute };
    const values: Record<string, unknown> = { ':k': query.keyValue };
    let keyCondition = '#k = :k';
    if (query.fromTimeKey !== undefined && query.toTimeKey !== undefined) {
      keyCondition += ' AND indexedAt BETWEEN :from AND :to';
      values[':from'] = query.fromTimeKey;
      values[':to'] = query.toTimeKey;
    } else if (query.fromTimeKey !== undefined) {
      keyCondition += ' AND indexedAt >= :from';
      values[':from'] = query.fromTimeKey;
    } else if (query.toTimeKey !== undefined) {
      keyCondition += ' AND indexedAt <= :to';
      values[':to'] = query.toTimeKey;
    }
    const filters: string[] = [];
    let n = 0;
    for (const [attribute, value] of Object.entries(query.filters ?? {})) {
      if (value === undefined) continue;
      n++;
      names[`#f${n}`] = attribute;
      values[`:f${n}`] = value;
      filters.push(`#f${n} = :f${n}`);
    }
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: query.index,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: query.ascending,
      Limit: query.limit,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
      ...(query.startKey ? { ExclusiveStartKey: query.startKey } : {}),
    };
    const out = await this.client().send(new QueryCommand(input));
    return {
      items: storedItems(out.Items),
      lastKey: out.LastEvaluatedKey,
    };
  }

  async querySequenceBucket(
    bucket: number,
    fromSequence: number,
    limit: number,
  ): Promise<{ items: StoredAuditItem[]; more: boolean }> {
    const out = await this.client().send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'bySequence',
        KeyConditionExpression: 'seqBucket = :b AND #sequence >= :from',
        ExpressionAttributeNames: { '#sequence': 'sequence' },
        ExpressionAttributeValues: { ':b': String(bucket), ':from': fromSequence },
        Limit: limit,
      }),
    );
    return {
      items: storedItems(out.Items),
      more: out.LastEvaluatedKey !== undefined,
    };
  }

  // ---------------------------------------------------------------- DPO records

  async recordDraft(draft: AuditEntryDraft): Promise<void> {
    await commit([putAuditDraft(this.tableName, draft, this.retention)]);
  }

  async recordExport(write: ExportWrite): Promise<{ status: number; body: unknown; replayed: boolean }> {
    return commitCreating({
      recordsTable: this.recordsTableName,
      principal: write.principal,
      idempotencyKey: write.idempotencyKey,
      requestHash: write.requestHash,
      now: write.now,
      items: [
        putAuditDraft(this.tableName, write.draft, this.retention),
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...auditKeys.export(write.draft.entryId),
              // Nested, so that none of its members (subjectId) lands in an index.
              export: write.record,
              expiresAt: auditExpiry(new Date(write.draft.time), this.retention),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      response: write.response,
    });
  }
}
