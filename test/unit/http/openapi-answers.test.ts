import { describe, expect, it } from 'vitest';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';

/** The OpenAPI document names every status and media type an operation can answer. */

const doc = buildOpenApiDocument(operations, { version: 'test' });
const entry = (path: string, method: string) =>
  (doc.paths![path] as Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>)[
    method
  ]!;

describe('OpenAPI answers', () => {
  it('lists 400, 429, 500 and 503 for every operation, and 401 and 403 for every signed one, as problem+json', () => {
    for (const op of operations) {
      const { responses } = entry(op.path, op.method.toLowerCase());
      const expected = ['400', '429', '500', '503', ...(op.auth === 'public' ? [] : ['401', '403'])];
      for (const status of expected) {
        // An answer the operation declares itself (the health report's 503) keeps its own body.
        const own = (op.responses as Record<string, { contentType?: string }>)[status];
        const type = own ? (own.contentType ?? 'application/json') : 'application/problem+json';
        expect(responses[status]?.content, `${op.operationId} ${status}`).toHaveProperty([type]);
      }
    }
  });

  it('documents the printable access report as text/html beside JSON', () => {
    const report = operations.find((o) => o.operationId === 'getAccessReport')!;
    const content = entry(report.path, report.method.toLowerCase()).responses['200']?.content ?? {};
    expect(Object.keys(content).sort()).toEqual(['application/json', 'text/html']);
  });
});
