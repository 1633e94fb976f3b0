import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { recordChangeOf } from '#shared/adapters/records/stream.ts';
import { handleRecordChange } from '#shared/application/delivery.ts';

/** Which stream records reach whom: the relay's outbox items, the notifier's mail items, consent changes. */

const REF = `ref_${'0'.repeat(10)}${'a'.repeat(16)}`;
const insert = (item: Record<string, unknown>): DynamoDBRecord =>
  ({
    eventName: 'INSERT',
    dynamodb: { NewImage: marshall(item) as never, Keys: marshall({ pk: item.pk, sk: item.sk }) as never },
  }) as DynamoDBRecord;
const notification = {
  kind: 'new-referral',
  schemaVersion: 1,
  notificationId: `ntf_${REF.slice(4)}_2`,
  referralId: REF,
  serviceOfficeId: 'mbe-caritas-bruchsal',
  at: '2026-03-02T12:00:00.000Z',
};

describe('recordChangeOf', () => {
  it("reads a mail outbox item as a notification, ordered with the referral's other outbox items", () => {
    const found = recordChangeOf(
      insert({ pk: `OUTBOX#${REF}`, sk: 'mail-2', referralId: REF, event: 'mail-2', notification }),
    );
    expect(found).toEqual({
      key: `OUTBOX#${REF}`,
      change: { kind: 'notification', item: { referralId: REF, event: 'mail-2', notification } },
    });
  });

  it("reads an office outbox item as the relay's", () => {
    const found = recordChangeOf(
      insert({ pk: `OUTBOX#${REF}`, sk: 'notify', referralId: REF, event: 'notify', queueName: 'q.fifo' }),
    );
    expect(found?.change).toEqual({
      kind: 'outbox',
      item: { referralId: REF, event: 'notify', queueName: 'q.fifo' },
    });
  });

  it('leaves the notification to the notifier: the relay does nothing with it', async () => {
    const found = recordChangeOf(
      insert({ pk: `OUTBOX#${REF}`, sk: 'mail-2', referralId: REF, event: 'mail-2', notification }),
    )!;
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the relay touched something');
        },
      },
    );
    expect(await handleRecordChange(untouchable as never, found.change)).toEqual({});
  });
});
