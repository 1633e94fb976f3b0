/**
 * Preloaded into the local platform for the end-to-end run (`--import`): counts every
 * call of the functions' shared DynamoDB and SQS clients, asks DynamoDB for the capacity
 * each call consumed (ReturnConsumedCapacity), keeps the item sizes of the first intake
 * transaction, and writes the totals to BENCH_STATS_FILE on SIGUSR2.
 */
import { writeFileSync } from 'node:fs';
import { dynamoClient, sqsClient } from '#shared/adapters/aws-clients.ts';

const statsFile = process.env.BENCH_STATS_FILE;
const stats = {
  dynamodb: {} as Record<string, number>,
  sqs: {} as Record<string, number>,
  readUnits: 0,
  writeUnits: 0,
  capacityReported: 0,
  intakeTransactItemBytes: [] as number[],
};
const CAPACITY = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);
const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

function install(): void {
  dynamoClient().middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      stats.dynamodb[name] = (stats.dynamodb[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      if (CAPACITY.has(name)) input.ReturnConsumedCapacity = 'TOTAL';
      if (name === 'TransactWriteItemsCommand' && stats.intakeTransactItemBytes.length === 0) {
        const items = input.TransactItems as unknown[];
        // The intake's transaction: the one whose items carry a referral ciphertext.
        if (items.length <= 8 && JSON.stringify(items).includes('"ciphertext"'))
          stats.intakeTransactItemBytes = items.map((i) => JSON.stringify(i).length);
      }
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        stats.capacityReported++;
        const units = c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0);
        if (READS.has(name)) stats.readUnits += units;
        else stats.writeUnits += units;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  sqsClient().middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      stats.sqs[name] = (stats.sqs[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );
}

// The clients read their endpoints from the environment the platform sets after start.
const waiting = setInterval(() => {
  if (!process.env.AWS_ENDPOINT_URL_DYNAMODB || !process.env.AWS_ENDPOINT_URL_SQS) return;
  clearInterval(waiting);
  install();
}, 5);
waiting.unref();

process.on('SIGUSR2', () => {
  if (statsFile) writeFileSync(statsFile, JSON.stringify({ ...stats, at: Date.now() }));
});
