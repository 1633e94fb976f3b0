import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
  type _Record as StreamApiRecord,
  type AttributeValue as StreamAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  StreamRecord,
} from 'aws-lambda';
import * as z from 'zod';
import { lambdaContext } from './lambda-context.ts';

/** The signature of a stream-triggered function (aws-lambda's DynamoDBStreamHandler, minus the callback). */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
  // biome-ignore lint/suspicious/noConfusingVoidType: the same return type as aws-lambda's DynamoDBStreamHandler
) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerConnection {
  /** The DynamoDB Local endpoint; both the table and the streams API are served there. */
  readonly endpoint?: string;
  /** Default: eu-central-1. */
  readonly region?: string;
  /** Default with an endpoint: the emulator's dummy credentials. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

/**
 * What AWS sends to the event source mapping's on-failure destination when a batch is
 * given up (the DDBStreamBatchInfo block): positions only, never the records.
 */
export interface DiscardedBatch {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly attempts: number;
  /** The name of the error, or 'BatchItemFailures' when the handler reported failed records. */
  readonly reason: string;
}

export interface StreamPollerOptions {
  readonly client?: StreamPollerConnection;
  readonly tableName: string;
  readonly handler: StreamHandler;
  /** The function's name, for the Lambda context and log lines. */
  readonly functionName: string;
  /** Records per invocation at most. Default 100 (the event source mapping's default). */
  readonly batchSize?: number;
  /** The wait after a read that returned no records. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** How often the stream is described to find new shards. Default 1,000 ms. */
  readonly shardDiscoveryIntervalMs?: number;
  /** Retries of a failing batch before it is skipped (MaximumRetryAttempts). Default 5. */
  readonly maxRetries?: number;
  /** The first backoff after a failure; it doubles up to maxBackoffMs. Default 200 ms. */
  readonly retryBackoffMs?: number;
  /** Default 5,000 ms. */
  readonly maxBackoffMs?: number;
  /** Persist positions here (JSON) so that a restart goes on where it stopped; absent: start at TRIM_HORIZON. */
  readonly checkpointFile?: string;
  /** The account in the Lambda context's function ARN. Default 000000000000. */
  readonly accountId?: string;
  /** Called with every error the poller meets (reads, handler, checkpoint writes), after its log line. */
  readonly onError?: (error: unknown) => void;
  /** Called when a batch is given up; the local stand-in for the on-failure destination. */
  readonly onDiscard?: (batch: DiscardedBatch) => void;
  /** Where the one-line log messages go. Default console.error. */
  readonly log?: (line: string) => void;
}

export interface StreamPoller {
  readonly streamArn: string;
  /** Ends all loops promptly; resolves once an in-flight handler call has finished. */
  stop(): Promise<void>;
  /**
   * Resolves when, after this call, every shard has been read up to its current end (a read
   * returned no records, or the shard is closed and done) and no batch is in flight.
   * Rejects if the poller is stopped first.
   */
  drained(): Promise<void>;
}

/** The checkpoint file: the last processed sequence number per shard of one stream. */
export const StreamCheckpoint = z.strictObject({
  streamArn: z.string().min(1),
  shards: z.record(
    z.string(),
    z.strictObject({
      sequenceNumber: z.string().regex(/^\d+$/).optional(),
      /** The shard is closed and was read to its end. */
      finished: z.boolean().optional(),
    }),
  ),
});
export type StreamCheckpoint = z.infer<typeof StreamCheckpoint>;

const DEFAULT_REGION = 'eu-central-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'unknown');

/** An error the service answered with (as opposed to a connection that failed). */
const isServiceError = (error: unknown): boolean =>
  typeof (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode ===
  'number';

/** Resolves after `ms`, on abort, or when one of the wakers is called — never rejects. */
function pause(ms: number, signal: AbortSignal, wakers?: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      wakers?.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    wakers?.add(done);
  });
}

/** The streams API returns binary as bytes; Lambda's JSON event carries it base64-encoded. */
function toLambdaAttribute(value: StreamAttributeValue): AttributeValue {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  return value as AttributeValue;
}

function toLambdaImage(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaAttribute(value)]));
}

/** A GetRecords record as Lambda delivers it: the same fields, epoch seconds, base64 binary, the stream ARN. */
export function toLambdaRecord(record: StreamApiRecord, streamArn: string): DynamoDBRecord {
  const source = record.dynamodb;
  let dynamodb: StreamRecord | undefined;
  if (source) {
    const created = source.ApproximateCreationDateTime;
    dynamodb = {
      ...(created !== undefined ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      ...(source.Keys ? { Keys: toLambdaImage(source.Keys) } : {}),
      ...(source.NewImage ? { NewImage: toLambdaImage(source.NewImage) } : {}),
      ...(source.OldImage ? { OldImage: toLambdaImage(source.OldImage) } : {}),
      ...(source.SequenceNumber !== undefined ? { SequenceNumber: source.SequenceNumber } : {}),
      ...(source.SizeBytes !== undefined ? { SizeBytes: source.SizeBytes } : {}),
      ...(source.StreamViewType !== undefined ? { StreamViewType: source.StreamViewType } : {}),
    };
  }
  return {
    ...(record.eventID !== undefined ? { eventID: record.eventID } : {}),
    ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
    ...(record.eventVersion !== undefined ? { eventVersion: record.eventVersion } : {}),
    ...(record.eventSource !== undefined ? { eventSource: record.eventSource } : {}),
    ...(record.awsRegion !== undefined ? { awsRegion: record.awsRegion } : {}),
    ...(dynamodb ? { dynamodb } : {}),
    eventSourceARN: streamArn,
    // Present on deletions by TTL, as in Lambda's events.
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
  };
}

/**
 * Where a batch failed, as Lambda reads a ReportBatchItemFailures response: the index of the
 * earliest failed record, or undefined when the batch succeeded. An identifier that is empty,
 * not a string or not in the batch fails the whole batch.
 */
export function firstFailedIndex(sequenceNumbers: readonly string[], response: unknown): number | undefined {
  if (response === undefined || response === null || typeof response !== 'object') return undefined;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  let first = sequenceNumbers.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof id === 'string' && id !== '' ? sequenceNumbers.indexOf(id) : -1;
    if (index < 0) return 0;
    first = Math.min(first, index);
  }
  return first;
}

async function readCheckpoint(file: string, streamArn: string, log: (line: string) => void) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const parsed = StreamCheckpoint.safeParse(JSON.parse(text));
  if (!parsed.success) {
    log(`stream-poller: the checkpoint file is not valid; starting at TRIM_HORIZON`);
    return new Map();
  }
  // A recreated table has a new stream; old positions mean nothing in it.
  if (parsed.data.streamArn !== streamArn) return new Map();
  return new Map(Object.entries(parsed.data.shards));
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  finished: boolean;
  /** The tick at which the last read that found no new records started. */
  caughtUpAt: number;
  /** Settles when reading this shard has ended (finished or stopped). */
  readonly done: Promise<void>;
}

type Position = { readonly at: string } | 'checkpoint' | 'TRIM_HORIZON';

/**
 * The local stand-in for a DynamoDB stream event source mapping: reads every shard of the
 * table's stream (parents before children, one batch at a time per shard) and invokes the
 * handler with the event Lambda would send, honouring partial batch failures.
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const region = options.client?.region ?? DEFAULT_REGION;
  const endpoint = options.client?.endpoint;
  const credentials = options.client?.credentials ?? (endpoint ? LOCAL_CREDENTIALS : undefined);
  const clientConfig = { region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
  const log = options.log ?? ((line: string) => console.error(line));
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  const discoveryIntervalMs = options.shardDiscoveryIntervalMs ?? 1_000;
  const maxRetries = options.maxRetries ?? 5;
  const retryBackoffMs = options.retryBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const accountId = options.accountId ?? '000000000000';
  const prefix = `stream-poller ${options.functionName}`;

  const dynamodb = new DynamoDBClient(clientConfig);
  const table = await dynamodb
    .send(new DescribeTableCommand({ TableName: options.tableName }))
    .finally(() => dynamodb.destroy());
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn || table.Table?.StreamSpecification?.StreamEnabled === false) {
    throw new Error(`${prefix}: table ${options.tableName} has no stream`);
  }

  const streams = new DynamoDBStreamsClient(clientConfig);
  const checkpoints: Map<string, StreamCheckpoint['shards'][string]> = options.checkpointFile
    ? await readCheckpoint(options.checkpointFile, streamArn, log)
    : new Map();

  const abort = new AbortController();
  const { signal } = abort;
  const shards = new Map<string, ShardState>();
  const wakers = new Set<() => void>();
  const waiters: { mark: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  let tick = 0;
  let discoveredAt = 0;
  /** The tick of the latest drained() call: a read that started before it does not count for it. */
  let drainRequestedAt = 0;
  let writing: Promise<void> = Promise.resolve();

  const report = (line: string, error: unknown) => {
    log(line);
    options.onError?.(error);
  };

  const settleWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      const idle = [...shards.values()].every((s) => s.finished || s.caughtUpAt > waiter.mark);
      if (discoveredAt > waiter.mark && idle) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  const persist = (): Promise<void> => {
    const file = options.checkpointFile;
    if (!file) return Promise.resolve();
    const content: StreamCheckpoint = { streamArn, shards: Object.fromEntries(checkpoints) };
    // Serialised, and written via a temporary file and rename, so that a crash never leaves half a file.
    writing = writing.then(async () => {
      const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`);
        await rename(temporary, file);
      } catch (error) {
        report(`${prefix}: the checkpoint could not be written (${errorName(error)})`, error);
      }
    });
    return writing;
  };

  const backoff = (attempt: number) => Math.min(maxBackoffMs, retryBackoffMs * 2 ** Math.max(0, attempt - 1));

  /** An iterator for the position, falling back to the checkpoint and then TRIM_HORIZON when refused. */
  const iteratorFor = async (shardId: string, wanted: Position): Promise<string | undefined> => {
    let position = wanted;
    for (let attempt = 1; !signal.aborted; attempt++) {
      const checkpoint = checkpoints.get(shardId)?.sequenceNumber;
      const resolved: { type: ShardIteratorType; sequenceNumber?: string } =
        typeof position === 'object'
          ? { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: position.at }
          : position === 'checkpoint' && checkpoint
            ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint }
            : { type: 'TRIM_HORIZON' };
      try {
        const out = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: resolved.type,
            ...(resolved.sequenceNumber ? { SequenceNumber: resolved.sequenceNumber } : {}),
          }),
          { abortSignal: signal },
        );
        return out.ShardIterator;
      } catch (error) {
        if (signal.aborted) return undefined;
        if (isServiceError(error) && resolved.type !== 'TRIM_HORIZON') {
          // The position was refused (trimmed or unknown): fall back, accepting redelivery over loss.
          report(
            `${prefix}: shard ${shardId}: ${resolved.type} refused (${errorName(error)}), falling back`,
            error,
          );
          position = typeof position === 'object' ? 'checkpoint' : 'TRIM_HORIZON';
          continue;
        }
        report(`${prefix}: shard ${shardId}: no iterator (${errorName(error)}), retrying`, error);
        await pause(backoff(attempt), signal);
      }
    }
    return undefined;
  };

  const checkpoint = async (shardId: string, sequenceNumber: string | undefined, finished = false) => {
    const last = sequenceNumber ?? checkpoints.get(shardId)?.sequenceNumber;
    checkpoints.set(shardId, {
      ...(last ? { sequenceNumber: last } : {}),
      ...(finished ? { finished } : {}),
    });
    await persist();
  };

  /** Invokes the handler once; the index of the first record to deliver again, or undefined on success. */
  const invoke = async (
    records: readonly StreamApiRecord[],
    sequenceNumbers: readonly string[],
  ): Promise<{ failedAt: number; reason: string; error?: unknown } | undefined> => {
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaRecord(r, streamArn)) };
    try {
      const response = await options.handler(event, lambdaContext(options.functionName, region, accountId));
      const failedAt = firstFailedIndex(sequenceNumbers, response);
      return failedAt === undefined ? undefined : { failedAt, reason: 'BatchItemFailures' };
    } catch (error) {
      return { failedAt: 0, reason: errorName(error), error };
    }
  };

  const readShard = async (shard: ShardState): Promise<void> => {
    const parent = shard.parentShardId ? shards.get(shard.parentShardId) : undefined;
    if (parent) await parent.done;
    if (signal.aborted) return;
    if (checkpoints.get(shard.shardId)?.finished) {
      shard.finished = true;
      settleWaiters();
      return;
    }
    let iterator = await iteratorFor(shard.shardId, 'checkpoint');
    // The record that failed, and how often in a row.
    let failing: { sequenceNumber: string; attempts: number } | undefined;
    let transientAttempts = 0;
    while (iterator && !signal.aborted) {
      const startedAt = ++tick;
      let out: GetRecordsCommandOutput;
      try {
        out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }), {
          abortSignal: signal,
        });
        transientAttempts = 0;
      } catch (error) {
        if (signal.aborted) break;
        const name = errorName(error);
        transientAttempts++;
        if (name === 'ExpiredIteratorException' || name === 'ValidationException') {
          // Iterators expire after 15 minutes; resume from the last processed record. A second
          // refusal in a row is not expiry, so back off before trying again.
          if (transientAttempts > 1) {
            report(`${prefix}: shard ${shard.shardId}: the iterator was refused again (${name})`, error);
            await pause(backoff(transientAttempts), signal);
          }
          iterator = await iteratorFor(
            shard.shardId,
            failing ? { at: failing.sequenceNumber } : 'checkpoint',
          );
          continue;
        }
        if (name === 'TrimmedDataAccessException') {
          report(`${prefix}: shard ${shard.shardId}: records were trimmed before they were read`, error);
          iterator = await iteratorFor(shard.shardId, 'TRIM_HORIZON');
          continue;
        }
        report(`${prefix}: shard ${shard.shardId}: read failed (${name}), retrying`, error);
        await pause(backoff(transientAttempts), signal);
        continue;
      }

      const records = out.Records ?? [];
      if (records.length === 0) {
        iterator = out.NextShardIterator;
        if (!iterator) break;
        shard.caughtUpAt = startedAt;
        settleWaiters();
        if (drainRequestedAt < startedAt) await pause(pollIntervalMs, signal, wakers);
        continue;
      }
      if (signal.aborted) break;

      const sequenceNumbers = records.map((r) => r.dynamodb?.SequenceNumber ?? '');
      const outcome = await invoke(records, sequenceNumbers);
      if (!outcome) {
        failing = undefined;
        await checkpoint(shard.shardId, sequenceNumbers.at(-1));
        iterator = out.NextShardIterator;
        continue;
      }

      const failedSequence = sequenceNumbers[outcome.failedAt]!;
      // The records before the first failure are done, as with ReportBatchItemFailures.
      if (outcome.failedAt > 0) await checkpoint(shard.shardId, sequenceNumbers[outcome.failedAt - 1]);
      failing =
        failing?.sequenceNumber === failedSequence
          ? { sequenceNumber: failedSequence, attempts: failing.attempts + 1 }
          : { sequenceNumber: failedSequence, attempts: 1 };
      const attempt = `attempt ${failing.attempts} of ${maxRetries + 1}`;
      if (outcome.error !== undefined) {
        report(
          `${prefix}: shard ${shard.shardId}: the handler failed (${outcome.reason}), ${attempt}`,
          outcome.error,
        );
      } else {
        log(
          `${prefix}: shard ${shard.shardId}: the handler reported failed records from ${failedSequence}, ${attempt}`,
        );
      }

      if (failing.attempts > maxRetries) {
        const discarded: DiscardedBatch = {
          streamArn,
          shardId: shard.shardId,
          startSequenceNumber: failedSequence,
          endSequenceNumber: sequenceNumbers.at(-1)!,
          batchSize: records.length - outcome.failedAt,
          attempts: failing.attempts,
          reason: outcome.reason,
        };
        // Positions only: the records may hold personal data.
        log(`${prefix}: batch discarded after ${failing.attempts} attempts ${JSON.stringify(discarded)}`);
        options.onDiscard?.(discarded);
        failing = undefined;
        await checkpoint(shard.shardId, discarded.endSequenceNumber);
        iterator = out.NextShardIterator;
        continue;
      }

      await pause(backoff(failing.attempts), signal);
      if (signal.aborted) break;
      iterator = await iteratorFor(shard.shardId, { at: failedSequence });
    }
    if (!signal.aborted && !iterator) {
      // No next iterator: the shard is closed and read to its end.
      shard.finished = true;
      await checkpoint(shard.shardId, undefined, true);
      settleWaiters();
    }
  };

  const discover = async (): Promise<void> => {
    const found: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await streams.send(
        new DescribeStreamCommand({
          StreamArn: streamArn,
          ...(exclusiveStartShardId ? { ExclusiveStartShardId: exclusiveStartShardId } : {}),
        }),
        { abortSignal: signal },
      );
      found.push(...(out.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);

    const added: { state: ShardState; ended: () => void }[] = [];
    for (const s of found) {
      if (!s.ShardId || shards.has(s.ShardId)) continue;
      const { promise, resolve } = Promise.withResolvers<void>();
      const state: ShardState = {
        shardId: s.ShardId,
        parentShardId: s.ParentShardId,
        finished: false,
        caughtUpAt: 0,
        done: promise,
      };
      shards.set(s.ShardId, state);
      added.push({ state, ended: resolve });
    }
    // Every new shard is registered, with its completion, before any starts: a child listed
    // before its parent still waits for it.
    for (const { state, ended } of added) {
      readShard(state)
        .catch((error: unknown) => {
          report(`${prefix}: shard ${state.shardId}: reading stopped (${errorName(error)})`, error);
        })
        .finally(ended);
    }

    // Shards that left the stream (trimmed after 24 hours) need no position any more.
    const listed = new Set(found.map((s) => s.ShardId));
    let pruned = false;
    for (const shardId of checkpoints.keys()) {
      if (!listed.has(shardId)) {
        checkpoints.delete(shardId);
        pruned = true;
      }
    }
    if (pruned) await persist();
  };

  const discovery = (async () => {
    for (let attempt = 1; !signal.aborted; ) {
      const startedAt = ++tick;
      try {
        await discover();
        discoveredAt = startedAt;
        attempt = 1;
        settleWaiters();
        if (drainRequestedAt < startedAt) await pause(discoveryIntervalMs, signal, wakers);
      } catch (error) {
        if (signal.aborted) break;
        report(`${prefix}: the stream could not be described (${errorName(error)}), retrying`, error);
        await pause(backoff(attempt++), signal);
      }
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    streamArn,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        await discovery;
        await Promise.all([...shards.values()].map((s) => s.done));
        await writing;
        streams.destroy();
        for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${prefix}: stopped`));
      })();
      return stopping;
    },
    drained() {
      if (signal.aborted) return Promise.reject(new Error(`${prefix}: stopped`));
      const mark = ++tick;
      drainRequestedAt = mark;
      const result = new Promise<void>((resolve, reject) => waiters.push({ mark, resolve, reject }));
      // Cut the idle waits short, so the answer does not wait for the next poll.
      for (const wake of [...wakers]) wake();
      return result;
    },
  };
}
