import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { operations } from '#shared/api/index.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { defineOperation } from '#shared/http/operation.ts';
import {
  hasPeopleTwin,
  PEOPLE_PATH_PREFIX,
  peopleOperations,
  peoplePath,
  splitResource,
} from '#shared/http/people.ts';
import { PrincipalResolver } from '#shared/identity/principal.ts';

/** The people's tree: which operations have a twin, and how a handler tells the trees apart. */

const op = (operationId: string) => operations.find((o) => o.operationId === operationId)!;

describe('which operations have a people twin', () => {
  it('every signed operation a clerk, counsellor or DPO may call, and no other', () => {
    for (const o of operations) {
      const expected = o.auth !== 'public' && o.auth.some((k) => k !== 'operator');
      expect(hasPeopleTwin(o), o.operationId).toBe(expected);
    }
    expect(hasPeopleTwin(op('queryAuditEvents'))).toBe(true);
    expect(hasPeopleTwin(op('whoAmI'))).toBe(true);
    expect(hasPeopleTwin(op('getHealth'))).toBe(false);
    expect(hasPeopleTwin(op('getOpenApiDocument'))).toBe(false);
    const operatorOnly = defineOperation({
      ...op('whoAmI'),
      operationId: 'operatorOnly',
      auth: ['operator'],
    });
    expect(hasPeopleTwin(operatorOnly)).toBe(false);
    expect(peopleOperations(operations).length).toBeGreaterThan(0);
  });

  it('puts the twin under /people with the operation path unchanged', () => {
    expect(PEOPLE_PATH_PREFIX).toBe('/people');
    expect(peoplePath(op('queryAuditEvents'))).toBe('/people/v1/audit/events');
    expect(splitResource('/people/v1/referrals/{id}')).toEqual({ people: true, path: '/v1/referrals/{id}' });
    expect(splitResource('/v1/referrals/{id}')).toEqual({ people: false, path: '/v1/referrals/{id}' });
    expect(splitResource('/peoplex/v1')).toEqual({ people: false, path: '/peoplex/v1' });
  });
});

describe('the handler takes each tree’s own credential only', () => {
  const directory = {
    authorities: [{ id: 'abh-a', people: [{ email: 'clerk@demo.invalid' }] }],
    serviceOffices: [],
    dataProtectionOfficers: [],
  };
  const resolver = new PrincipalResolver(directory, { stage: 'test', accountId: '123456789012' });
  const whoami = defineOperation({ ...op('whoAmI'), auth: ['authority'] });
  const handler = apiHandler(
    [
      route(whoami, async ({ principal }) => ({ status: 200, body: principal })),
      route(op('getHealth'), async () => ({ status: 200, body: {} })),
    ],
    { principals: () => resolver, personId: async (_iss, sub) => `psn_${sub}` },
  );
  const claims = { iss: 'https://idp', sub: 's-1', email: 'clerk@demo.invalid', email_verified: 'true' };
  const userArn = 'arn:aws:sts::123456789012:assumed-role/rex-test-authority-abh-a/session';
  const call = async (resource: string, ctx: { claims?: object; userArn?: string }) => {
    const event = {
      resource,
      path: resource,
      httpMethod: 'GET',
      headers: {},
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        requestId: 'r',
        authorizer: ctx.claims ? { claims: ctx.claims } : null,
        identity: { userArn: ctx.userArn ?? null },
      },
    } as unknown as APIGatewayProxyEvent;
    const res = await handler(event, { awsRequestId: 'r' } as Context);
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
  };

  it('a person under /people and a program under /v1 are the same principal', async () => {
    const person = await call('/people/v1/whoami', { claims });
    expect(person).toEqual({ status: 200, body: { kind: 'authority', id: 'abh-a', personId: 'psn_s-1' } });
    const program = await call('/v1/whoami', { userArn });
    expect(program).toEqual({ status: 200, body: { kind: 'authority', id: 'abh-a' } });
  });

  it('refuses claims under /v1 and an IAM identity under /people with 401', async () => {
    expect(await call('/v1/whoami', { claims })).toMatchObject({ status: 401 });
    expect(await call('/v1/whoami', { claims, userArn })).toMatchObject({ status: 401 });
    expect(await call('/people/v1/whoami', { userArn })).toMatchObject({ status: 401 });
  });

  it('refuses a valid sign-in of a person the directory does not list with 403, naming no one', async () => {
    const stranger = { ...claims, sub: 's-9', email: 'removed@demo.invalid' };
    const refused = await call('/people/v1/whoami', { claims: stranger });
    expect(refused.status).toBe(403);
    expect(String(refused.body.type)).toMatch(/forbidden$/);
    expect(JSON.stringify(refused.body)).not.toContain('removed@demo.invalid');
    // An unverified e-mail of a listed person is no identification either.
    expect(await call('/people/v1/whoami', { claims: { ...claims, email_verified: 'false' } })).toMatchObject(
      {
        status: 403,
      },
    );
  });

  it('knows no people twin of a public operation', async () => {
    expect(await call('/health', {})).toMatchObject({ status: 200 });
    expect(await call('/people/health', { claims })).toMatchObject({ status: 404 });
  });
});
