import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '#functions/definitions.ts';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { authorityQueues, officeQueues } from '#shared/resources.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { useEmulators } from '#test/support/emulators.ts';
import { recordFigures } from '#test/support/reliability.ts';

/**
 * Promise 4 (docs/reliability.md): any body, header, path or query parameter an attacker or a
 * broken client sends gets a 4xx problem+json — never a 5xx, never a write. Every
 * operation is fuzzed through its deployed handler against the real emulators.
 * `npm run battery` runs 10,000 cases per operation; the normal test run 200.
 */
const RUNS = Number(process.env.REX_FUZZ_RUNS ?? 200);
/** Operations that read DynamoDB on a valid-looking request take ~12 ms a case on 2 cores. */
const TIMEOUT = Math.max(120_000, RUNS * 40);
/** Answers by operation and status code, for the battery's report. */
const answers = new Map<string, Map<number, number>>();
// A DynamoDB Local of its own, so its pace does not depend on what ran before (docs/reliability.md).
const emu = useEmulators({ ownDynamoDb: true });
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

/**
 * Query strings: the operation's own parameter names (read from its zod schema) and
 * others, with hostile values, numbers, base64 garbage where cursors go, and values
 * that pass one check but not the next (a valid pseudonym, an instant, an enum member).
 */
const queryValue = fc.oneof(
  nasty,
  fc.string({ maxLength: 80 }),
  fc.integer().map(String),
  fc.base64String({ maxLength: 200 }),
  fc.constantFrom('', '0', '-1', '1e9', '9007199254740993', 'asc', 'desc', 'json', 'html'),
  fc.constantFrom('referral.accepted', '2026-01-01T00:00:00Z', `sub_${'a'.repeat(64)}`, 'eyJ9', 'e30'),
);
const query = (op: OperationSpec) => {
  const shape = (op.query as { shape?: Record<string, unknown> } | undefined)?.shape;
  const names = fc.constantFrom(...Object.keys(shape ?? {}), '__proto__', 'constructor', 'limit');
  return fc.option(fc.dictionary(fc.oneof(names, fc.string({ maxLength: 20 })), queryValue, { maxKeys: 6 }), {
    nil: undefined,
  });
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

afterAll(() => {
  const total = (status: (code: number) => boolean) =>
    [...answers.values()].reduce(
      (n, byStatus) => n + [...byStatus].filter(([code]) => status(code)).reduce((m, [, k]) => m + k, 0),
      0,
    );
  recordFigures('fuzz', {
    promise: 'Bad input never causes a 5xx or a write',
    sizes: { runsPerOperation: RUNS, operations: answers.size },
    outcome: {
      cases: total(() => true),
      answered4xx: total((c) => c >= 400 && c < 500),
      answered5xx: total((c) => c >= 500),
      answered2xx: total((c) => c < 300),
    },
    statusesByOperation: Object.fromEntries(
      [...answers].map(([id, byStatus]) => [id, Object.fromEntries([...byStatus].sort(([a], [b]) => a - b))]),
    ),
  });
});

beforeAll(async () => {
  await emu.createTables();
  for (const def of officeQueues(emu.stage, loadDirectory('config/directory.example.json')))
    await emu.createQueue(def);
  for (const def of authorityQueues(emu.stage, loadDirectory('config/directory.example.json')))
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
    { timeout: TIMEOUT },
    async (operationId, functionId, operation) => {
      const byStatus = new Map<number, number>();
      answers.set(operationId, byStatus);
      const handler = handlers.get(functionId)!;
      const principal = operation.auth === 'public' ? undefined : PRINCIPAL_OF_KIND[operation.auth[0]!];
      const before = await countItems();
      await fc.assert(
        fc.asyncProperty(
          bodies,
          params(operation),
          query(operation),
          headers,
          async (rawBody, pathParams, q, h) => {
            const event = apiEvent(operation, {
              ...(principal ? { principal } : {}),
              stage: emu.stage,
              params: pathParams,
              ...(q ? { query: q } : {}),
              ...(operation.method !== 'GET' ? { rawBody } : {}),
              headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as Record<
                string,
                string
              >,
            });
            event.pathParameters = Object.keys(pathParams).length > 0 ? pathParams : null;
            const res = await invoke(handler, event);
            byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
            if (res.status >= 500) throw new Error(`${operation.operationId} answered ${res.status}`);
            if (res.status >= 400) expect(res.headers['content-type']).toBe('application/problem+json');
          },
        ),
        { numRuns: RUNS },
      );
      expect(await countItems()).toBe(before);
    },
  );
});
