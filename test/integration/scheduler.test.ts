import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, ScheduledEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { type Scheduler, scheduledEvent, startScheduler } from '#local/scheduler.ts';
import { type StreamPoller, startStreamPoller } from '#local/stream-poller.ts';
import { recordsTable } from '#shared/resources.ts';
import { ACCOUNT_ID, REGION, useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('scheduled and stream functions together, with real timers and DynamoDB Local', () => {
  it("delivers a scheduled function's writes to the stream consumer, one run at a time", async () => {
    await emu.createTables([recordsTable]);
    const table = `rex-${emu.stage}-records`;

    // The scheduled function: receives EventBridge's event and writes one item per run.
    const events: ScheduledEvent[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const scheduledHandler = async (event: ScheduledEvent) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      events.push(event);
      await emu.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            pk: { S: 'sweep' },
            sk: { S: String(events.length).padStart(3, '0') },
            at: { S: event.time },
          },
        }),
      );
      // Longer than the interval, so that ticks fall on a running job.
      await new Promise((r) => setTimeout(r, 120));
      concurrent--;
    };
    const scheduler: Scheduler = startScheduler({
      log: () => undefined,
      jobs: [
        {
          name: 'rex-test-deadline-sweep',
          everyMs: 50,
          run: (firedAt) =>
            scheduledHandler(scheduledEvent('rex-test-deadline-sweep', REGION, ACCOUNT_ID, firedAt)),
        },
      ],
    });
    running.push(scheduler);

    const delivered: DynamoDBRecord[] = [];
    const poller: StreamPoller = await startStreamPoller({
      client: { endpoint: emu.dynamodbEndpoint },
      tableName: table,
      functionName: 'rex-test-outbox-relay',
      pollIntervalMs: 20,
      handler: async (event) => {
        delivered.push(...event.Records);
      },
    });
    running.push(poller);

    await eventually(() => events.length >= 3, 'three scheduled runs');
    await scheduler.stop();
    const runs = events.length;
    await eventually(() => delivered.length === runs, 'every write on the stream');
    await poller.drained();

    expect(maxConcurrent).toBe(1);
    expect(events[0]).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/rex-test-deadline-sweep`],
    });
    expect(delivered.map((r) => r.dynamodb?.Keys?.sk?.S)).toEqual(
      Array.from({ length: runs }, (_, i) => String(i + 1).padStart(3, '0')),
    );
    expect(delivered.map((r) => r.dynamodb?.NewImage?.at?.S)).toEqual(events.map((e) => e.time));
  });
});
