import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, listen, servesHost } from '#local/gateway.ts';
import { operations } from '#shared/api/index.ts';
import { PROBLEM_CONTENT_TYPE, problemType } from '#shared/http/problem.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';

/**
 * The local gateway's own answers (local/gateway.ts) over real HTTP: what it refuses
 * before any function runs, and the stage prefix the deployed API's clients sign.
 */

const credential = {
  accessKeyId: 'AKIDGATEWAYTEST',
  secretAccessKey: 'gateway-test-secret',
  userArn: 'arn:aws:sts::000000000000:assumed-role/rex-local-operator/test',
};
const region = 'eu-central-1';
/** Sessions of the offices' role: one tagged as STS would (session name = office tag), one not. */
const officeSession = {
  accessKeyId: 'AKIDOFFICESESSION',
  secretAccessKey: 'gateway-test-office-secret',
  userArn: 'arn:aws:sts::000000000000:assumed-role/rex-local-offices/mbe-x',
  sessionTags: { 'rex-office': 'mbe-x' },
};
const mistaggedSession = {
  accessKeyId: 'AKIDMISTAGGEDSESSION',
  secretAccessKey: 'gateway-test-mistagged-secret',
  userArn: 'arn:aws:sts::000000000000:assumed-role/rex-local-offices/mbe-y',
  sessionTags: { 'rex-office': 'mbe-x' },
};
const sessions = [credential, officeSession, mistaggedSession];

/** A raw HTTP/1.1 exchange, for requests fetch() will not send. */
function raw(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const at = text.indexOf('\r\n\r\n');
      const head = text.slice(0, at).toLowerCase();
      let body = text.slice(at + 4);
      if (head.includes('transfer-encoding: chunked')) {
        let rest = body;
        body = '';
        for (;;) {
          const line = rest.indexOf('\r\n');
          const size = Number.parseInt(rest.slice(0, line), 16);
          if (!size) break;
          body += rest.slice(line + 2, line + 2 + size);
          rest = rest.slice(line + 2 + size + 2);
        }
      }
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
    socket.end(request);
  });
}

describe('the local gateway', () => {
  let server: Server;
  let port: number;
  let base: string;
  const events: APIGatewayProxyEvent[] = [];

  beforeAll(async () => {
    server = createGateway({
      host: '127.0.0.1',
      port: 0,
      region,
      accountId: '000000000000',
      stage: 'local',
      credential: (id) => sessions.find((c) => c.accessKeyId === id),
      routes: operations.map((operation) => ({
        operation,
        functionName: operation.operationId,
        handler: async () => async (event: APIGatewayProxyEvent) => {
          events.push(event);
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
        },
      })),
    });
    port = await listen(server, 0, '127.0.0.1');
    base = `http://127.0.0.1:${port}/local`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const signed = async (url: string, method = 'GET', body?: string, as = credential) => {
    const headers = await signRequest(
      url,
      { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) },
      as,
      region,
    );
    const { host: _host, ...sendable } = headers;
    return fetch(url, { method, headers: sendable, ...(body !== undefined ? { body } : {}) });
  };

  const expectProblem = async (res: Response, status: number, type: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    const body = await res.json();
    expect(body).toMatchObject({ status, type: problemType(type) });
    return body;
  };

  it.each([
    ['a signed program call', '/v1/services/%ZZ/keys', 'PUT'],
    ['a page', '/dpo/%ZZ', 'GET'],
    ["a person's call", '/people/v1/services/%ZZ/keys', 'PUT'],
  ])('answers a malformed percent-encoding in %s with 400 naming the path', async (_, path, method) => {
    const res = await signed(`${base}${path}`, method, method === 'PUT' ? '{}' : undefined);
    const body = await expectProblem(res, 400, 'invalid-request');
    expect(body.errors).toEqual([{ field: 'path', reason: 'malformed percent-encoding' }]);
    expect(body.instance).toEqual(expect.any(String));
  });

  it("admits a session of the offices' role only under the name of its office tag, as its trust policy does", async () => {
    const before = events.length;
    const ok = await signed(`${base}/v1/services/mbe-x/keys`, 'PUT', '{}', officeSession);
    expect(ok.status).toBe(200);
    expect(events.at(-1)!.requestContext.identity.userArn).toBe(officeSession.userArn);
    const refused = await signed(`${base}/v1/services/mbe-y/keys`, 'PUT', '{}', mistaggedSession);
    const body = await expectProblem(refused, 403, 'forbidden');
    expect(body.detail).toContain('office tag');
    expect(events.length).toBe(before + 1);
  });

  it('answers headers above the limit with a 431 problem document', async () => {
    const res = await raw(
      port,
      `GET /local/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.headers).toContain(`content-type: ${PROBLEM_CONTENT_TYPE}`);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 431,
      type: problemType('request-header-fields-too-large'),
    });
  });

  it('answers a method it cannot parse with a 400 problem document', async () => {
    const res = await raw(port, `FROBNICATE /local/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(res.headers).toContain(`content-type: ${PROBLEM_CONTENT_TYPE}`);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, type: problemType('invalid-request') });
  });

  it('answers a known method the path does not take with 405 and Allow', async () => {
    const res = await raw(
      port,
      `PURGE /local/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(405);
    expect(res.headers).toContain('allow: get');
    expect(JSON.parse(res.body)).toMatchObject({ status: 405, type: problemType('method-not-allowed') });
  });

  it.each(['evil.example', 'evil.example:<port>', '127.0.0.1:1', '127.0.0.2:<port>'])(
    'refuses Host %s with 400 naming Host, before any function runs',
    async (host) => {
      const before = events.length;
      const res = await raw(
        port,
        `GET /local/health HTTP/1.1\r\nHost: ${host.replace('<port>', String(port))}\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({
        type: problemType('invalid-request'),
        errors: [{ field: 'Host', reason: 'not the host this API is served at' }],
      });
      expect(events.length).toBe(before);
    },
  );

  it.each(['127.0.0.1', 'localhost'])('serves Host %s with its port', async (name) => {
    const res = await raw(
      port,
      `GET /local/health HTTP/1.1\r\nHost: ${name}:${port}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(200);
  });

  it('pins Host to the address it listens on', () => {
    expect(servesHost('127.0.0.1', 3000, 'localhost:3000')).toBe(true);
    expect(servesHost('127.0.0.1', 3000, '[::1]:3000')).toBe(true);
    expect(servesHost('127.0.0.1', 3000, '127.0.0.1')).toBe(false);
    expect(servesHost('192.168.1.5', 3000, '192.168.1.5:3000')).toBe(true);
    expect(servesHost('192.168.1.5', 3000, 'localhost:3000')).toBe(false);
    expect(servesHost('0.0.0.0', 3000, 'rex.lan:3000')).toBe(true);
    expect(servesHost('0.0.0.0', 3000, 'rex.lan:3001')).toBe(false);
    expect(servesHost('127.0.0.1', 3000, undefined)).toBe(false);
  });

  it('serves under the stage and checks the signature over the path with the stage', async () => {
    const res = await signed(`${base}/v1/whoami`);
    expect(res.status).toBe(200);
    const event = events.at(-1)!;
    expect(event.path).toBe('/v1/whoami');
    expect(event.resource).toBe('/v1/whoami');
    expect(event.requestContext.path).toBe('/local/v1/whoami');
    expect(event.requestContext.stage).toBe('local');
  });

  it('refuses a request signed without the stage prefix', async () => {
    // A client that signs `/v1/whoami` but sends `/local/v1/whoami` fails in AWS; here too.
    const url = `${base}/v1/whoami`;
    const headers = await signRequest(`http://127.0.0.1:${port}/v1/whoami`, {}, credential, region);
    const { host: _host, ...sendable } = headers;
    await expectProblem(await fetch(url, { headers: sendable }), 403, 'invalid-signature');
  });

  it('answers a path outside the stage with 404 naming the stage', async () => {
    const body = await expectProblem(await signed(`http://127.0.0.1:${port}/v1/whoami`), 404, 'not-found');
    expect(body.detail).toContain('/local/');
  });
});

describe("the local gateway's throttle", () => {
  it('keeps one bucket per method, as the deployed /*/* setting does: one busy operation does not starve another', async () => {
    const server = createGateway({
      host: '127.0.0.1',
      port: 0,
      region,
      accountId: '000000000000',
      stage: 'local',
      credential: () => undefined,
      // A bucket of 2 that refills once a minute: the third call of one method within the test is throttled.
      throttle: { ratePerSecond: 1 / 60, burst: 2 },
      routes: operations.map((operation) => ({
        operation,
        functionName: operation.operationId,
        handler: async () => async () => ({
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      })),
    });
    const port = await listen(server, 0, '127.0.0.1');
    try {
      const get = (path: string) => fetch(`http://127.0.0.1:${port}/local${path}`);
      expect((await get('/health')).status).toBe(200);
      expect((await get('/health')).status).toBe(200);
      const throttled = await get('/health');
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await throttled.json()) as { type: string }).type).toBe(problemType('too-many-requests'));
      // Another method has its own bucket.
      expect((await get('/openapi.json')).status).toBe(200);
      expect((await get('/openapi.json')).status).toBe(200);
      expect((await get('/openapi.json')).status).toBe(429);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
