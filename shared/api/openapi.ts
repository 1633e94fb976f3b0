import * as z from 'zod';
import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { OperationSpec } from '#shared/http/operation.ts';

/** Builds the OpenAPI 3.1 document from the operations' zod schemas. */
export function buildOpenApiDocument(
  operations: readonly OperationSpec[],
  info: { version: string; serverUrl?: string },
): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of operations) {
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(op.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } }
          : {}),
      };
    }
    const signed = op.auth !== 'public';
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
