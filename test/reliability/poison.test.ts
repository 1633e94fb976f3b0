import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/lambda-context.ts';
import { useReferralPlatform } from '#test/support/referral-fixture.ts';
import {
  CountingSink,
  handlerReceiptApi,
  MemorySeenStore,
  type OfficeClient,
  pollUntil,
  recordFigures,
  sized,
  sqsInbox,
  withConcurrency,
} from '#test/support/reliability.ts';

/**
 * Promise 3 (docs/reliability.md): poison messages. 5 % malformed or unreadable
 * messages among good referrals in an office's queue: every good one is handled once,
 * every bad one ends in the dead-letter queue after maxReceiveCount (5) receives, no
 * good one does. And the outbox relay, a batch consumer, reports exactly the poisoned
 * record of a stream batch as its partial failure.
 */
const GOOD = sized('REX_POISON_GOOD', 40, 400);
const BAD = Math.max(3, Math.round(GOOD * 0.05));
const TIMEOUT = 60_000 + GOOD * 500;

// A DynamoDB Local of its own: this file writes a lot (docs/reliability.md, findings).
const p = useReferralPlatform({ ownDynamoDb: true });

describe('poison messages', () => {
  it(`${GOOD} good referrals and ${BAD} poison messages: good ones once, bad ones in the DLQ`, {
    timeout: TIMEOUT,
  }, async () => {
    const made = await withConcurrency(
      Array.from({ length: GOOD }, (_, i) => i),
      10,
      () => p.referral('1980-01-15'),
    );
    const officeId = made[0]!.officeId;
    const queueUrl = p.queueUrls.get(officeId)!;
    const bodies = [
      () => 'not json at all {',
      () => JSON.stringify({ hello: 'world' }),
      () =>
        JSON.stringify({
          type: 'referral.notification',
          schemaVersion: 1,
          referralId: `ref_${'0'.repeat(26)}`.slice(0, 30),
          serviceOfficeId: officeId,
          createdAt: new Date().toISOString(),
          jwe: 'eyJhbGciOiJub25lIn0.AAAA.BBBB.CCCC.DDDD',
        }),
    ];
    const poison = new Set<string>();
    for (let i = 0; i < BAD; i++) {
      const out = await p.emu.sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: bodies[i % bodies.length]!(),
          MessageGroupId: `poison-${i}`,
          MessageDeduplicationId: randomUUID(),
        }),
      );
      poison.add(out.MessageId!);
    }

    const client: OfficeClient = {
      officeId,
      queue: sqsInbox(p.emu.sqsEndpoint, queueUrl, officeId),
      api: handlerReceiptApi(() => p.handler('service'), p.emu.stage, officeId),
      sink: new CountingSink(),
      seen: new MemorySeenStore(),
      events: [],
      summaries: [],
    };
    const mine = new Set(made.filter((m) => m.officeId === officeId).map((m) => m.referralId));
    const deadLettered = new Map<string, string>();
    const dlq = p.deadLetterUrls.get(officeId)!;
    const peekDeadLetters = async () => {
      const out = await p.emu.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
        }),
      );
      for (const m of out.Messages ?? []) deadLettered.set(m.MessageId!, m.Body ?? '');
    };
    // Visibility 0 on receive: a message left in the queue comes back at once, so its receive count climbs quickly.
    await pollUntil([client], p.privateKeys, () => [...mine].every((id) => client.sink.writes.has(id)), {
      timeoutMs: TIMEOUT - 20_000,
      visibilityTimeout: 0,
    });
    await peekDeadLetters();
    for (let i = 0; i < 100 && deadLettered.size < BAD; i++) {
      await pollUntil([client], p.privateKeys, () => true, { timeoutMs: 1_000, visibilityTimeout: 0 });
      await peekDeadLetters();
    }

    expect(client.sink.duplicates()).toEqual([]);
    expect([...mine].filter((id) => !client.sink.writes.has(id))).toEqual([]);
    expect(new Set(deadLettered.keys())).toEqual(poison);
    const failures = client.events.filter((e) => e.kind === 'failed');
    expect(failures.every((e) => e.kind === 'failed' && poison.has(e.messageId))).toBe(true);
    (client.queue as { destroy?: () => void }).destroy?.();
    recordFigures('poison', {
      promise: 'Poison messages end in the DLQ; good ones are handled once',
      sizes: { good: mine.size, poison: BAD },
      outcome: {
        goodHandledOnce: [...mine].filter((id) => client.sink.writes.get(id) === 1).length,
        poisonInDeadLetterQueue: deadLettered.size,
        goodInDeadLetterQueue: [...deadLettered.keys()].filter((id) => !poison.has(id)).length,
        failedAttempts: failures.length,
      },
    });
  });

  it('the outbox relay reports exactly the poisoned record of a stream batch', async () => {
    const relay = (await import('#functions/outbox-relay.ts')).handler;
    const record = (seq: string, image: Record<string, unknown>): DynamoDBRecord => ({
      eventID: seq,
      eventName: 'MODIFY',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        SequenceNumber: seq,
        NewImage: image as never,
        OldImage: image as never,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    const harmless = (seq: string) =>
      record(seq, marshall({ pk: `OFFICE#x${seq}`, sk: 'STATE', version: 1 }));
    // An attribute value of no known type: unmarshalling it throws.
    const poisoned = record('200', { pk: { S: 'OUTBOX#ref_x' }, sk: { S: 'notify' }, broken: { ZZ: 'x' } });
    const event: DynamoDBStreamEvent = { Records: [harmless('100'), poisoned, harmless('300')] };
    const response = await relay(event, lambdaContext('OutboxRelayFunction', 'eu-central-1', '000000000000'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '200' }] });
  });
});
