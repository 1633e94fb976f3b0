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
        'SET #keySet = :keySet, #version = :next, #updatedAt = :now, gsi1pk = :list, gsi1sk = :entry REMOVE expiresAt',
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
 * from gsi1 (`indexKeys.officeState`, whose sort key tells a marked one), marked and
 * unmarked by UpdateItem — `expiresAt` and the sort key together.
 */
export class DynamoOfficeStateRetention implements OfficeStateRetention {
  constructor(private readonly recordsTable: string) {}

  async list(): Promise<{ officeId: string; expiring: boolean }[]> {
    const items = await queryAll((c) => documentClient().send(c), {
      TableName: this.recordsTable,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': OFFICE_STATES },
    });
    return items
      .filter((i) => typeof i.pk === 'string' && i.pk.startsWith('OFFICE#'))
      .map((i) => ({
        officeId: String(i.pk).slice('OFFICE#'.length),
        expiring: String(i.gsi1sk).startsWith('EXPIRING#'),
      }));
  }

  async expire(officeId: string, expiresAt: number): Promise<void> {
    await this.update(officeId, 'SET expiresAt = :at, gsi1sk = :marked', 'gsi1sk = :plain', {
      ':at': expiresAt,
      ':marked': indexKeys.officeState(officeId, true).gsi1sk,
      ':plain': indexKeys.officeState(officeId).gsi1sk,
    });
  }

  async keep(officeId: string): Promise<void> {
    await this.update(officeId, 'SET gsi1sk = :plain REMOVE expiresAt', 'attribute_exists(pk)', {
      ':plain': indexKeys.officeState(officeId).gsi1sk,
    });
  }

  /** A failed condition means there is nothing to do: the item is gone or changed meanwhile. */
  private async update(
    officeId: string,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
  ) {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.recordsTable,
          Key: recordKeys.officeState(officeId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
