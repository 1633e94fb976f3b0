import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { auditExpiry, type RetentionPolicy } from '#shared/domain/retention.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** The partition of the sparse `pending` index the sequencer reads drafts from. */
export const PENDING_SHARD = 'pending';

/**
 * The partition-key prefixes that writers other than the sequencer may write: entry
 * drafts and export records. IAM enforces it (`dynamodb:LeadingKeys`, see
 * functions/definitions.ts), so none of them can touch the head or a checkpoint.
 */
export const AUDIT_DRAFT_KEY_PREFIX = 'ENTRY#';
export const AUDIT_EXPORT_KEY_PREFIX = 'EXPORT#';

export const auditKeys = {
  entry: (entryId: string) => ({ pk: `${AUDIT_DRAFT_KEY_PREFIX}${entryId}`, sk: 'ENTRY' }),
  export: (entryId: string) => ({ pk: `${AUDIT_EXPORT_KEY_PREFIX}${entryId}`, sk: 'EXPORT' }),
  /** The chain head: written once per sequencer batch, never on the request path. */
  head: () => ({ pk: 'CHAIN', sk: 'HEAD' }),
  checkpoint: (treeSize: number) => ({ pk: 'CHECKPOINT', sk: String(treeSize).padStart(16, '0') }),
} as const;

/**
 * The audit table item of an entry draft. The draft is kept whole in `entry` (its
 * canonical members, nulls included); the attributes the indexes use are copied to the
 * top level only when present, because an index key attribute cannot be null.
 */
export function auditDraftItem(draft: AuditEntryDraft, retention?: RetentionPolicy): Record<string, unknown> {
  const timeKey = `${draft.time}#${draft.entryId}`;
  return {
    ...auditKeys.entry(draft.entryId),
    entry: draft,
    event: draft.event,
    timeKey,
    pendingShard: PENDING_SHARD,
    ...(draft.subjectId ? { subjectId: draft.subjectId } : {}),
    ...(draft.serviceOfficeId ? { serviceOfficeId: draft.serviceOfficeId } : {}),
    ...(draft.authorityId ? { authorityId: draft.authorityId } : {}),
    expiresAt: auditExpiry(new Date(draft.time), retention),
  };
}

/** A transaction item that writes an audit draft; it never overwrites one. */
export function putAuditDraft(
  tableName: string,
  draft: AuditEntryDraft,
  retention?: RetentionPolicy,
): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: auditDraftItem(draft, retention),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
