import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, OFFICE_STATES, recordKeys } from '#shared/adapters/records/keys.ts';
import {
  type OfficeKeyState,
  type OfficeKeysRepository,
  StaleKeySetVersion,
} from '#shared/application/office-keys.ts';
import type { OfficeStateRetention } from '#shared/application/retention.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { emptyKeySet, type OfficeKeySet, OfficeKeySetSchema } from '#shared/domain/crypto/key-set.ts';
import { putAuditDraft } from './audit-drafts.ts';
import { documentClient } from './aws-clients.ts';
import { queryAll } from './paged-query.ts';
import { commit, type TransactItem } from './transactions.ts';

export interface OfficeStateTables {
  readonly recordsTable: string;
  readonly auditTable: string;
}

/**
 * Reads an office's state item with a consistent read, so that a key published a
 * moment ago is seen. An office without the item has an empty key set.
 */
export async function getOfficeState(officeId: string, recordsTable: string): Promise<OfficeKeyState> {
  const { Item } = await documentClient().send(
    new GetCommand({
      TableName: recordsTable,
      Key: recordKeys.officeState(officeId),
      ConsistentRead: true,
      ProjectionExpression: 'keySet, version, keysUpdatedAt',
    }),
  );
  const keySet = Item?.keySet === undefined ? emptyKeySet : OfficeKeySetSchema.parse(Item.keySet);
  return {
    officeId,
    keySet,
    version: typeof Item?.version === 'number' ? Item.version : 0,
    keysUpdatedAt: typeof Item?.keysUpdatedAt === 'string' ? Item.keysUpdatedAt : null,
  };
}

/** The transaction item that writes a new key set if the stored version is still `expectedVersion`. */
export function updateKeySetItem(
  recordsTable: string,
  officeId: string,
  keySet: OfficeKeySet,
  expectedVersion: number,
  now: Date,
): TransactItem {
  return {
    Update: {
      TableName: recordsTable,
      Key: recordKeys.officeState(officeId),
      UpdateExpression:
        'SET #keySet = :keySet, #version = :next, #updatedAt = :now, gsi1pk = :list, gsi1sk = :entry',
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
      ExpressionAttributeNames: { '#keySet': 'keySet', '#version': 'version', '#updatedAt': 'keysUpdatedAt' },
      ExpressionAttributeValues: {
        ':keySet': keySet,
        ':next': expectedVersion + 1,
        ':now': now.toISOString(),
        ':list': indexKeys.officeState(officeId).gsi1pk,
        ':entry': indexKeys.officeState(officeId).gsi1sk,
        ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
      },
    },
  };
}

/**
 * Writes a changed key set and the audit draft of the change in one transaction.
 * Throws StaleKeySetVersion when the version condition fails.
 */
export async function saveKeySet(
  tables: OfficeStateTables,
  officeId: string,
  keySet: OfficeKeySet,
  expectedVersion: number,
  audit: AuditEntryDraft,
  now: Date,
): Promise<void> {
  await commit(
    [
      updateKeySetItem(tables.recordsTable, officeId, keySet, expectedVersion, now),
      putAuditDraft(tables.auditTable, audit),
    ],
    (failure) => (failure.index === 0 ? new StaleKeySetVersion() : undefined),
  );
}

/**
 * The office state item (`OFFICE#<officeId>` / `STATE`, docs/data-model.md). Key
 * publication owns `keySet`, `version` and `keysUpdatedAt`; intake keeps its own
 * counters on the same item. Writers therefore change only their own attributes
 * (UpdateExpression), never the whole item.
 */
export class DynamoOfficeKeysRepository implements OfficeKeysRepository {
  constructor(private readonly tables: OfficeStateTables) {}
  getState(officeId: string): Promise<OfficeKeyState> {
    return getOfficeState(officeId, this.tables.recordsTable);
  }
  save(officeId: string, keySet: OfficeKeySet, expectedVersion: number, audit: AuditEntryDraft, now: Date) {
    return saveKeySet(this.tables, officeId, keySet, expectedVersion, audit, now);
  }
}

/**
 * The retention job's view of the office states (shared/application/retention.ts): listed
 * from gsi1 (`indexKeys.officeState`), marked and unmarked with `expiresAt` by UpdateItem.
 */
export class DynamoOfficeStateRetention implements OfficeStateRetention {
  constructor(private readonly recordsTable: string) {}

  async officeIds(): Promise<string[]> {
    const items = await queryAll((c) => documentClient().send(c), {
      TableName: this.recordsTable,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': OFFICE_STATES },
    });
    return items
      .map((i) => i.pk)
      .filter((pk): pk is string => typeof pk === 'string' && pk.startsWith('OFFICE#'))
      .map((pk) => pk.slice('OFFICE#'.length));
  }

  async expire(officeId: string, expiresAt: number): Promise<void> {
    await documentClient()
      .send(
        new UpdateCommand({
          TableName: this.recordsTable,
          Key: recordKeys.officeState(officeId),
          UpdateExpression: 'SET expiresAt = if_not_exists(expiresAt, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': expiresAt },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async keep(officeId: string): Promise<boolean> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.recordsTable,
          Key: recordKeys.officeState(officeId),
          UpdateExpression: 'REMOVE expiresAt',
          ConditionExpression: 'attribute_exists(expiresAt)',
        }),
      );
      return true;
    } catch (error) {
      ignoreConditionFailed(error);
      return false;
    }
  }
}

/** A condition that failed means there was nothing to do (the item is gone, or not marked). */
function ignoreConditionFailed(error: unknown): void {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
}
