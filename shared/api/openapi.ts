import * as z from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { OperationSpec, ResponseSpec } from '#shared/http/operation.ts';
import { hasPeopleTwin, PEOPLE_PATH_PREFIX, peoplePath, personKindsOf } from '#shared/http/people.ts';
import { problems } from './responses.ts';

/**
 * The answers any operation can give besides its own: 400 (a malformed path, query,
 * header or body, unknown query parameters, a GET with a body), 429, 500 and 503; a
 * signed one also 401 and 403.
 */
function answersOfEvery(signed: boolean): Record<number, ResponseSpec> {
  const every: Record<number, ResponseSpec> = {
    400: problems[400],
    429: problems[429],
    500: problems[500],
    503: problems[503],
  };
  if (signed) Object.assign(every, { 401: problems[401], 403: problems[403] });
  return every;
}

/** The operation id of an operation's twin in the people's tree (OpenAPI ids are unique). */
export const peopleOperationId = (op: OperationSpec): string => `${op.operationId}AsPerson`;

/** One operation as an OpenAPI operation object, for programs (SigV4) or for people (sign-in token). */
function operationObject(op: OperationSpec, tree: 'programs' | 'people'): Record<string, unknown> {
  const signed = op.auth !== 'public';
  const responses: Record<string, unknown> = {};
  // What the declared answers do not name but every operation can answer.
  for (const [status, spec] of Object.entries({ ...answersOfEvery(signed), ...op.responses })) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema
        ? {
            content: {
              [spec.contentType ?? 'application/json']: { schema: spec.schema },
              ...spec.alternatives,
            },
          }
        : {}),
    };
  }
  const people = tree === 'people';
  return {
    operationId: people ? peopleOperationId(op) : op.operationId,
    summary: op.summary,
    ...(people
      ? {
          description: `${op.description ? `${op.description}\n\n` : ''}The twin of \`${op.operationId}\` for signed-in people: the same operation and rules, authorised by the person's ID token instead of a SigV4 signature.`,
        }
      : op.description
        ? { description: op.description }
        : {}),
    tags: [...op.tags],
    security: !signed ? [] : people ? [{ signIn: [] }] : [{ sigv4: [] }],
    ...(signed
      ? { 'x-principal-kinds': people ? personKindsOf(op) : [...(op.auth as readonly string[])] }
      : {}),
    requestParams: {
      ...(op.params ? { path: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.idempotencyKey
        ? {
            header: z.object({
              'Idempotency-Key': z.string().min(8).max(128).meta({
                description:
                  'Chosen by the client, unique per intended creation; a retry with the same key and body returns the first response.',
              }),
            }),
          }
        : {}),
    },
    ...(op.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: op.body } } } }
      : {}),
    responses,
  };
}

/**
 * Builds the OpenAPI 3.1 document from the operations' zod schemas: every operation
 * under its own path for programs, and the operations people use a second time under
 * `/people` (shared/http/people.ts), authorised by a sign-in token.
 */
export function buildOpenApiDocument(
  operations: readonly OperationSpec[],
  info: {
    version: string;
    serverUrl?: string;
    /** The OpenID provider people sign in with; absent: the sign-in scheme is a plain Bearer JWT. */
    signInIssuer?: string;
  },
): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  const add = (path: string, op: OperationSpec, tree: 'programs' | 'people') => {
    const pathItem = (paths[path] ?? {}) as Record<string, unknown>;
    paths[path] = pathItem;
    pathItem[op.method.toLowerCase()] = operationObject(op, tree);
  };
  for (const op of operations) add(op.path, op, 'programs');
  for (const op of operations) if (hasPeopleTwin(op)) add(peoplePath(op), op, 'people');
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'referral-exchange API',
      version: info.version,
      description:
        'Consent-based referrals from immigration authorities to migration counselling services. ' +
        'Programs sign every operation except the public ones with AWS Signature Version 4 (service `execute-api`). ' +
        `People signed in with OpenID Connect call the operations they may use under \`${PEOPLE_PATH_PREFIX}\` (e.g. \`${PEOPLE_PATH_PREFIX}/v1/whoami\`) with their ID token as \`Authorization: Bearer\`. ` +
        'Errors are RFC 9457 problem+json.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (x-amazon-apigateway-authtype: awsSigv4).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        signIn: info.signInIssuer
          ? {
              type: 'openIdConnect',
              openIdConnectUrl: `${info.signInIssuer}/.well-known/openid-configuration`,
              description: `The ID token of a person signed in at this deployment's OpenID provider, as \`Authorization: Bearer <ID token>\`; only under \`${PEOPLE_PATH_PREFIX}\`.`,
            }
          : {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description: `The ID token of a person signed in at this deployment's OpenID provider; only under \`${PEOPLE_PATH_PREFIX}\`.`,
            },
      },
    },
    paths,
  });
}
