import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/manifest.ts';
import { loadDirectory } from '../../shared/directory/index.ts';
import type { OperationSpec } from '../../shared/http/operation.ts';
import { officeQueues } from '../../shared/resources.ts';
import { apiEvent, invoke, type ProxyHandler } from '../support/api-events.ts';
import { useEmulators } from '../support/emulators.ts';

/**
 * Promise 4 (docs/reliability.md): any body, header or path parameter an attacker or a
 * broken client sends gets a 4xx problem+json — never a 5xx, never a write. Every
 * operation is fuzzed through its deployed handler against the real emulators.
 * `npm run battery` runs 10,000 cases per operation; the normal test run a few dozen.
 */
const RUNS = Number(process.env.REX_FUZZ_RUNS ?? 40);
const emu = useEmulators();
const handlers = new Map<string, ProxyHandler>();

const PRINCIPAL_OF_KIND: Record<string, string> = {
  authority: 'authority:abh-lk-karlsruhe',
  service: 'service:mbe-caritas-bruchsal',
  dpo: 'dpo:lk-karlsruhe',
  operator: 'operator',
};

const nasty = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '😀'.repeat(50),
  'a'.repeat(70_000),
  '0000-00-00',
  '2026-02-30',
  '9999-12-31T23:59:59Z',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
);

const deep = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Raw bodies: JSON of any shape, hostile keys and values, broken JSON, duplicate names, deep nesting. */
const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(fc.oneof(nasty, fc.string()), fc.oneof(nasty, fc.jsonValue({ maxDepth: 2 })))
    .map((o) => JSON.stringify(o)),
  fc
    .record({ consentId: nasty, person: fc.dictionary(nasty, nasty), status: nasty })
    .map((o) => JSON.stringify(o)),
  fc.constantFrom(
    '{"a":1,"a":2}',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    deep(200),
    '[',
    'null',
    '',
    '{"givenAt":"2999-01-01T00:00:00Z"}',
    `{"keys":[${'{},'.repeat(5000)}{}]}`,
  ),
  fc.string({ maxLength: 300 }),
);

const params = (op: OperationSpec) => {
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return fc
    .tuple(...names.map(() => fc.oneof(nasty, fc.string({ maxLength: 80 }))))
    .map((values) => Object.fromEntries(names.map((n, i) => [n, values[i] ?? ''])));
};

const headers = fc.record({
  'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
  'idempotency-key': fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 }), nasty),
  accept: fc.constantFrom('application/json', 'text/html', '*/*'),
});

async function countItems(): Promise<number> {
  let total = 0;
  for (const table of [`rex-${emu.stage}-records`, `rex-${emu.stage}-audit`]) {
    const out = await emu.dynamodb.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }),
    );
    total += out.Count ?? 0;
  }
  return total;
}

const operations = functionDefinitions.flatMap((def) =>
  def.kind === 'http' ? def.operations.map((operation) => ({ def, operation })) : [],
);

beforeAll(async () => {
  await emu.createTables();
  for (const def of officeQueues(emu.stage, loadDirectory('config/directory.example.json')))
    await emu.createQueue(def);
  Object.assign(process.env, emu.env());
  for (const { def } of operations) {
    if (!handlers.has(def.id))
      handlers.set(def.id, (await import(`../../${def.entry}`)).handler as ProxyHandler);
  }
});

describe('fuzzing every operation', () => {
  it.each(operations.map(({ def, operation }) => [operation.operationId, def.id, operation] as const))(
    '%s never answers 5xx and never writes',
    async (_id, functionId, operation) => {
      const handler = handlers.get(functionId)!;
      const principal = operation.auth === 'public' ? undefined : PRINCIPAL_OF_KIND[operation.auth[0]!];
      const before = await countItems();
      await fc.assert(
        fc.asyncProperty(bodies, params(operation), headers, async (rawBody, pathParams, h) => {
          const event = apiEvent(operation, {
            ...(principal ? { principal } : {}),
            stage: emu.stage,
            params: pathParams,
            ...(operation.method !== 'GET' ? { rawBody } : {}),
            headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<
              string,
              string
            >,
          });
          event.pathParameters = Object.keys(pathParams).length > 0 ? pathParams : null;
          const res = await invoke(handler, event);
          if (res.status >= 500) throw new Error(`${operation.operationId} answered ${res.status}`);
          if (res.status >= 400) expect(res.headers['content-type']).toBe('application/problem+json');
        }),
        { numRuns: RUNS },
      );
      expect(await countItems()).toBe(before);
    },
  );
});
