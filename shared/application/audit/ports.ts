/**
 * The ports of the audit log: what the sequencer and the data-protection officer's
 * (DPO's) service need from storage and from the directory.
 * shared/adapters/audit-store.ts implements the storage ports on DynamoDB.
 */
import type { ChainHead } from '#shared/domain/audit/chain.ts';
import type { AuditEntry, AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import type { CheckpointView } from '#shared/schemas/audit.ts';

export interface Page<T> {
  readonly items: T[];
  /** DynamoDB's LastEvaluatedKey: present when there may be more. */
  readonly lastKey?: Record<string, unknown> | undefined;
}

/** An entry item as stored: a sequenced entry, or a draft still waiting for the sequencer. */
export interface StoredAuditItem {
  readonly entry: AuditEntry | AuditEntryDraft;
  readonly sequenced: boolean;
  /** The TTL attribute (epoch seconds). */
  readonly expiresAt: number | undefined;
  /**
   * For a sequenced entry: the Merkle perfect subtrees it completes, hex, by level
   * (index i: the 2^(i+1) leaves ending with it); absent for entries sequenced before
   * the platform kept them.
   */
  readonly merkleNodes?: readonly string[] | undefined;
}

export type StoredCheckpoint = CheckpointView;

export type AppendOutcome =
  | { readonly ok: true }
  /** Another writer moved the head: re-read it and redo the batch. */
  | { readonly ok: false; readonly reason: 'head-moved' }
  /** These drafts were sequenced meanwhile or have expired: leave them out. */
  | { readonly ok: false; readonly reason: 'drafts-gone'; readonly entryIds: readonly string[] }
  /** A transient conflict with another transaction: try again. */
  | { readonly ok: false; readonly reason: 'conflict' };

export interface ChainStore {
  /** The chain head, read consistently; the empty head when nothing is sequenced yet. */
  readHead(): Promise<ChainHead>;
  /** Up to `limit` ids of drafts in the pending index, oldest first, skipping `exclude`. */
  pendingDraftIds(limit: number, exclude: ReadonlySet<string>): Promise<string[]>;
  /** The drafts of these ids that are still pending, read consistently. */
  loadPendingDrafts(entryIds: readonly string[]): Promise<AuditEntryDraft[]>;
  /**
   * Writes the entries and the new head in one transaction, conditioned on the head
   * still being `previous` and every draft still pending.
   */
  appendBatch(
    previous: ChainHead,
    entries: readonly AuditEntry[],
    next: ChainHead,
    /** Per entry, the Merkle perfect subtrees it completes (sequenceDrafts), stored with it. */
    merkleNodes?: readonly (readonly string[])[],
  ): Promise<AppendOutcome>;
}

export interface CheckpointStore {
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** False when a checkpoint of that tree size exists already (it is kept). */
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<boolean>;
  /** Newest first; only those of tree size ≤ `maxTreeSize` when given. */
  listCheckpoints(
    limit: number,
    startKey?: Record<string, unknown>,
    maxTreeSize?: number,
  ): Promise<Page<StoredCheckpoint>>;
  /** The checkpoint of the largest tree size ≤ `treeSize`. */
  checkpointAtOrBelow(treeSize: number): Promise<StoredCheckpoint | undefined>;
}

export type AuditIndexName = 'bySubject' | 'byOffice' | 'byAuthority' | 'byEvent';

/** Index → the entry attribute that is its partition key. */
export const INDEX_KEY_ATTRIBUTE: Readonly<
  Record<AuditIndexName, 'subjectId' | 'serviceOfficeId' | 'authorityId' | 'event'>
> = {
  bySubject: 'subjectId',
  byOffice: 'serviceOfficeId',
  byAuthority: 'authorityId',
  byEvent: 'event',
};

export interface IndexQuery {
  readonly index: AuditIndexName;
  readonly keyValue: string;
  /** Inclusive lower bound on `indexedAt` (`<time>#<entryId>`, set when the entry is sequenced). */
  readonly fromTimeKey?: string | undefined;
  /** Inclusive upper bound on `indexedAt`; a bare instant excludes entries at that instant. */
  readonly toTimeKey?: string | undefined;
  readonly ascending: boolean;
  readonly limit: number;
  readonly startKey?: Record<string, unknown> | undefined;
  /** Equality filters on the other index attributes. */
  readonly filters?: Readonly<Record<string, string | undefined>>;
}

export interface AuditReader {
  readHead(): Promise<ChainHead>;
  queryIndex(query: IndexQuery): Promise<Page<StoredAuditItem>>;
  /** Sequenced entries of one `bySequence` partition from `fromSequence` on, in order. */
  querySequenceBucket(
    bucket: number,
    fromSequence: number,
    limit: number,
  ): Promise<{ items: StoredAuditItem[]; more: boolean }>;
}

export type AuditStore = ChainStore & CheckpointStore & AuditReader;

/** What `recordExport` writes in one transaction. */
export interface ExportWrite {
  readonly draft: AuditEntryDraft;
  readonly record: Readonly<Record<string, unknown>>;
  readonly principal: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly now: Date;
  readonly response: { readonly status: number; readonly body: unknown };
}

export interface AuditRecordWriter {
  /** Writes one audit draft on its own (a report was generated). */
  recordDraft(draft: AuditEntryDraft): Promise<void>;
  /** Writes the `export.made` draft and the export record with the idempotency record. */
  recordExport(write: ExportWrite): Promise<{ status: number; body: unknown; replayed: boolean }>;
}

/** Display names of directory entries, for the access report; undefined when unknown. */
export interface DirectoryNames {
  office(id: string): { readonly name: string; readonly providerName: string | null } | undefined;
  authority(id: string): string | undefined;
}
