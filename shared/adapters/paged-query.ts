import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/**
 * The items of a Query, one page after the other, following LastEvaluatedKey until
 * DynamoDB reports no more. The caller may stop early (`break` / `return`): no further
 * page is read then.
 */
export async function* queryPages(
  send: (command: QueryCommand) => Promise<QueryCommandOutput>,
  input: QueryCommandInput,
): AsyncGenerator<Item[]> {
  let startKey = input.ExclusiveStartKey;
  do {
    const out = await send(
      new QueryCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    yield out.Items ?? [];
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

/** Every item of a Query, all pages read. */
export async function queryAll(
  send: (command: QueryCommand) => Promise<QueryCommandOutput>,
  input: QueryCommandInput,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(send, input)) items.push(...page);
  return items;
}
