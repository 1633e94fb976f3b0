import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { recordChangeOf } from '#shared/adapters/records/stream.ts';
import { handleRecordChange } from '#shared/application/delivery.ts';
import { KeyedOrder } from '#shared/application/keyed-order.ts';
import { logger } from '#shared/observability.ts';
import { deliveryDependencies } from './composition.ts';

/**
 * The outbox relay: consumes the records table's stream. New outbox items are delivered
 * to the service office's queue; a consent that became withdrawn revokes the referrals
 * under it that were not received yet. A failed record is reported so that it (and
 * those after it) are retried.
 *
 * Records of one batch are handled concurrently, except that records about the same
 * referral (or the same consent) keep their stream order: each waits for the one before
 * it. A delivery is three calls to DynamoDB and SQS; one after another they capped the
 * relay near 50 deliveries a second (docs/performance.md).
 */
const order = new KeyedOrder();

async function recordHandler(record: DynamoDBRecord): Promise<void> {
  const found = recordChangeOf(record);
  if (!found) return;
  return order.run(found.key, async () => {
    const outcome = await handleRecordChange(deliveryDependencies(), found.change);
    if (outcome.delivered) {
      logger.info('delivered', { referralId: outcome.delivered.referralId, event: outcome.delivered.event });
    }
    if (outcome.revoked !== undefined && found.change.kind === 'consent') {
      logger.info('consent withdrawn', {
        consentId: found.change.consentId,
        revoked: outcome.revoked,
        erasureRequested: outcome.erasure?.erasureRequested ?? 0,
        ciphertextsDeleted: outcome.erasure?.ciphertextsDeleted ?? 0,
      });
    }
  });
}

const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context, processInParallel: true });
