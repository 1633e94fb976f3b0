import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDefinition, TableDefinition } from '#shared/resources.ts';

/** The CreateTable input for a table definition: the same keys, indexes and stream CDK deploys. */
export function createTableInput(def: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, AttributeDefinition>();
  const add = (k: { name: string; type: 'S' | 'N' } | undefined) => {
    if (k) attributes.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  };
  add(def.partitionKey);
  add(def.sortKey);
  for (const gsi of def.globalSecondaryIndexes) {
    add(gsi.partitionKey);
    add(gsi.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: keySchema(gsi.partitionKey, gsi.sortKey),
            Projection:
              typeof gsi.projection === 'string'
                ? { ProjectionType: gsi.projection }
                : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.projection.include] },
          })),
        }
      : {}),
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
  };
}

/** Creates the table unless it exists, and turns on TTL. Idempotent. */
export async function ensureTable(
  client: DynamoDBClient,
  def: TableDefinition,
  tableName: string,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(def, tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  if (def.timeToLiveAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

/** The SQS attributes of a queue definition (main queue; the redrive policy needs the DLQ ARN). */
export function queueAttributes(def: QueueDefinition, deadLetterArn?: string): Record<string, string> {
  return {
    ...(def.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}),
    VisibilityTimeout: String(def.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(def.retentionSeconds),
    ReceiveMessageWaitTimeSeconds: String(def.receiveWaitTimeSeconds),
    SqsManagedSseEnabled: 'true',
    ...(deadLetterArn
      ? {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterArn,
            maxReceiveCount: def.deadLetter.maxReceiveCount,
          }),
        }
      : {}),
  };
}

export function deadLetterAttributes(def: QueueDefinition): Record<string, string> {
  return {
    ...(def.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}),
    MessageRetentionPeriod: String(def.deadLetter.retentionSeconds),
    SqsManagedSseEnabled: 'true',
  };
}

/**
 * Creates a queue and its dead-letter queue with the defined attributes. CreateQueue
 * with identical attributes is idempotent, so this is safe on every start.
 * Returns the URLs as the configured endpoint serves them.
 */
export async function ensureQueue(
  client: SQSClient,
  def: QueueDefinition,
  urlFor: (name: string) => string,
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  await client.send(
    new CreateQueueCommand({ QueueName: def.deadLetter.name, Attributes: deadLetterAttributes(def) }),
  );
  const deadLetterUrl = urlFor(def.deadLetter.name);
  const dlq = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = dlq.Attributes?.QueueArn;
  if (!arn) throw new Error(`The dead-letter queue ${def.deadLetter.name} has no ARN.`);
  await client.send(new CreateQueueCommand({ QueueName: def.name, Attributes: queueAttributes(def, arn) }));
  return { queueUrl: urlFor(def.name), deadLetterUrl };
}
