import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DiscardedBatch,
  firstFailedIndex,
  StreamCheckpoint,
  type StreamHandler,
  type StreamPoller,
  startStreamPoller,
} from '#local/stream-poller.ts';
import { recordsTable } from '#shared/resources.ts';
import { REGION, useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Polls for an outcome until a deadline; DynamoDB Local can take about a second to show records. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let tableCount = 0;
/** A fresh table per test (the records table's definition and stream), so no test sees another's records. */
async function freshTable(): Promise<string> {
  const suffix = `records-${++tableCount}`;
  await emu.createTables([{ ...recordsTable, suffix }]);
  return `rex-${emu.stage}-${suffix}`;
}

const put = (table: string, pk: string, sk: string, extra: Record<string, { S: string }> = {}) =>
  emu.dynamodb.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: sk }, ...extra } }),
  );

let streams: DynamoDBStreamsClient;
beforeAll(() => {
  streams = new DynamoDBStreamsClient({ endpoint: emu.dynamodbEndpoint, region: REGION, credentials });
});
afterAll(() => streams.destroy());

/** Reads the stream directly (not through the poller) until it shows `count` records. */
async function waitForStreamRecords(streamArn: string, count: number): Promise<void> {
  await eventually(async () => {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    let seen = 0;
    for (const shard of description.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        seen += out.Records?.length ?? 0;
        if ((out.Records?.length ?? 0) === 0) break;
        iterator = out.NextShardIterator;
      }
    }
    return seen >= count;
  }, `${count} records in the stream`);
}

const sk = (record: DynamoDBRecord) => record.dynamodb?.Keys?.sk?.S ?? '?';

const pollers: StreamPoller[] = [];
async function poller(options: Omit<Parameters<typeof startStreamPoller>[0], 'client' | 'functionName'>) {
  const lines: string[] = [];
  const started = await startStreamPoller({
    client: { endpoint: emu.dynamodbEndpoint },
    functionName: 'rex-test-outbox-relay',
    pollIntervalMs: 20,
    retryBackoffMs: 10,
    log: (line) => lines.push(line),
    ...options,
  });
  pollers.push(started);
  return { poller: started, lines };
}
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

describe('startStreamPoller against DynamoDB Local', () => {
  it('delivers PutItem, TransactWriteItems, updates and deletes in order per key, shaped as Lambda sends them', async () => {
    const table = await freshTable();
    const events: DynamoDBStreamEvent[] = [];
    const contexts: Context[] = [];
    const { poller: p } = await poller({
      tableName: table,
      batchSize: 3,
      handler: async (event, context) => {
        events.push(event);
        contexts.push(context);
      },
    });

    await emu.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'a' }, sk: { S: '1' }, blob: { B: new Uint8Array([1, 2, 3]) }, n: { N: '7' } },
      }),
    );
    await emu.dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: { S: 'a' }, sk: { S: '2' } } } },
          { Put: { TableName: table, Item: { pk: { S: 'b' }, sk: { S: '1' } } } },
        ],
      }),
    );
    await emu.dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'a' }, sk: { S: '1' } },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '8' } },
      }),
    );
    await emu.dynamodb.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'b' }, sk: { S: '1' } } }),
    );

    const records = () => events.flatMap((e) => e.Records);
    await eventually(() => records().length === 5, 'five records delivered');
    await p.drained();
    expect(records()).toHaveLength(5);
    expect(events.every((e) => e.Records.length <= 3)).toBe(true);

    // Order: the stream's order, per key and overall.
    const sequence = records().map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0'));
    expect(sequence).toEqual([...sequence].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(records().map((r) => `${r.eventName} ${r.dynamodb?.Keys?.pk?.S}/${sk(r)}`)).toEqual([
      'INSERT a/1',
      'INSERT a/2',
      'INSERT b/1',
      'MODIFY a/1',
      'REMOVE b/1',
    ]);

    const [first, , , modify, remove] = records();
    expect(first).toMatchObject({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: expect.any(String),
      eventSource: 'aws:dynamodb',
      awsRegion: expect.any(String),
      eventSourceARN: p.streamArn,
      dynamodb: {
        Keys: { pk: { S: 'a' }, sk: { S: '1' } },
        // Binary arrives base64-encoded, as in Lambda's JSON event.
        NewImage: { pk: { S: 'a' }, sk: { S: '1' }, blob: { B: 'AQID' }, n: { N: '7' } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    const created = first?.dynamodb?.ApproximateCreationDateTime;
    expect(Number.isInteger(created)).toBe(true);
    expect(Math.abs((created ?? 0) - Date.now() / 1000)).toBeLessThan(600);
    expect(first?.dynamodb).not.toHaveProperty('OldImage');
    expect(modify?.dynamodb?.OldImage?.n).toEqual({ N: '7' });
    expect(modify?.dynamodb?.NewImage?.n).toEqual({ N: '8' });
    expect(remove?.dynamodb?.OldImage?.pk).toEqual({ S: 'b' });
    expect(remove?.dynamodb).not.toHaveProperty('NewImage');
    expect(p.streamArn).toMatch(new RegExp(`table/${table}/stream/`));
    expect(contexts[0]?.functionName).toBe('rex-test-outbox-relay');
    expect(contexts[0]?.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('redelivers the first reported failure and the records after it, never the ones before', async () => {
    const table = await freshTable();
    for (const key of ['1', '2', '3', '4', '5']) await put(table, 'p', key);
    const deliveries: string[][] = [];
    let failedOnce = false;
    const { poller: p, lines } = await poller({
      tableName: table,
      batchSize: 10,
      handler: async (event) => {
        deliveries.push(event.Records.map(sk));
        const third = event.Records.find((r) => sk(r) === '3');
        if (!failedOnce && third) {
          failedOnce = true;
          // Reported out of order on purpose: the poller must resume at the earliest one.
          const fourth = event.Records.find((r) => sk(r) === '4');
          return {
            batchItemFailures: [fourth, third].map((r) => ({
              itemIdentifier: r?.dynamodb?.SequenceNumber ?? '',
            })),
          };
        }
        return { batchItemFailures: [] };
      },
    });
    await waitForStreamRecords(p.streamArn, 5);

    await eventually(() => deliveries.flat().filter((k) => k === '5').length >= 2, 'the redelivery');
    await p.drained();
    expect(deliveries).toEqual([
      ['1', '2', '3', '4', '5'],
      ['3', '4', '5'],
    ]);
    expect(lines.some((l) => l.includes('reported failed records'))).toBe(true);
  });

  it('retries a throwing handler, then skips the batch after maxRetries and goes on', async () => {
    const table = await freshTable();
    const attempts: string[][] = [];
    const discarded: DiscardedBatch[] = [];
    const errors: unknown[] = [];
    const { poller: p, lines } = await poller({
      tableName: table,
      maxRetries: 2,
      handler: async (event) => {
        attempts.push(event.Records.map(sk));
        if (event.Records.some((r) => sk(r) === 'poison')) throw new TypeError('cannot relay');
      },
      onDiscard: (batch) => discarded.push(batch),
      onError: (error) => errors.push(error),
    });

    await put(table, 'p', 'poison', { name: { S: 'Erika Mustermann' } });
    await eventually(() => discarded.length === 1, 'the batch to be given up');
    await put(table, 'p', 'after');
    await eventually(() => attempts.some((a) => a.includes('after')), 'the next record');
    await p.drained();

    expect(attempts.filter((a) => a.includes('poison'))).toHaveLength(3);
    expect(attempts.at(-1)).toEqual(['after']);
    expect(discarded[0]).toMatchObject({
      streamArn: p.streamArn,
      shardId: expect.any(String),
      startSequenceNumber: expect.stringMatching(/^\d+$/),
      batchSize: 1,
      attempts: 3,
      reason: 'TypeError',
    });
    expect(discarded[0]?.endSequenceNumber).toBe(discarded[0]?.startSequenceNumber);
    expect(errors.filter((e) => e instanceof TypeError)).toHaveLength(3);
    expect(lines.filter((l) => l.includes('batch discarded'))).toHaveLength(1);
    // Log lines carry positions and error names only, never what a record holds.
    expect(lines.join('\n')).not.toMatch(/Erika|Mustermann|cannot relay|poison/);
  });

  it('continues after the checkpoint when restarted, without redelivering processed records', async () => {
    const table = await freshTable();
    const dir = await mkdtemp(join(tmpdir(), 'rex-checkpoint-'));
    // A folder that does not exist yet: the poller creates it.
    const checkpointFile = join(dir, 'checkpoints', 'outbox-relay.json');
    try {
      const firstRun: string[] = [];
      const first = await poller({
        tableName: table,
        checkpointFile,
        handler: async (event) => {
          firstRun.push(...event.Records.map(sk));
        },
      });
      for (const key of ['1', '2', '3']) await put(table, 'p', key);
      await eventually(() => firstRun.length === 3, 'the first run');
      await first.poller.drained();
      await first.poller.stop();

      const saved = StreamCheckpoint.parse(JSON.parse(await readFile(checkpointFile, 'utf8')));
      expect(saved.streamArn).toBe(first.poller.streamArn);
      expect(Object.values(saved.shards).map((s) => s.sequenceNumber)).toContainEqual(
        expect.stringMatching(/^\d+$/),
      );

      for (const key of ['4', '5']) await put(table, 'p', key);
      const secondRun: string[] = [];
      const second = await poller({
        tableName: table,
        checkpointFile,
        handler: async (event) => {
          secondRun.push(...event.Records.map(sk));
        },
      });
      await eventually(() => secondRun.length >= 2, 'the second run');
      await second.poller.drained();
      expect(firstRun).toEqual(['1', '2', '3']);
      expect(secondRun).toEqual(['4', '5']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops promptly, lets an in-flight call finish and calls the handler no more', async () => {
    const table = await freshTable();
    const calls: { sk: string[]; finished: boolean }[] = [];
    const { poller: p } = await poller({
      tableName: table,
      pollIntervalMs: 60_000,
      shardDiscoveryIntervalMs: 60_000,
      handler: async (event) => {
        const call = { sk: event.Records.map(sk), finished: false };
        calls.push(call);
        await new Promise((r) => setTimeout(r, 300));
        call.finished = true;
      },
    });
    await put(table, 'p', '1');
    await eventually(() => calls.length === 1, 'the handler to be called');

    const started = Date.now();
    await p.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls[0]?.finished).toBe(true);

    // The record is in the stream, yet no call follows.
    await put(table, 'p', '2');
    await waitForStreamRecords(p.streamArn, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toHaveLength(1);
    await expect(p.drained()).rejects.toThrow(/stopped/);
  });

  it('answers drained() and stops without waiting out the poll interval', async () => {
    const table = await freshTable();
    const { poller: p } = await poller({
      tableName: table,
      pollIntervalMs: 60_000,
      shardDiscoveryIntervalMs: 60_000,
      handler: async () => undefined,
    });
    await put(table, 'p', '1');
    // drained() cuts the idle waits short, also when called while a read is under way.
    const drainStarted = Date.now();
    for (let i = 0; i < 10; i++) {
      const first = p.drained();
      await new Promise((r) => setTimeout(r, i % 3));
      await Promise.all([first, p.drained()]);
    }
    expect(Date.now() - drainStarted).toBeLessThan(10_000);
    const started = Date.now();
    await p.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a table without a stream', async () => {
    const suffix = 'no-stream';
    const { stream: _, ...withoutStream } = recordsTable;
    await emu.createTables([{ ...withoutStream, suffix }]);
    const handler: StreamHandler = async () => undefined;
    await expect(
      startStreamPoller({
        client: { endpoint: emu.dynamodbEndpoint },
        tableName: `rex-${emu.stage}-${suffix}`,
        functionName: 'f',
        handler,
      }),
    ).rejects.toThrow(/has no stream/);
  });
});

describe('firstFailedIndex (how Lambda reads ReportBatchItemFailures)', () => {
  const batch = ['10', '11', '12'];
  it('takes no response, an empty or missing list as success', () => {
    expect(firstFailedIndex(batch, undefined)).toBeUndefined();
    expect(firstFailedIndex(batch, null)).toBeUndefined();
    expect(firstFailedIndex(batch, {})).toBeUndefined();
    expect(firstFailedIndex(batch, { batchItemFailures: [] })).toBeUndefined();
  });
  it('returns the earliest failed record', () => {
    expect(
      firstFailedIndex(batch, { batchItemFailures: [{ itemIdentifier: '12' }, { itemIdentifier: '11' }] }),
    ).toBe(1);
  });
  it('fails the whole batch for an empty, missing or unknown identifier', () => {
    expect(firstFailedIndex(batch, { batchItemFailures: [{ itemIdentifier: '' }] })).toBe(0);
    expect(firstFailedIndex(batch, { batchItemFailures: [{}] })).toBe(0);
    expect(
      firstFailedIndex(batch, { batchItemFailures: [{ itemIdentifier: '99' }, { itemIdentifier: '12' }] }),
    ).toBe(0);
  });
});

/**
 * A scripted streams endpoint for what DynamoDB Local cannot be made to do on demand:
 * shards that close and split over time, expired iterators and an endpoint that fails.
 */
interface ScriptedShard {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly sequenceNumbers: string[];
  closed: boolean;
}

function scriptedStreams() {
  const streamArn =
    'arn:aws:dynamodb:eu-central-1:000000000000:table/scripted/stream/2026-03-02T08:00:00.000';
  const shards: ScriptedShard[] = [];
  /** Targets (e.g. 'GetRecords') and how to fail them, taken one per request. */
  const failures: { target: string; kind: 'expired' | 'server' }[] = [];
  let next = 0;
  const seq = (n: number) => String(n).padStart(21, '0');
  const iterator = (shardId: string, position: number) =>
    Buffer.from(JSON.stringify([shardId, position])).toString('base64');

  const answer = (target: string, input: Record<string, unknown>): [number, unknown] => {
    const failure = failures.findIndex((f) => f.target === target);
    if (failure >= 0) {
      const kind = failures.splice(failure, 1)[0]!.kind;
      return kind === 'expired'
        ? [400, { __type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException', message: 'expired' }]
        : [500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'unavailable' }];
    }
    switch (target) {
      case 'DescribeTable':
        return [
          200,
          {
            Table: {
              TableName: input.TableName,
              LatestStreamArn: streamArn,
              StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
            },
          },
        ];
      case 'DescribeStream':
        return [
          200,
          {
            StreamDescription: {
              StreamArn: streamArn,
              StreamStatus: 'ENABLED',
              Shards: shards.map((s) => ({
                ShardId: s.shardId,
                ...(s.parentShardId ? { ParentShardId: s.parentShardId } : {}),
                SequenceNumberRange: { StartingSequenceNumber: s.sequenceNumbers[0] ?? seq(0) },
              })),
            },
          },
        ];
      case 'GetShardIterator': {
        const shard = shards.find((s) => s.shardId === input.ShardId)!;
        const at = shard.sequenceNumbers.indexOf(String(input.SequenceNumber));
        const position =
          input.ShardIteratorType === 'TRIM_HORIZON'
            ? 0
            : input.ShardIteratorType === 'AT_SEQUENCE_NUMBER'
              ? at
              : at + 1;
        return [200, { ShardIterator: iterator(shard.shardId, position) }];
      }
      case 'GetRecords': {
        const [shardId, position] = JSON.parse(
          Buffer.from(String(input.ShardIterator), 'base64').toString(),
        ) as [string, number];
        const shard = shards.find((s) => s.shardId === shardId)!;
        const taken = shard.sequenceNumbers.slice(position, position + Number(input.Limit));
        const end = position + taken.length;
        const closedAndRead = shard.closed && end >= shard.sequenceNumbers.length;
        return [
          200,
          {
            Records: taken.map((sequenceNumber) => ({
              eventID: `e${sequenceNumber}`,
              eventName: 'INSERT',
              eventVersion: '1.1',
              eventSource: 'aws:dynamodb',
              awsRegion: 'eu-central-1',
              dynamodb: {
                ApproximateCreationDateTime: 1772438400.5,
                Keys: { pk: { S: `k${Number(sequenceNumber)}` } },
                SequenceNumber: sequenceNumber,
                SizeBytes: 10,
                StreamViewType: 'NEW_AND_OLD_IMAGES',
              },
            })),
            ...(closedAndRead ? {} : { NextShardIterator: iterator(shardId, end) }),
          },
        ];
      }
      default:
        return [
          400,
          { __type: 'com.amazonaws.dynamodb.v20120810#UnknownOperationException', message: target },
        ];
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const [status, body] = answer(target, JSON.parse(Buffer.concat(chunks).toString() || '{}'));
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(body));
    });
  });

  return {
    streamArn,
    shards,
    failures,
    /** Adds a shard holding `count` new records. */
    addShard(shardId: string, count: number, parentShardId?: string): ScriptedShard {
      const shard: ScriptedShard = {
        shardId,
        ...(parentShardId ? { parentShardId } : {}),
        sequenceNumbers: Array.from({ length: count }, () => seq(++next)),
        closed: false,
      };
      shards.push(shard);
      return shard;
    },
    append(shard: ScriptedShard, count: number) {
      for (let i = 0; i < count; i++) shard.sequenceNumbers.push(seq(++next));
    },
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('startStreamPoller against a scripted streams endpoint', () => {
  const keys = (events: DynamoDBStreamEvent[]) =>
    events.flatMap((e) => e.Records.map((r) => r.dynamodb?.Keys?.pk?.S));

  it('reads a parent shard to its end before its child, and follows shards that appear later', async () => {
    const fake = scriptedStreams();
    const endpoint = await fake.listen();
    try {
      const parent = fake.addShard('shard-1', 3);
      parent.closed = true;
      const child = fake.addShard('shard-2', 2, 'shard-1');
      // The child is listed first, as DescribeStream does not promise an order.
      fake.shards.reverse();
      const events: DynamoDBStreamEvent[] = [];
      const { poller: p } = await scriptedPoller(endpoint, async (event) => {
        events.push(event);
      });
      await p.drained();
      expect(keys(events)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
      expect(
        events.every((e) => e.Records.every((r) => r.dynamodb?.ApproximateCreationDateTime === 1772438400)),
      ).toBe(true);

      // The child closes with one more record; a grandchild appears.
      fake.append(child, 1);
      child.closed = true;
      fake.addShard('shard-3', 2, 'shard-2');
      await p.drained();
      expect(keys(events)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']);
    } finally {
      await Promise.all(pollers.splice(0).map((p) => p.stop()));
      await fake.close();
    }
  });

  it('resumes after an expired iterator without redelivering', async () => {
    const fake = scriptedStreams();
    const endpoint = await fake.listen();
    try {
      const shard = fake.addShard('shard-1', 2);
      const events: DynamoDBStreamEvent[] = [];
      const { poller: p } = await scriptedPoller(endpoint, async (event) => {
        events.push(event);
      });
      await p.drained();
      fake.failures.push({ target: 'GetRecords', kind: 'expired' });
      fake.append(shard, 1);
      await p.drained();
      expect(fake.failures).toHaveLength(0);
      expect(keys(events)).toEqual(['k1', 'k2', 'k3']);
    } finally {
      await Promise.all(pollers.splice(0).map((p) => p.stop()));
      await fake.close();
    }
  });

  it('outlasts an endpoint that keeps failing for a while, with one log line per failure', async () => {
    const fake = scriptedStreams();
    const endpoint = await fake.listen();
    try {
      fake.addShard('shard-1', 2);
      const events: DynamoDBStreamEvent[] = [];
      const errors: unknown[] = [];
      // The SDK retries each call three times itself; these outlast that for both calls.
      for (let i = 0; i < 4; i++) fake.failures.push({ target: 'DescribeStream', kind: 'server' });
      for (let i = 0; i < 4; i++) fake.failures.push({ target: 'GetRecords', kind: 'server' });
      const { poller: p, lines } = await scriptedPoller(
        endpoint,
        async (event) => {
          events.push(event);
        },
        (error) => errors.push(error),
      );
      await p.drained();
      expect(keys(events)).toEqual(['k1', 'k2']);
      expect(fake.failures).toHaveLength(0);
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(lines.filter((l) => l.includes('could not be described'))).not.toHaveLength(0);
      expect(lines.filter((l) => l.includes('read failed (InternalServerError)'))).not.toHaveLength(0);
      expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    } finally {
      await Promise.all(pollers.splice(0).map((p) => p.stop()));
      await fake.close();
    }
  });
});

async function scriptedPoller(endpoint: string, handler: StreamHandler, onError?: (error: unknown) => void) {
  const lines: string[] = [];
  const started = await startStreamPoller({
    client: { endpoint },
    tableName: 'scripted',
    handler,
    functionName: 'rex-test-outbox-relay',
    batchSize: 2,
    pollIntervalMs: 20,
    shardDiscoveryIntervalMs: 50,
    retryBackoffMs: 10,
    log: (line) => lines.push(line),
    ...(onError ? { onError } : {}),
  });
  pollers.push(started);
  return { poller: started, lines };
}
