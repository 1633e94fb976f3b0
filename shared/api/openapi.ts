import * as z from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { OperationSpec, ResponseSpec } from '#shared/http/operation.ts';
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

/** Builds the OpenAPI 3.1 document from the operations' zod schemas. */
export function buildOpenApiDocument(
  operations: readonly OperationSpec[],
  info: { version: string; serverUrl?: string },
): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) {
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
    const pathItem = (paths[op.path] ?? {}) as Record<string, unknown>;
    paths[op.path] = pathItem;
    pathItem[op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [...op.tags],
      security: signed ? [{ sigv4: [] }] : [],
      ...(signed ? { 'x-principal-kinds': [...(op.auth as readonly string[])] } : {}),
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
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'referral-exchange API',
      version: info.version,
      description:
        'Consent-based referrals from immigration authorities to migration counselling services. ' +
        'Every operation except the public ones is signed with AWS Signature Version 4 (service `execute-api`). ' +
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
      },
    },
    paths,
  });
}
