import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { OperationSpec } from '#shared/http/operation.ts';
import { parsePrincipal, roleSessionOf } from '#shared/identity/principal.ts';

/**
 * API Gateway events as the deployed API (and the local gateway) sends them, for
 * integration tests that invoke a handler directly against the real emulators.
 * `principal` is `authority:<id>`, `service:<id>`, `dpo:<scope>`, `operator`, or
 * undefined for an unsigned request.
 */
export function apiEvent(
  operation: OperationSpec,
  options: {
    readonly principal?: string;
    readonly stage: string;
    readonly accountId?: string;
    readonly params?: Record<string, string>;
    readonly query?: Record<string, string>;
    readonly body?: unknown;
    readonly rawBody?: string;
    readonly headers?: Record<string, string>;
    readonly idempotencyKey?: string;
  },
): APIGatewayProxyEvent {
  const accountId = options.accountId ?? '000000000000';
  const principal = options.principal ? parsePrincipal(options.principal) : undefined;
  if (options.principal && !principal) throw new Error(`not a principal: ${options.principal}`);
  const session = principal ? roleSessionOf(options.stage, principal) : undefined;
  const userArn = session
    ? `arn:aws:sts::${accountId}:assumed-role/${session.roleName}/${session.sessionName ?? 'test-session'}`
    : null;
  let path = operation.path;
  for (const [k, v] of Object.entries(options.params ?? {})) path = path.replace(`{${k}}`, encodeSegment(v));
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  return {
    resource: operation.path,
    path,
    httpMethod: operation.method,
    headers: {
      ...(body !== null ? { 'content-type': 'application/json' } : {}),
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      ...options.headers,
    },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.params ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId,
      apiId: 'test',
      requestId: randomUUID(),
      stage: 'test',
      identity: { userArn, accessKey: userArn ? 'AKIATEST' : null, sourceIp: '127.0.0.1' },
    } as never,
  };
}

export const testContext = (): Context =>
  ({
    awsRequestId: randomUUID(),
    functionName: 'test',
    getRemainingTimeInMillis: () => 10_000,
  }) as unknown as Context;

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Invokes a handler and parses its JSON body (typed loosely: tests assert its shape). */
export async function invoke(
  handler: ProxyHandler,
  event: APIGatewayProxyEvent,
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted by the tests
): Promise<{ status: number; headers: Record<string, string>; body: any }> {
  const res = await handler(event, testContext());
  const headers = Object.fromEntries(
    Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const isJson = /json/.test(headers['content-type'] ?? '');
  return { status: res.statusCode, headers, body: isJson && res.body ? JSON.parse(res.body) : res.body };
}

/** Percent-encodes a path segment; a string that is not valid UTF-16 (a lone surrogate) stays as it is. */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}
