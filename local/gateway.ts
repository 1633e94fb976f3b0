import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PlatformError } from '#local/emulators/process-tools.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { hasPeopleTwin, PEOPLE_PATH_PREFIX, peoplePath } from '#shared/http/people.ts';
import { PROBLEM_CONTENT_TYPE, problem, problemResponse } from '#shared/http/problem.ts';
import { sessionAdmitted } from '#shared/identity/principal.ts';
import { lambdaContext } from './lambda-context.ts';
import { verifySigV4 } from './sigv4-verify.ts';
import { TokenBucket } from './throttle.ts';
import type { TokenVerifier } from './token-verify.ts';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface GatewayRoute {
  readonly operation: OperationSpec;
  readonly functionName: string;
  readonly handler: () => Promise<ProxyHandler>;
}

export interface GatewayCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly userArn: string;
  /** The session's tags, as STS would have set them (a service office: `rex-office`). */
  readonly sessionTags?: Readonly<Record<string, string>>;
}

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /**
   * The stage, served as the first path segment as API Gateway's default endpoint does
   * (`/<stage>/v1/…`); the signature covers that full path.
   */
  readonly stage: string;
  readonly routes: readonly GatewayRoute[];
  readonly credential: (accessKeyId: string) => GatewayCredential | undefined;
  /**
   * Verifies a signed-in person's ID token (`Authorization: Bearer …`), as the Cognito
   * authorizer does in AWS (docs/sign-in.md); absent: only SigV4 is accepted.
   */
  readonly bearer?: () => TokenVerifier | undefined;
  /** The API Gateway payload limit. */
  readonly maxBodyBytes?: number;
  /** Stage throttling as deployed; absent: none. */
  readonly throttle?: { readonly ratePerSecond: number; readonly burst: number };
  readonly now?: () => Date;
}

interface CompiledRoute extends GatewayRoute {
  /** The API Gateway resource path: the operation's, or its twin's in the people's tree. */
  readonly resource: string;
  /** Served to signed-in people (Bearer ID token) rather than to programs (SigV4). */
  readonly people: boolean;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(route: GatewayRoute, people: boolean): CompiledRoute {
  const names: string[] = [];
  const resource = people ? peoplePath(route.operation) : route.operation.path;
  const source = resource
    .split('/')
    .map((segment) => {
      const m = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, resource, people, pattern: new RegExp(`^${source}$`), names };
}

const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve('too-large');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String).join(', ');
  res.writeHead(result.statusCode, headers);
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The `Host` values the gateway serves: the address it listens on with its port, and for a
 * loopback address both loopback names. A page on another origin resolving to this
 * machine (DNS rebinding) sends its own name and is refused; so is a request signed for
 * another host. Listening on every interface (`0.0.0.0`, `::`), any name with the port.
 */
export function servesHost(listenHost: string, port: number, hostHeader: string | undefined): boolean {
  const m = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/i.exec(hostHeader ?? '');
  if (!m || Number(m[2]) !== port) return false;
  const name = m[1]!.toLowerCase();
  const listening = listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
  if (listening === '0.0.0.0' || listening === '[::]') return true;
  if (LOOPBACK.has(listening.toLowerCase())) return LOOPBACK.has(name);
  return name === listening.toLowerCase();
}

function percentDecodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Answers what Node's HTTP parser refuses before a request exists — headers above the
 * limit (431), a method or request line it cannot parse (400) — with a problem document
 * instead of Node's empty body.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problem(431, 'request-header-fields-too-large', 'The request headers are too large.')
      : problem(400, 'invalid-request', 'The request is not valid HTTP/1.1.', {
          errors: [{ field: '(request line)', reason: 'not a method, target and version this API reads' }],
        }),
  );
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * The local stand-in for API Gateway (REST API, Lambda proxy integration): matches the
 * route, verifies the credential the route's tree takes — a SigV4 signature against the
 * local credentials under `/v1/…` (IAM auth), a signed-in person's ID token under
 * `/people/v1/…` (the Cognito user-pool authorizer) — builds the same event API Gateway
 * sends, with the caller's IAM identity or the token's claims where API Gateway puts
 * them, and invokes the same handler module that is deployed.
 */
export function createGateway(options: GatewayOptions): Server {
  const routes = [
    ...options.routes.map((r) => compile(r, false)),
    ...options.routes.filter((r) => hasPeopleTwin(r.operation)).map((r) => compile(r, true)),
  ];
  const now = options.now ?? (() => new Date());
  // The stage's throttle is deployed as the `/*/*` method setting, which API Gateway applies
  // to each method on its own: one bucket per method and resource, not one for the stage.
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (route: CompiledRoute): TokenBucket | undefined => {
    const limits = options.throttle;
    if (!limits) return undefined;
    const key = `${route.operation.method} ${route.resource}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(limits.ratePerSecond, limits.burst);
      buckets.set(key, bucket);
    }
    return bucket;
  };

  const stagePrefix = `/${options.stage}`;
  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      const invalid = (field: string, reason: string, detail: string) =>
        send(
          res,
          problemResponse({
            ...problem(400, 'invalid-request', detail, { errors: [{ field, reason }] }),
            instance: requestId,
          }),
        );
      if (!servesHost(options.host, req.socket.localPort ?? options.port, req.headers.host)) {
        req.resume();
        return invalid('Host', 'not the host this API is served at', 'The request names another host.');
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      if (!percentDecodes(url.pathname)) {
        req.resume();
        return invalid('path', 'malformed percent-encoding', 'The path is not valid.');
      }
      // As API Gateway's default endpoint: the stage is the first segment; the routes and
      // the event's `path` are below it, `requestContext.path` and the signature include it.
      const inStage = url.pathname.startsWith(`${stagePrefix}/`);
      const path = inStage ? url.pathname.slice(stagePrefix.length) : '';
      const pathMatches = routes
        .map((r) => ({ r, m: inStage ? r.pattern.exec(path) : null }))
        .filter((x): x is { r: CompiledRoute; m: RegExpExecArray } => x.m !== null);
      if (pathMatches.length === 0) {
        return send(
          res,
          problemResponse({
            ...problem(
              404,
              'not-found',
              inStage ? 'No such resource.' : `No such resource; the API is served under ${stagePrefix}/.`,
            ),
            instance: requestId,
          }),
        );
      }
      const hit = pathMatches.find((x) => x.r.operation.method === method);
      if (!hit) {
        const allowed = [...new Set(pathMatches.map((x) => x.r.operation.method))].join(', ');
        return send(
          res,
          problemResponse(
            { ...problem(405, 'method-not-allowed', `Allowed: ${allowed}.`), instance: requestId },
            { allow: allowed },
          ),
        );
      }
      const wait = bucketOf(hit.r)?.take() ?? 0;
      if (wait > 0) {
        req.resume();
        return send(
          res,
          problemResponse(
            { ...problem(429, 'too-many-requests', 'Too many requests; retry later.'), instance: requestId },
            { 'retry-after': String(wait) },
          ),
        );
      }
      const body = await readBody(req, options.maxBodyBytes ?? API_GATEWAY_MAX_BODY);
      if (body === 'too-large') {
        return send(
          res,
          problemResponse({
            ...problem(413, 'payload-too-large', 'The request body is too large.'),
            instance: requestId,
          }),
        );
      }
      const headers: Record<string, string> = {};
      const multiValueHeaders: Record<string, string[]> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!.toLowerCase();
        const value = req.rawHeaders[i + 1]!;
        headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
        multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
      }
      const bodyText = body.toString('utf8');

      let identity: { userArn: string; accessKey: string } | undefined;
      let claims: Readonly<Record<string, string>> | undefined;
      const bearer = /^Bearer +(\S+)$/i.exec(headers.authorization ?? '');
      const wrongKind = (detail: string) =>
        send(
          res,
          problemResponse(
            { ...problem(401, 'unauthenticated', detail), instance: requestId },
            hit.r.people ? { 'www-authenticate': 'Bearer' } : {},
          ),
        );
      if (hit.r.operation.auth === 'public') {
        // No credential is checked, as on a method without authorisation.
      } else if (hit.r.people) {
        // The Cognito authorizer reads the Authorization header as the ID token, nothing else.
        if (!bearer) return wrongKind(`A sign-in token is required under ${PEOPLE_PATH_PREFIX}/.`);
        const verify = options.bearer?.();
        const verified = verify
          ? await verify(bearer[1]!)
          : ({ ok: false, status: 401, code: 'invalid-token', detail: 'Sign-in is not enabled.' } as const);
        if (!verified.ok) {
          return send(
            res,
            problemResponse(
              { ...problem(verified.status, verified.code, verified.detail), instance: requestId },
              { 'www-authenticate': 'Bearer error="invalid_token"' },
            ),
          );
        }
        claims = verified.claims;
      } else if (bearer) {
        return wrongKind(
          `Requests under /v1/ are signed with SigV4; people call ${PEOPLE_PATH_PREFIX}/v1/… with their sign-in token.`,
        );
      } else {
        const verified = await verifySigV4(
          {
            method,
            host: headers.host ?? '',
            path: url.pathname,
            query: url.searchParams,
            headers,
            body: bodyText,
          },
          options.credential,
          { region: options.region, now: now() },
        );
        if (!verified.ok) {
          return send(
            res,
            problemResponse({
              ...problem(verified.status, verified.code, verified.detail),
              instance: requestId,
            }),
          );
        }
        // STS would not have issued this session: an offices' role admits a session only
        // under the name of its office tag (the role's trust policy in AWS).
        if (!sessionAdmitted(options.stage, verified.credential.userArn, verified.credential.sessionTags)) {
          return send(
            res,
            problemResponse({
              ...problem(403, 'forbidden', "The session's office tag does not match its session name."),
              instance: requestId,
            }),
          );
        }
        identity = { userArn: verified.credential.userArn, accessKey: verified.credential.accessKeyId };
      }

      const pathParameters: Record<string, string> = {};
      hit.r.names.forEach((name, i) => {
        pathParameters[name] = decodeURIComponent(hit.m[i + 1]!);
      });
      const query: Record<string, string> = {};
      const multiQuery: Record<string, string[]> = {};
      for (const [k, v] of url.searchParams) {
        query[k] = v;
        multiQuery[k] = [...(multiQuery[k] ?? []), v];
      }
      const event: APIGatewayProxyEvent = {
        resource: hit.r.resource,
        path,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: url.searchParams.size > 0 ? query : null,
        multiValueQueryStringParameters: url.searchParams.size > 0 ? multiQuery : null,
        pathParameters: hit.r.names.length > 0 ? pathParameters : null,
        stageVariables: null,
        body: body.length > 0 ? bodyText : null,
        isBase64Encoded: false,
        requestContext: {
          accountId: options.accountId,
          apiId: 'local',
          // Where API Gateway's Cognito user-pool authorizer puts a verified token's claims.
          authorizer: claims ? { claims } : null,
          protocol: `HTTP/${req.httpVersion}`,
          httpMethod: method,
          path: url.pathname,
          stage: options.stage,
          requestId,
          requestTimeEpoch: Date.now(),
          resourceId: 'local',
          resourcePath: hit.r.resource,
          identity: {
            accessKey: identity?.accessKey ?? null,
            accountId: identity ? options.accountId : null,
            apiKey: null,
            apiKeyId: null,
            caller: identity ? identity.userArn.split('/').slice(1).join(':') : null,
            clientCert: null,
            cognitoAuthenticationProvider: null,
            cognitoAuthenticationType: null,
            cognitoIdentityId: null,
            cognitoIdentityPoolId: null,
            principalOrgId: null,
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            user: identity ? identity.userArn.split('/').slice(1).join(':') : null,
            userAgent: headers['user-agent'] ?? null,
            userArn: identity?.userArn ?? null,
          },
        },
      };
      const handler = await hit.r.handler();
      const result = await handler(
        event,
        lambdaContext(hit.r.functionName, options.region, options.accountId),
      );
      send(res, result);
    } catch (error) {
      // As API Gateway does when the integration fails: a 502 without details.
      console.error(`gateway: the handler failed (${error instanceof Error ? error.name : 'unknown'})`);
      if (!res.headersSent) {
        send(
          res,
          problemResponse({ ...problem(502, 'bad-gateway', 'The function failed.'), instance: requestId }),
        );
      } else res.end();
    }
  });
  server.on('clientError', answerClientError);
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  // Keep idle connections longer than clients do (Node's default of 5 s races with
  // clients reusing a socket, which then fails with a reset), as load balancers do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PlatformError(
              `Port ${port} on ${host} for the API is already in use: stop whatever uses it, or start with --port <another>.`,
            )
          : error,
      ),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
