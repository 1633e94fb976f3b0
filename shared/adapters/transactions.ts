import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { recordKeys } from '#shared/adapters/records/keys.ts';
import { type IdempotencyRecord, replay, type StoredAnswer } from '#shared/domain/idempotency.ts';
import { idempotencyExpiry } from '#shared/domain/retention.ts';
import { documentClient } from './aws-clients.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Why an item's condition failed, with the item as it was (ReturnValuesOnConditionCheckFailure). */
export interface FailedCondition {
  readonly index: number;
  readonly code: string;
  readonly item: Record<string, unknown> | undefined;
}

export interface CreatingWrite<A extends StoredAnswer = StoredAnswer> {
  readonly recordsTable: string;
  readonly principal: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly now: Date;
  /** The state change: every item of it commits together with the idempotency record. */
  readonly items: readonly TransactItem[];
  readonly response: A;
  /**
   * Maps a failed condition of one of `items` to a domain error (e.g. an open referral
   * exists). Return undefined to treat it as a conflict worth retrying.
   */
  readonly onConditionFailed?: (failure: FailedCondition) => Error | undefined;
}

const MAX_ATTEMPTS = 6;

function reasonsOf(error: TransactionCanceledException): FailedCondition[] {
  return (error.CancellationReasons ?? []).map((r, index) => ({
    index,
    code: r.Code ?? 'None',
    item: r.Item ? unmarshall(r.Item as never) : undefined,
  }));
}

/**
 * Commits a creating request in one TransactWriteItems: its state change plus the
 * idempotency record of (principal, key), written only if none exists. Exactly one of
 * any number of concurrent identical requests commits; the others find the winner's
 * record in the cancellation reasons (no extra read) and answer what it answered.
 * There is no "in progress" state that could get stuck: the record exists exactly when
 * the effect does.
 */
export async function commitCreating<A extends StoredAnswer>(
  write: CreatingWrite<A>,
): Promise<A & { replayed: boolean }> {
  const idempotencyItem: TransactItem = {
    Put: {
      TableName: write.recordsTable,
      Item: {
        ...recordKeys.idempotency(write.principal, write.idempotencyKey),
        requestHash: write.requestHash,
        ...write.response,
        createdAt: write.now.toISOString(),
        expiresAt: idempotencyExpiry(write.now),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const items = [...write.items, idempotencyItem];
  const idempotencyIndex = items.length - 1;

  for (let attempt = 1; ; attempt++) {
    try {
      await documentClient().send(new TransactWriteCommand({ TransactItems: items }));
      return { ...write.response, replayed: false };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = reasonsOf(error);
      const previous = reasons[idempotencyIndex];
      if (previous?.code === 'ConditionalCheckFailed' && previous.item) {
        // The winner answered the same request (same fingerprint), so the same kind of answer.
        const answer = replay(previous.item as unknown as IdempotencyRecord, write.requestHash) as A;
        return { ...answer, replayed: true };
      }
      for (const failure of reasons) {
        if (failure.code !== 'ConditionalCheckFailed' || failure.index === idempotencyIndex) continue;
        const mapped = write.onConditionFailed?.(failure);
        if (mapped) throw mapped;
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
      // A conflicting concurrent transaction: back off with jitter and try again.
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
    }
  }
}

/** Commits a state change that creates nothing (no idempotency record), retrying conflicts. */
export async function commit(
  items: readonly TransactItem[],
  onConditionFailed?: (failure: FailedCondition) => Error | undefined,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await documentClient().send(new TransactWriteCommand({ TransactItems: [...items] }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      for (const failure of reasonsOf(error)) {
        if (failure.code !== 'ConditionalCheckFailed') continue;
        const mapped = onConditionFailed?.(failure);
        if (mapped) throw mapped;
      }
      if (attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
    }
  }
}
