import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { recordChangeOf } from '#shared/adapters/records/stream.ts';
import { deliverNotification } from '#shared/application/notifier.ts';
import { logger } from '#shared/observability.ts';
import { notificationDependencies } from './composition.ts';

/**
 * The office notifier: consumes the records table's stream (in AWS filtered to new
 * `mail-…` outbox items) and mails each office's contact address that a referral waits —
 * on arrival and on each reminder, without personal data (docs/notifications.md). A
 * failed send is reported, so that it (and the records after it) are retried; a retried
 * record whose mail was sent finds its outbox item gone and sends nothing again.
 */
async function recordHandler(record: DynamoDBRecord): Promise<void> {
  const found = recordChangeOf(record);
  if (found?.change.kind !== 'notification') return;
  const { item } = found.change;
  const outcome = await deliverNotification(notificationDependencies(), item);
  logger.info('office notification', {
    referralId: item.referralId,
    notificationId: item.notification.notificationId,
    kind: item.notification.kind,
    serviceOfficeId: item.notification.serviceOfficeId,
    outcome,
  });
}

const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = async (event: DynamoDBStreamEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context });
