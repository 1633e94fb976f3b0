import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Clock } from '#shared/domain/clock.ts';
import type { TableDefinition } from '#shared/resources.ts';

/**
 * The local stand-in for DynamoDB's TTL: DynamoDB Local keeps the TTL setting but never
 * deletes anything, so the local platform (every minute) and the tests (with an injected
 * clock) call this instead. It deletes every item whose TTL attribute (epoch seconds) is
 * at or before the clock's now, as DynamoDB would some time after it — by key, each
 * conditional on the attribute still being past, so an item a writer just extended stays.
 * The deletions reach the table's stream as REMOVE records, as TTL's do.
 */
export async function sweepExpired(
  client: DynamoDBClient,
  def: Pick<TableDefinition, 'timeToLiveAttribute' | 'partitionKey' | 'sortKey'>,
  tableName: string,
  clock: Clock,
): Promise<number> {
  const attribute = def.timeToLiveAttribute;
  if (!attribute) return 0;
  const now = String(Math.floor(clock.now().getTime() / 1000));
  const keyNames = [def.partitionKey.name, ...(def.sortKey ? [def.sortKey.name] : [])];
  let deleted = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl <= :now',
        ProjectionExpression: keyNames.map((_, i) => `#k${i}`).join(', '),
        ExpressionAttributeNames: {
          '#ttl': attribute,
          ...Object.fromEntries(keyNames.map((name, i) => [`#k${i}`, name])),
        },
        ExpressionAttributeValues: { ':now': { N: now } },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const key of page.Items ?? []) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': { N: now } },
          }),
        );
        deleted++;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      }
    }
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return deleted;
}
