import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { queryAll, queryPages } from '#shared/adapters/paged-query.ts';

const documents = mockClient(DynamoDBDocumentClient);
afterEach(() => documents.reset());

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' }));
const send = (command: QueryCommand) => client.send(command);
const input = { TableName: 'rex-unit-audit', KeyConditionExpression: 'pk = :pk' };

/** Three pages: a, b | c | d, chained by LastEvaluatedKey. */
function threePages() {
  documents
    .on(QueryCommand)
    .resolvesOnce({ Items: [{ pk: 'a' }, { pk: 'b' }], LastEvaluatedKey: { pk: 'b' } })
    .resolvesOnce({ Items: [{ pk: 'c' }], LastEvaluatedKey: { pk: 'c' } })
    .resolvesOnce({ Items: [{ pk: 'd' }] });
}

const startKeys = () => documents.commandCalls(QueryCommand).map((c) => c.args[0].input.ExclusiveStartKey);

describe('queryPages', () => {
  it('follows LastEvaluatedKey page by page and keeps the rest of the input', async () => {
    threePages();
    const pages: unknown[] = [];
    for await (const items of queryPages(send, input)) pages.push(items.map((i) => i.pk));
    expect(pages).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(startKeys()).toEqual([undefined, { pk: 'b' }, { pk: 'c' }]);
    for (const call of documents.commandCalls(QueryCommand)) expect(call.args[0].input).toMatchObject(input);
  });

  it('reads no further page once the caller stops', async () => {
    threePages();
    for await (const items of queryPages(send, input)) if (items.length > 0) break;
    expect(documents.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it('starts from the given ExclusiveStartKey and takes a page without Items as empty', async () => {
    documents.on(QueryCommand).resolves({});
    const pages: unknown[] = [];
    for await (const items of queryPages(send, { ...input, ExclusiveStartKey: { pk: 'z' } }))
      pages.push(items);
    expect(pages).toEqual([[]]);
    expect(startKeys()).toEqual([{ pk: 'z' }]);
  });
});

describe('queryAll', () => {
  it('gives every item of every page, in order', async () => {
    threePages();
    expect((await queryAll(send, input)).map((i) => i.pk)).toEqual(['a', 'b', 'c', 'd']);
  });
});
