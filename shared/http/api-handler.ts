import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod';
import {
  type FieldIssue,
  Forbidden,
  InvalidRequest,
  PayloadTooLarge,
  Unauthenticated,
  UnsupportedMediaType,
} from '#shared/domain/errors.ts';
import { fieldErrorMap, UNKNOWN_PROPERTY, zodFieldIssues } from '#shared/domain/field-path.ts';
import {
  formatPrincipal,
  type Principal,
  type PrincipalResolver,
  type TokenClaims,
} from '#shared/identity/principal.ts';
import { countMetric, logger } from '#shared/observability.ts';
import { documentCsp } from './html-document.ts';
import { parseJsonBody } from './json.ts';
import { DEFAULT_MAX_BODY_BYTES, type OperationSpec } from './operation.ts';
import { hasPeopleTwin, PEOPLE_PATH_PREFIX, splitResource } from './people.ts';
import { problem, problemFromError, problemResponse } from './problem.ts';

export interface ApiRequest<Body = unknown, Params = unknown, Query = unknown> {
  readonly body: Body;
  readonly params: Params;
  readonly query: Query;
  /** Undefined only for public operations. */
  readonly principal: Principal | undefined;
  readonly idempotencyKey: string | undefined;
  readonly requestId: string;
  /** Lower-cased request headers. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Defaults to application/json; a string body is sent as is. */
  readonly contentType?: string;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Route<
  B extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
> {
  readonly operation: OperationSpec<B, P, Q>;
  readonly handle: (request: ApiRequest<Infer<B>, Infer<P>, Infer<Q>>) => Promise<ApiResult>;
  /**
   * A finer rule than the operation's principal kinds, checked right after them and
   * before the request is validated (throws `Forbidden`): e.g. which DPO scopes may
   * use the subject lookup.
   */
  readonly admit?: (principal: Principal | undefined) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of routes
export type AnyRoute = Route<any, any, any>;

/** Binds an operation to its implementation with full typing of body, params and query. */
export function route<
  B extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
>(
  operation: OperationSpec<B, P, Q>,
  handle: Route<B, P, Q>['handle'],
  options: { readonly admit?: Route<B, P, Q>['admit'] } = {},
): Route<B, P, Q> {
  return { operation, handle, ...options };
}

export interface ApiHandlerDependencies {
  /** Resolves the caller from the IAM identity or a signed-in person's claims; built once per cold start. */
  readonly principals: () => PrincipalResolver;
  /** The pseudonymous id of a signed-in person (docs/sign-in.md); absent: people cannot sign in. */
  readonly personId?: (issuer: string, subject: string) => Promise<string>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,128}$/;

function lowerCaseHeaders(headers: APIGatewayProxyEvent['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

/**
 * The caller, from the credential only: the IAM identity of a SigV4 request under
 * `/v1/…`, or under `/people/v1/…` the claims of a signed-in person's ID token that the
 * authorizer verified (API Gateway's Cognito authorizer; locally the gateway). Each tree
 * takes its own kind of credential only. Both become the same principal, so every rule
 * after this point is one code path.
 */
async function authorize(
  operation: OperationSpec,
  event: APIGatewayProxyEvent,
  deps: ApiHandlerDependencies,
  people: boolean,
): Promise<Principal | undefined> {
  if (operation.auth === 'public') return undefined;
  const found = (event.requestContext?.authorizer as { claims?: TokenClaims } | null | undefined)?.claims;
  const claims = found && typeof found === 'object' ? found : undefined;
  const arn = event.requestContext?.identity?.userArn;
  let principal: Principal | undefined;
  if (people !== (claims !== undefined)) {
    throw new Unauthenticated(
      people
        ? `A sign-in token is required under ${PEOPLE_PATH_PREFIX}/.`
        : `Requests under /v1/ are signed with SigV4; people call ${PEOPLE_PATH_PREFIX}/v1/… with their sign-in token.`,
    );
  }
  if (claims) {
    const unit = deps.principals().resolvePerson(claims);
    if (!unit || !deps.personId || !claims.iss || !claims.sub)
      throw new Forbidden('The signed-in person is not listed in the directory of this deployment.');
    principal = { ...unit, personId: await deps.personId(claims.iss, claims.sub) };
  } else {
    if (!arn) throw new Unauthenticated('A signed request is required.');
    principal = deps.principals().resolve(arn);
  }
  if (!principal)
    throw new Forbidden('The calling identity is not mapped to a principal of this deployment.');
  if (!operation.auth.includes(principal.kind)) {
    throw new Forbidden(`This operation is not available to ${principal.kind} principals.`);
  }
  return principal;
}

function parseBody(
  operation: OperationSpec,
  event: APIGatewayProxyEvent,
  headers: Record<string, string>,
): unknown {
  const limit = operation.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > limit) throw new PayloadTooLarge(limit);
  if (!operation.body) {
    if (text.length > 0)
      throw new InvalidRequest([{ field: '(body)', reason: 'this operation takes no body' }]);
    return undefined;
  }
  // An absent body is validated as an empty object: its required members are then
  // named one by one, and an operation whose members are all optional needs none.
  if (text.length === 0) return {};
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new UnsupportedMediaType('The body must be sent as application/json.');
  }
  return parseJsonBody(text);
}

/** The headers a SigV4 signature covers (Authorization header or presigned query), if signed so. */
function signedHeaders(headers: Record<string, string>, event: APIGatewayProxyEvent): string[] | undefined {
  const fromHeader = /SignedHeaders=([^,\s]+)/.exec(headers.authorization ?? '')?.[1];
  const list = fromHeader ?? event.queryStringParameters?.['X-Amz-SignedHeaders'];
  return list?.toLowerCase().split(';');
}

function validate(
  schema: z.ZodType | undefined,
  value: unknown,
  prefix: readonly string[],
  issues: FieldIssue[],
): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value, { error: fieldErrorMap });
  if (result.success) return result.data;
  issues.push(...zodFieldIssues(result.error.issues, prefix));
  return undefined;
}

/** On every answer: no content sniffing, no referrer. */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
/**
 * A document the API renders (the access report, the consent receipt, the record of
 * processing; shared/http/html-document.ts): its one style sheet by hash, no script, no
 * framing, nothing loaded from elsewhere.
 */
const HTML_CSP = documentCsp();

function respond(result: ApiResult): APIGatewayProxyResult {
  const isText = typeof result.body === 'string';
  return {
    statusCode: result.status,
    headers: {
      'content-type': result.contentType ?? 'application/json',
      'cache-control': 'no-store',
      ...SECURITY_HEADERS,
      ...(result.contentType?.startsWith('text/html') ? { 'content-security-policy': HTML_CSP } : {}),
      ...result.headers,
    },
    body: result.body === undefined ? '' : isText ? (result.body as string) : JSON.stringify(result.body),
  };
}

/**
 * Builds the Lambda handler of one function from its routes. Everything a request
 * goes through before and after the domain lives here, once: principal from the
 * credential, operation permissions, body size and media type, schema validation
 * of body, path and query, the Idempotency-Key header, and the mapping of errors to
 * RFC 9457 problem+json. Handlers only map a valid request to one domain call.
 */
export function apiHandler(routes: readonly AnyRoute[], deps: ApiHandlerDependencies) {
  const byKey = new Map(routes.map((r) => [`${r.operation.method} ${r.operation.path}`, r]));

  const dispatch = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const { people, path } = splitResource(event.resource ?? '');
    const match = byKey.get(`${event.httpMethod} ${path}`);
    if (!match || (people && !hasPeopleTwin(match.operation))) {
      return problemResponse({ ...problem(404, 'not-found', 'No such operation.'), instance: requestId });
    }
    const { operation } = match;
    logger.appendKeys({ operationId: operation.operationId, requestId });
    try {
      const principal = await authorize(operation, event, deps, people);
      if (principal) logger.appendKeys({ principal: formatPrincipal(principal) });
      match.admit?.(principal);
      const headers = lowerCaseHeaders(event.headers);
      const rawBody = parseBody(operation, event, headers);
      const issues: FieldIssue[] = [];
      const idempotencyKey = headers['idempotency-key'];
      if (operation.idempotencyKey) {
        if (idempotencyKey === undefined)
          issues.push({ field: 'Idempotency-Key', reason: 'header is required' });
        else if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
          issues.push({ field: 'Idempotency-Key', reason: 'must be 8–128 visible ASCII characters' });
        } else if (signedHeaders(headers, event)?.includes('idempotency-key') === false) {
          // An unsigned key could be swapped on a captured request to replay its effect.
          issues.push({ field: 'Idempotency-Key', reason: 'must be among the signed headers' });
        }
      }
      const params = validate(operation.params, event.pathParameters ?? {}, ['path'], issues);
      const rawQuery = event.queryStringParameters ?? {};
      const query = validate(operation.query, rawQuery, ['query'], issues);
      // An operation without a query schema takes no query parameters (docs/api.md).
      if (!operation.query) {
        for (const name of Object.keys(rawQuery)) {
          // A name is echoed only when it looks like one: nothing a client typed as data comes back.
          const field = /^[A-Za-z][A-Za-z0-9_-]{0,40}$/.test(name) ? `query.${name}` : 'query';
          issues.push({ field, reason: UNKNOWN_PROPERTY });
        }
      }
      const body = validate(operation.body, rawBody, [], issues);
      if (issues.length > 0) throw new InvalidRequest(issues);

      const result = await match.handle({
        body,
        params,
        query,
        principal,
        idempotencyKey: operation.idempotencyKey ? idempotencyKey : undefined,
        requestId,
        headers,
      });
      countMetric('ApiSuccess');
      logger.info('request completed', { status: result.status });
      return respond(result);
    } catch (error) {
      const body = problemFromError(error, requestId);
      if (body.status >= 500) {
        countMetric('ApiFault');
        // The error name and stack point to the code; messages of foreign errors may
        // quote input and are therefore not logged.
        logger.error('request failed', {
          status: body.status,
          errorName: error instanceof Error ? error.name : typeof error,
          stack: error instanceof Error ? error.stack?.split('\n').slice(1, 6).join('\n') : undefined,
        });
      } else {
        countMetric('ApiClientError');
        logger.info('request refused', { status: body.status, problemType: body.type });
      }
      const retryAfter = body.retryAfterSeconds;
      return problemResponse(
        body,
        typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {},
      );
    } finally {
      logger.removeKeys(['operationId', 'requestId', 'principal']);
    }
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(dispatch);
}
