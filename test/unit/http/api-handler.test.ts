import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { Conflict, NotFound } from '#shared/domain/errors.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { defineOperation } from '#shared/http/operation.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';

const resolver = new PrincipalResolver(
  { authorities: [{ id: 'abh-a' }], serviceOffices: [{ id: 'mbe-x' }], dataProtectionOfficers: [] },
  { stage: 'test', accountId: '123456789012' },
);
const arnOf = (role: string) => `arn:aws:sts::123456789012:assumed-role/${role}/session`;
const AUTHORITY = arnOf('rex-test-authority-abh-a');
const SERVICE = 'arn:aws:sts::123456789012:assumed-role/rex-test-offices/mbe-x';

const createThing = defineOperation({
  operationId: 'createThing',
  method: 'POST',
  path: '/v1/things/{group}',
  summary: 'test',
  tags: [],
  auth: ['authority'],
  idempotencyKey: true,
  maxBodyBytes: 200,
  params: z.strictObject({ group: z.string().regex(/^[a-z]+$/) }),
  body: z.strictObject({ name: z.string().min(1), count: z.number().int().positive() }),
  responses: {},
});
const getPublic = defineOperation({
  operationId: 'getPublic',
  method: 'GET',
  path: '/public',
  summary: 'test',
  tags: [],
  auth: 'public',
  responses: {},
});

const secret = 'CANARY-Müller-0171-5550123';
const handler = apiHandler(
  [
    route(createThing, async ({ body, params, principal, idempotencyKey }) => {
      if (body.name === 'conflict') throw new Conflict('An open referral exists.', { existingId: 'r-1' });
      if (body.name === 'missing') throw new NotFound('referral');
      if (body.name === 'crash') throw new Error(`database said: ${secret}`);
      return { status: 201, body: { group: params.group, name: body.name, principal, idempotencyKey } };
    }),
    route(getPublic, async ({ principal }) => ({
      status: 200,
      body: { anonymous: principal === undefined },
    })),
  ],
  { principals: () => resolver },
);

const context = { awsRequestId: 'req-1', functionName: 'test' } as Context;

function event(
  overrides: Partial<APIGatewayProxyEvent> & { userArn?: string | null } = {},
): APIGatewayProxyEvent {
  const { userArn = AUTHORITY, ...rest } = overrides;
  return {
    resource: '/v1/things/{group}',
    path: '/v1/things/abc',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'key-0000001' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { group: 'abc' },
    stageVariables: null,
    body: JSON.stringify({ name: 'box', count: 2 }),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', identity: { userArn } } as never,
    ...rest,
  };
}

async function call(e: APIGatewayProxyEvent) {
  const res = await handler(e, context);
  return {
    status: res.statusCode,
    headers: res.headers ?? {},
    body: res.body ? JSON.parse(res.body) : undefined,
  };
}

describe('apiHandler', () => {
  it('passes a valid request with its principal and idempotency key to the route', async () => {
    const res = await call(event());
    expect(res.status).toBe(201);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toEqual({
      group: 'abc',
      name: 'box',
      principal: { kind: 'authority', id: 'abh-a' },
      idempotencyKey: 'key-0000001',
    });
  });

  it('refuses query parameters on an operation that takes none, naming each, echoing no data', async () => {
    const res = await call(
      event({ queryStringParameters: { foo: 'bar', 'Müller Anna': 'x' } as Record<string, string> }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'query.foo', reason: 'unknown property' },
      { field: 'query', reason: 'unknown property' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('Müller');
  });

  it('refuses an Idempotency-Key that the SigV4 signature does not cover', async () => {
    const signed = (list: string) => ({
      'Content-Type': 'application/json',
      'Idempotency-Key': 'key-0000001',
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIA/20261203/eu-central-1/execute-api/aws4_request, SignedHeaders=${list}, Signature=00`,
    });
    const unsigned = await call(event({ headers: signed('content-type;host;x-amz-date') }));
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.errors).toEqual([
      { field: 'Idempotency-Key', reason: 'must be among the signed headers' },
    ]);
    expect(
      (await call(event({ headers: signed('content-type;host;idempotency-key;x-amz-date') }))).status,
    ).toBe(201);
  });

  it('answers 401 problem+json without an IAM identity', async () => {
    const res = await call(event({ userArn: null }));
    expect(res.status).toBe(401);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, type: expect.stringContaining('unauthenticated') });
  });

  it('answers 403 for an unmapped identity and for a principal kind the operation does not allow', async () => {
    expect((await call(event({ userArn: arnOf('someone-else') }))).status).toBe(403);
    const res = await call(event({ userArn: SERVICE }));
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('service');
  });

  it('names every offending field, including unknown properties, path parameters and headers', async () => {
    const res = await call(
      event({
        headers: { 'content-type': 'application/json' },
        pathParameters: { group: 'ABC' },
        body: JSON.stringify({ name: '', count: 1.5, status: 'closed', __proto__x: 1 }),
      }),
    );
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['Idempotency-Key', '__proto__x', 'count', 'name', 'path.group', 'status']);
    expect(res.body.errors.find((e: { field: string }) => e.field === 'status').reason).toBe(
      'unknown property',
    );
  });

  it('refuses a __proto__ key instead of letting it through', async () => {
    const res = await call(event({ body: '{"name":"box","count":1,"__proto__":{"admin":true}}' }));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: '__proto__', reason: 'unknown property' }]);
  });

  it('answers 413 above the body limit, 415 for another media type, 400 for broken JSON', async () => {
    expect((await call(event({ body: JSON.stringify({ name: 'x'.repeat(300), count: 1 }) }))).status).toBe(
      413,
    );
    expect(
      (await call(event({ headers: { 'content-type': 'text/plain', 'idempotency-key': 'key-0000001' } })))
        .status,
    ).toBe(415);
    const broken = await call(event({ body: '{"name":' }));
    expect(broken.status).toBe(400);
    expect(broken.body.errors).toEqual([{ field: '(body)', reason: 'not valid JSON' }]);
  });

  it('maps domain errors to their status with their safe extensions', async () => {
    const conflict = await call(event({ body: JSON.stringify({ name: 'conflict', count: 1 }) }));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ existingId: 'r-1', instance: 'req-1' });
    expect((await call(event({ body: JSON.stringify({ name: 'missing', count: 1 }) }))).status).toBe(404);
  });

  it('answers 500 for unexpected errors without repeating their message', async () => {
    const res = await handler(event({ body: JSON.stringify({ name: 'crash', count: 1 }) }), context);
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('CANARY');
    expect(res.body).not.toContain('database said');
  });

  it('serves public operations without an identity', async () => {
    const res = await call(
      event({ resource: '/public', httpMethod: 'GET', body: null, pathParameters: null, userArn: null }),
    );
    expect(res).toMatchObject({ status: 200, body: { anonymous: true } });
  });

  it('answers 404 for a resource this function does not serve', async () => {
    expect((await call(event({ resource: '/v1/other' }))).status).toBe(404);
  });
});
