import { describe, expect, it } from 'vitest';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument, peopleOperationId } from '#shared/api/openapi.ts';
import { hasPeopleTwin, peoplePath } from '#shared/http/people.ts';

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

  it("describes the people's tree: each operation people use under /people, with the sign-in scheme", () => {
    const twins = operations.filter(hasPeopleTwin);
    expect(twins.length).toBeGreaterThan(0);
    for (const op of operations) {
      const twin = (doc.paths![peoplePath(op)] as Record<string, Record<string, unknown>> | undefined)?.[
        op.method.toLowerCase()
      ];
      if (!hasPeopleTwin(op)) {
        expect(twin, op.operationId).toBeUndefined();
        continue;
      }
      expect(twin, op.operationId).toMatchObject({
        operationId: peopleOperationId(op),
        security: [{ signIn: [] }],
      });
      expect(twin!['x-principal-kinds']).not.toContain('operator');
      expect(entry(op.path, op.method.toLowerCase())).toMatchObject({ security: [{ sigv4: [] }] });
    }
    const ids = Object.values(doc.paths!).flatMap((item) =>
      Object.values(item as Record<string, { operationId: string }>).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.components?.securitySchemes?.signIn).toMatchObject({ type: 'http', scheme: 'bearer' });
    const withIssuer = buildOpenApiDocument(operations, {
      version: 't',
      signInIssuer: 'https://idp.example',
    });
    expect(withIssuer.components?.securitySchemes?.signIn).toMatchObject({
      type: 'openIdConnect',
      openIdConnectUrl: 'https://idp.example/.well-known/openid-configuration',
    });
  });
});
