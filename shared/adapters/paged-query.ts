import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './aws-clients.ts';

type Item = Record<string, unknown>;

/** Every item a query matches, page after page (LastEvaluatedKey), in the index's order. */
export async function* queryItems(input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): AsyncGenerator<Item> {
  let startKey: Item | undefined;
  do {
    const page = await documentClient().send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** All items of a query, collected. */
export async function queryAll(input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of queryItems(input)) items.push(item);
  return items;
}
