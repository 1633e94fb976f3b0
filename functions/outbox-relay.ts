import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sqsCourier } from '#shared/adapters/courier.ts';
import { ReferralStore } from '#shared/adapters/referral-store.ts';
import {
  type DeliveryDependencies,
  deliverOutboxItem,
  revokeReferralsOfConsent,
} from '#shared/application/delivery.ts';
import { KeyedOrder } from '#shared/application/keyed-order.ts';
import { queueUrl } from '#shared/config.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { officeById } from '#shared/domain/directory/index.ts';
import { logger } from '#shared/observability.ts';
import { officeQueue } from '#shared/resources.ts';
import { runtimeConfig, runtimeDirectory } from '#shared/runtime.ts';

/**
 * The outbox relay: consumes the records table's stream. New outbox items are delivered
 * to the service office's queue; a consent that became withdrawn revokes the referrals
 * under it that were not received yet. Records about one referral or consent keep their
 * stream order (see below), and a failed record is reported so that it (and those after
 * it) are retried.
 */

let deps: DeliveryDependencies | undefined;
export function dependencies(): DeliveryDependencies {
  if (!deps) {
    const config = runtimeConfig();
    const directory = runtimeDirectory();
    deps = {
      store: new ReferralStore(config),
      courier: sqsCourier,
      clock: systemClock,
      queueUrlFor: (name) => queueUrl(config, name),
      queueNameFor: (officeId) => officeQueue(config.stage, officeById(directory, officeId)!).name,
    };
  }
  return deps;
}

/** Test seam: replace collaborators (e.g. a courier that fails once). */
export function useDependencies(override: Partial<DeliveryDependencies>): void {
  deps = { ...dependencies(), ...override };
}

const image = (r: DynamoDBRecord, which: 'NewImage' | 'OldImage') => {
  const raw = r.dynamodb?.[which];
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
};

/**
 * Records of one batch are handled concurrently, except that records about the same
 * referral (or the same consent) keep their stream order: each waits for the one before
 * it. A delivery is three calls to DynamoDB and SQS; one after another they capped the
 * relay near 50 deliveries a second (docs/performance.md).
 */
const order = new KeyedOrder();

async function recordHandler(record: DynamoDBRecord): Promise<void> {
  const next = image(record, 'NewImage');
  const pk = typeof next?.pk === 'string' ? next.pk : '';
  if (pk.startsWith('OUTBOX#') || pk.startsWith('CONSENT#'))
    return order.run(pk, () => handle(record, next, pk));
}

async function handle(
  record: DynamoDBRecord,
  next: Record<string, unknown> | undefined,
  pk: string,
): Promise<void> {
  if (record.eventName === 'INSERT' && pk.startsWith('OUTBOX#')) {
    logger.info('delivering', { referralId: next?.referralId, event: next?.event });
    await deliverOutboxItem(dependencies(), {
      referralId: String(next?.referralId),
      event: String(next?.event),
      queueName: String(next?.queueName),
    });
    return;
  }
  if (record.eventName === 'MODIFY' && pk.startsWith('CONSENT#')) {
    const previous = image(record, 'OldImage');
    if (next?.withdrawnAt !== undefined && previous?.withdrawnAt === undefined) {
      const revoked = await revokeReferralsOfConsent(dependencies(), {
        id: String(next.id),
        subjectId: String(next.subjectId),
        ...(typeof next.withdrawnBy === 'string' ? { withdrawnBy: next.withdrawnBy } : {}),
      });
      logger.info('consent withdrawn', { consentId: next.id, revoked });
    }
  }
}

const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context, processInParallel: true });
