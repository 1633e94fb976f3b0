import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqsLocal, startSqsLocal } from '#local/emulators/sqs-local.ts';

/**
 * The SQS emulator as `npm start` runs it, with a data folder. fauxqs 2.4.1 wrote NULL
 * into a NOT NULL column when a message went back to ready, so a release
 * (ChangeMessageVisibility 0) failed half-way and the message vanished until the next
 * start; patches/fauxqs+2.4.1.patch fixes that, and these tests hold it fixed.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'rex-sqs-local-'));
let sqsLocal: SqsLocal;
let sqs: SQSClient;
let QueueUrl: string;

const start = async (port = 0) => {
  sqsLocal = await startSqsLocal({ port, dataDir, region: 'eu-central-1' });
  sqs?.destroy();
  sqs = new SQSClient({
    endpoint: sqsLocal.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    useQueueUrlAsEndpoint: false,
    maxAttempts: 1,
  });
};
const receive = async (VisibilityTimeout?: number) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        ...(VisibilityTimeout !== undefined ? { VisibilityTimeout } : {}),
      }),
    )
  ).Messages ?? [];

beforeAll(async () => {
  await start();
  const out = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'inbox.fifo',
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '30' },
    }),
  );
  QueueUrl = out.QueueUrl!;
});
afterAll(async () => {
  sqs?.destroy();
  await sqsLocal?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fauxqs with a data folder', () => {
  it('gives a released message back at once, with its receive count', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'first', MessageGroupId: 'g1' }));
    const [message] = await receive(30);
    expect(message?.Body).toBe('first');
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: message!.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await receive(30);
    expect(again.map((m) => m.Body)).toEqual(['first']);
    expect(again[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('keeps queued and in-flight messages across a restart', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'second', MessageGroupId: 'g2' }));
    const port = sqsLocal.port;
    await sqsLocal.stop();
    await start(port);
    // 'first' is still in flight (30 s) from the test above; 'second' is ready.
    expect((await receive(0)).map((m) => m.Body)).toEqual(['second']);
  });
});
