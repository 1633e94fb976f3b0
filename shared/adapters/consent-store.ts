import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, recordKeys } from '#shared/adapters/records/keys.ts';
import type { ConsentStore, CreatedResponse, CreatingRequest } from '#shared/application/consents.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentExpiry, type RetentionPolicy, retentionFromEnvironment } from '#shared/domain/retention.ts';
import { putAuditDraft } from './audit-drafts.ts';
import { documentClient } from './aws-clients.ts';
import { commit, commitCreating } from './transactions.ts';

export interface ConsentStoreTables {
  readonly recordsTable: string;
  readonly auditTable: string;
}

/** The attributes that place a consent in the table and its subject index. */
function consentKeys(record: ConsentRecord) {
  return {
    ...recordKeys.consent(record.id),
    ...indexKeys.subject(record.subjectId, `CONSENT#${record.givenAt}#${record.id}`),
  };
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'expiresAt'] as const;

/** The record from its item: the keys dropped, the rest checked against the record schema. */
function recordOf(item: Record<string, unknown>): ConsentRecord {
  const fields: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete fields[key];
  return ConsentRecord.parse(fields);
}

/** Thrown inside `commit` to stop its retries when the consent changed underneath. */
class ConsentChanged extends Error {}

/**
 * Consents in the records table (docs/data-model.md): `CONSENT#<id>` / `CONSENT`, indexed
 * by subject in gsi1 (`SUBJECT#<subjectId>` / `CONSENT#<givenAt>#<id>`). The item holds
 * the ConsentRecord's fields and nothing else, so it carries no personal data; its
 * `version` guards every change. `expiresAt` (TTL) is set once the consent has an end —
 * its validity at recording, its withdrawal — to when its evidence may go
 * (`consentExpiry`: as long as the log entries of the transfers it justified).
 */
export class DynamoConsentStore implements ConsentStore {
  constructor(
    private readonly tables: ConsentStoreTables,
    private readonly retention: RetentionPolicy = retentionFromEnvironment(),
  ) {}

  async get(id: string): Promise<ConsentRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.tables.recordsTable,
        Key: recordKeys.consent(id),
        ConsistentRead: true,
      }),
    );
    return out.Item ? recordOf(out.Item) : undefined;
  }

  async create(
    record: ConsentRecord,
    draft: AuditEntryDraft,
    request: CreatingRequest,
  ): Promise<CreatedResponse> {
    return commitCreating({
      recordsTable: this.tables.recordsTable,
      principal: request.principal,
      idempotencyKey: request.idempotencyKey,
      requestHash: request.requestHash,
      now: request.now,
      items: [
        {
          Put: {
            TableName: this.tables.recordsTable,
            Item: { ...consentKeys(record), ...record, ...this.expiryOf(record) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        putAuditDraft(this.tables.auditTable, draft),
      ],
      response: request.response,
    });
  }

  private expiryOf(record: ConsentRecord): { expiresAt?: number } {
    const expiresAt = consentExpiry(record, this.retention);
    return expiresAt === undefined ? {} : { expiresAt };
  }

  async withdraw(
    previous: ConsentRecord,
    next: ConsentRecord,
    draft: AuditEntryDraft,
  ): Promise<'committed' | 'conflict'> {
    if (next.withdrawnAt === undefined || next.withdrawnBy === undefined) {
      throw new TypeError('A withdrawal must set withdrawnAt and withdrawnBy.');
    }
    const values: Record<string, unknown> = {
      ':withdrawnAt': next.withdrawnAt,
      ':withdrawnBy': next.withdrawnBy,
      ':version': next.version,
      ':expected': previous.version,
    };
    const set = ['withdrawnAt = :withdrawnAt', 'withdrawnBy = :withdrawnBy', '#version = :version'];
    const { expiresAt } = this.expiryOf(next);
    if (expiresAt !== undefined) {
      set.push('expiresAt = :expiresAt');
      values[':expiresAt'] = expiresAt;
    }
    if (next.withdrawalReason !== undefined) {
      set.push('withdrawalReason = :withdrawalReason');
      values[':withdrawalReason'] = next.withdrawalReason;
    }
    try {
      await commit(
        [
          {
            Update: {
              TableName: this.tables.recordsTable,
              Key: recordKeys.consent(previous.id),
              UpdateExpression: `SET ${set.join(', ')}`,
              ConditionExpression: '#version = :expected AND attribute_not_exists(withdrawnAt)',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: values,
            },
          },
          putAuditDraft(this.tables.auditTable, draft),
        ],
        (failure) => (failure.index === 0 ? new ConsentChanged() : undefined),
      );
      return 'committed';
    } catch (error) {
      // Changed underneath, or still contended after commit's own retries: the caller
      // re-reads and decides again.
      if (error instanceof ConsentChanged || error instanceof TransactionCanceledException) return 'conflict';
      throw error;
    }
  }

  async serviceHoldsReferralUnder(consent: ConsentRecord, officeId: string): Promise<boolean> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await documentClient().send(
        new QueryCommand({
          TableName: this.tables.recordsTable,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
          FilterExpression: 'consentId = :consentId AND serviceOfficeId = :officeId',
          ExpressionAttributeValues: {
            ':pk': indexKeys.subject(consent.subjectId, '').gsi1pk,
            ':prefix': 'REFERRAL#',
            ':consentId': consent.id,
            ':officeId': officeId,
          },
          ProjectionExpression: 'pk',
          ExclusiveStartKey: startKey,
        }),
      );
      if ((out.Items ?? []).length > 0) return true;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return false;
  }
}
