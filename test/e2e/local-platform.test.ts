import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, deadLetterAttributes, queueAttributes } from '#local/provision.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { officeQueues, recordsTable, tableName, tables } from '#shared/resources.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';
import { isAlive, type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { until } from '#test/support/wait.ts';

const local = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('the local platform (npm start)', () => {
  let platform: RunningPlatform;
  const directory = loadDirectory('config/directory.example.json');

  beforeAll(async () => {
    platform = await startLocalPlatform();
    console.log(`local platform ready in ${platform.startupMs} ms`);
  });
  afterAll(async () => {
    await platform?.interrupt();
  });

  it('answers GET /health with both emulators up', async () => {
    const res = await fetch(`${platform.apiUrl}/health`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      status: 'ok',
      stage: 'local',
      directoryVersion: directory.version,
      dependencies: { dynamodb: { status: 'up' }, sqs: { status: 'up' } },
    });
  });

  it('serves an OpenAPI 3.1 document generated from the operations', async () => {
    const res = await fetch(`${platform.apiUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/openapi.json',
        '/v1/whoami',
        '/v1/consents',
        '/v1/consents/{id}',
        '/v1/consents/{id}/withdrawal',
        '/v1/routing/preview',
      ]),
    );
    expect(doc.paths['/v1/whoami'].get.security).toEqual([{ sigv4: [] }]);
    // The people's twin, with the local OpenID provider as the sign-in scheme.
    expect(doc.paths['/people/v1/whoami'].get.security).toEqual([{ signIn: [] }]);
    expect(doc.paths['/people/health']).toBeUndefined();
    expect(doc.components.securitySchemes.signIn).toEqual(
      expect.objectContaining({
        type: 'openIdConnect',
        openIdConnectUrl: `${platform.identityProvider.issuer}/.well-known/openid-configuration`,
      }),
    );
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it("hands each demo credential's principal to the handler", async () => {
    const principals = platform.credentials.credentials.map((c) => c.principal);
    expect(principals).toEqual(
      expect.arrayContaining([
        ...directory.authorities.map((a) => `authority:${a.id}`),
        ...directory.serviceOffices.map((s) => `service:${s.id}`),
        ...directory.dataProtectionOfficers.map((d) => `dpo:${d.scope}`),
        'operator',
      ]),
    );
    for (const principal of principals) {
      const res = await platform.request(principal, '/v1/whoami');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ principal, kind: principal.split(':')[0], person: false });
    }
  });

  it('answers 401 problem+json to an unsigned request', async () => {
    const res = await fetch(`${platform.apiUrl}/v1/whoami`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('answers 403 to a tampered, stale or unknown signature', async () => {
    const c = platform.credential(`authority:${directory.authorities[0]!.id}`);
    const url = `${platform.apiUrl}/v1/whoami`;
    const send = async (headers: Record<string, string>, target = url) => {
      const { host: _h, ...rest } = headers;
      return fetch(target, { headers: rest });
    };

    const signed = await signRequest(url, {}, c, platform.credentials.region);
    const tampered = await send({ ...signed }, `${url}?as=operator`);
    expect(tampered.status).toBe(403);
    expect((await tampered.json()).type).toContain('invalid-signature');

    const stale = await signRequest(
      url,
      { signingDate: new Date(Date.now() - 20 * 60_000) },
      c,
      platform.credentials.region,
    );
    const staleRes = await send(stale);
    expect(staleRes.status).toBe(403);
    expect((await staleRes.json()).type).toContain('signature-expired');

    const unknown = await signRequest(
      url,
      {},
      { accessKeyId: 'AKIALOCALUNKNOWN0000', secretAccessKey: c.secretAccessKey },
      platform.credentials.region,
    );
    const unknownRes = await send(unknown);
    expect(unknownRes.status).toBe(403);
    expect((await unknownRes.json()).type).toContain('unknown-credential');

    const otherSecret = await signRequest(
      url,
      {},
      { ...c, secretAccessKey: `${c.secretAccessKey}x` },
      platform.credentials.region,
    );
    expect((await send(otherSecret)).status).toBe(403);
  });

  it('answers 404 and 405 as problem+json for unknown routes and methods', async () => {
    const missing = await fetch(`${platform.apiUrl}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const wrongMethod = await fetch(`${platform.apiUrl}/health`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('creates every table and queue from the shared resource definitions', async () => {
    const dynamodb = new DynamoDBClient({
      endpoint: platform.dynamodbEndpoint,
      region: 'eu-central-1',
      credentials: local,
    });
    const sqs = new SQSClient({
      endpoint: platform.sqsEndpoint,
      region: 'eu-central-1',
      credentials: local,
      useQueueUrlAsEndpoint: false,
    });
    try {
      for (const def of tables) {
        const name = tableName('local', def);
        const expected = createTableInput(def, name);
        const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
        expect(Table?.KeySchema).toEqual(expected.KeySchema);
        expect(
          new Set(Table?.AttributeDefinitions?.map((a) => `${a.AttributeName}:${a.AttributeType}`)),
        ).toEqual(
          new Set(expected.AttributeDefinitions?.map((a) => `${a.AttributeName}:${a.AttributeType}`)),
        );
        const indexes = (Table?.GlobalSecondaryIndexes ?? [])
          .map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }))
          .sort((a, b) => a.IndexName!.localeCompare(b.IndexName!));
        const expectedIndexes = [...(expected.GlobalSecondaryIndexes ?? [])]
          .map((g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }))
          .sort((a, b) => a.IndexName!.localeCompare(b.IndexName!));
        expect(indexes).toEqual(expectedIndexes);
        expect(Table?.StreamSpecification).toEqual(expected.StreamSpecification);
        const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
        expect(ttl.TimeToLiveDescription?.AttributeName).toBe(def.timeToLiveAttribute);
      }

      const defs = officeQueues('local', directory);
      expect(platform.queues.map((q) => q.officeId)).toEqual(directory.serviceOffices.map((o) => o.id));
      for (const [i, def] of defs.entries()) {
        const { queueUrl, deadLetterUrl } = platform.queues[i]!;
        const dlq = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['All'] }),
        );
        const main = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
        );
        expect(main.Attributes).toMatchObject(queueAttributes(def, dlq.Attributes?.QueueArn));
        expect(dlq.Attributes).toMatchObject(deadLetterAttributes(def));
        expect(JSON.parse(main.Attributes!.RedrivePolicy!)).toEqual({
          deadLetterTargetArn: dlq.Attributes!.QueueArn,
          maxReceiveCount: def.deadLetter.maxReceiveCount,
        });
      }
    } finally {
      dynamodb.destroy();
      sqs.destroy();
    }
  });

  it('deletes the items whose expiresAt has passed, as DynamoDB TTL would (the local sweeper), and no others', async () => {
    const dynamodb = new DynamoDBClient({
      endpoint: platform.dynamodbEndpoint,
      region: 'eu-central-1',
      credentials: local,
    });
    const TableName = tableName('local', recordsTable);
    const key = (n: string) => ({ pk: { S: `TTL-CHECK#${n}` }, sk: { S: 'ITEM' } });
    const now = Math.floor(Date.now() / 1000);
    try {
      await dynamodb.send(
        new PutItemCommand({ TableName, Item: { ...key('past'), expiresAt: { N: String(now - 10) } } }),
      );
      await dynamodb.send(
        new PutItemCommand({ TableName, Item: { ...key('future'), expiresAt: { N: String(now + 86_400) } } }),
      );
      await dynamodb.send(new PutItemCommand({ TableName, Item: key('none') }));
      const present = async (n: string) =>
        (await dynamodb.send(new GetItemCommand({ TableName, Key: key(n), ConsistentRead: true }))).Item !==
        undefined;
      // The sweeper runs every minute.
      await until(
        async () => ((await present('past')) ? undefined : true),
        'the expired item to go',
        90_000,
        1000,
      );
      expect(await present('future')).toBe(true);
      expect(await present('none')).toBe(true);
    } finally {
      dynamodb.destroy();
    }
  }, 120_000);

  it('prints what runs where, and Ctrl-C stops everything it started', async () => {
    expect(platform.output()).toContain(platform.apiUrl);
    expect(platform.output()).toContain(platform.dynamodbEndpoint);
    // Where the offices' mails go: with --in-memory a temporary folder, gone at stop.
    expect(platform.output()).toContain(
      `\n  Mail            ${relative(process.cwd(), platform.mailDir)}/<office>/<notification>.eml `,
    );
    expect(existsSync(platform.mailDir)).toBe(true);
    expect(isAlive(platform.dynamodbPid)).toBe(true);
    const started = Date.now();
    const code = await platform.interrupt();
    console.log(`stopped in ${Date.now() - started} ms`);
    expect(code).toBe(0);
    expect(isAlive(platform.pid)).toBe(false);
    expect(isAlive(platform.dynamodbPid)).toBe(false);
    await expect(fetch(`${platform.apiUrl}/health`)).rejects.toThrow();
    expect(existsSync(platform.mailDir)).toBe(false);
  });
});
