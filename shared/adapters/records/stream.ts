import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { RecordChange } from '#shared/application/delivery.ts';
import type { AuthorityEvent } from '#shared/domain/referral/events.ts';
import type { OfficeNotification } from '#shared/domain/referral/notification.ts';

const image = (r: DynamoDBRecord, which: 'NewImage' | 'OldImage') => {
  const raw = r.dynamodb?.[which];
  return raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;
};

/**
 * A record of the records table's stream as the relay's application sees it, with the
 * key that orders it (records about one referral, or one consent, keep their stream
 * order); undefined for records the relay ignores. The item layout (records/keys.ts) is
 * known here and nowhere else.
 */
export function recordChangeOf(record: DynamoDBRecord): { key: string; change: RecordChange } | undefined {
  const next = image(record, 'NewImage');
  const pk = typeof next?.pk === 'string' ? next.pk : '';
  if (record.eventName === 'INSERT' && pk.startsWith('OUTBOX#')) {
    // Written by the referral repository only (notificationPut), from the domain's notification.
    if (typeof next?.notification === 'object' && next.notification !== null) {
      return {
        key: pk,
        change: {
          kind: 'notification',
          item: {
            referralId: String(next.referralId),
            event: String(next.event),
            notification: next.notification as OfficeNotification,
          },
        },
      };
    }
    return {
      key: pk,
      change: {
        kind: 'outbox',
        item: {
          referralId: String(next?.referralId),
          event: String(next?.event),
          queueName: String(next?.queueName),
          // Written by the referral repository only (eventPut), from the domain's event.
          ...(typeof next?.message === 'object' && next.message !== null
            ? { message: next.message as AuthorityEvent }
            : {}),
        },
      },
    };
  }
  if (record.eventName === 'MODIFY' && pk.startsWith('CONSENT#')) {
    const previous = image(record, 'OldImage');
    return {
      key: pk,
      change: {
        kind: 'consent',
        consentId: String(next?.id),
        subjectId: String(next?.subjectId),
        withdrawnBefore: previous?.withdrawnAt !== undefined,
        withdrawnAfter: next?.withdrawnAt !== undefined,
        ...(typeof next?.withdrawnBy === 'string' ? { withdrawnBy: next.withdrawnBy } : {}),
      },
    };
  }
  return undefined;
}
