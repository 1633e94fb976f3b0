import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '#functions/definitions.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';

/**
 * Promise 6 (docs/reliability.md): every operation × every kind of caller, through the
 * local gateway that verifies SigV4 as API Gateway does. Exactly the cells the operation
 * allows get past authentication and authorisation; the others get 401 or 403. Object
 * access across offices and authorities (404) is tested with each API.
 */
const CALLERS = {
  authority: 'authority:abh-lk-karlsruhe',
  'other authority': 'authority:abh-bruchsal',
  service: 'service:mbe-caritas-bruchsal',
  'other service': 'service:jmd-ib-bruchsal',
  dpo: 'dpo:lk-karlsruhe',
  'authority dpo': 'dpo:abh-bruchsal',
  'provider dpo': 'dpo:caritas-bruchsal',
  operator: 'operator',
} as const;
type Cell = keyof typeof CALLERS | 'no credential' | 'bad signature' | 'stale timestamp' | 'unknown key';
const CELLS: Cell[] = [
  'no credential',
  'bad signature',
  'stale timestamp',
  'unknown key',
  ...(Object.keys(CALLERS) as Cell[]),
];

let platform: RunningPlatform;
beforeAll(async () => {
  platform = await startLocalPlatform(['--no-throttle']);
});
afterAll(async () => {
  await platform?.interrupt();
});

const operations: OperationSpec[] = functionDefinitions.flatMap((d) =>
  d.kind === 'http' ? [...d.operations] : [],
);

function pathOf(op: OperationSpec): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'id' && op.path.startsWith('/v1/services') ? 'mbe-caritas-bruchsal' : 'x',
  );
}

async function call(op: OperationSpec, cell: Cell): Promise<Response> {
  const url = `${platform.apiUrl}${pathOf(op)}`;
  const body = op.body ? '{}' : undefined;
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  const init = { method: op.method, headers, ...(body !== undefined ? { body } : {}) };
  const send = (h: Record<string, string>) => {
    const { host: _host, ...rest } = h;
    return fetch(url, { method: op.method, headers: rest, ...(body !== undefined ? { body } : {}) });
  };
  const region = platform.credentials.region;
  const someone = platform.credential(CALLERS.authority);
  switch (cell) {
    case 'no credential':
      return send(headers);
    case 'bad signature':
      return send(
        await signRequest(url, init, { ...someone, secretAccessKey: `${someone.secretAccessKey}x` }, region),
      );
    case 'stale timestamp':
      return send(
        await signRequest(url, { ...init, signingDate: new Date(Date.now() - 30 * 60_000) }, someone, region),
      );
    case 'unknown key':
      return send(
        await signRequest(
          url,
          init,
          { accessKeyId: 'AKIALOCALNOBODY00000', secretAccessKey: 'x'.repeat(40) },
          region,
        ),
      );
    default:
      return send(await signRequest(url, init, platform.credential(CALLERS[cell]), region));
  }
}

function expected(op: OperationSpec, cell: Cell): 'pass' | 401 | 403 {
  if (op.auth === 'public') return 'pass';
  if (cell === 'no credential') return 401;
  if (cell === 'bad signature' || cell === 'stale timestamp' || cell === 'unknown key') return 403;
  const kind = CALLERS[cell].split(':')[0] as 'authority' | 'service' | 'dpo' | 'operator';
  // A provider's DPO may not compute pseudonyms (docs/dpo-guide.md, "Scoped data-protection officers").
  if (op.operationId === 'lookupAuditSubject' && cell === 'provider dpo') return 403;
  return op.auth.includes(kind) ? 'pass' : 403;
}

describe('the authorisation matrix', () => {
  it.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))('%s', async (_name, op) => {
    const outcomes: string[] = [];
    for (const cell of CELLS) {
      const res = await call(op, cell);
      const want = expected(op, cell);
      const got = res.status === 401 || res.status === 403 ? res.status : 'pass';
      if (res.status >= 500) outcomes.push(`${cell}: ${res.status}`);
      else if (got !== want) outcomes.push(`${cell}: expected ${want}, got ${res.status}`);
      if (res.status === 401 || res.status === 403) {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
      await res.arrayBuffer();
    }
    expect(outcomes).toEqual([]);
  });
});

describe('mass assignment of server-set fields', () => {
  it('refuses status, recipient, timestamps and subject id in creating requests', async () => {
    const consent = await platform.request(CALLERS.authority, '/v1/consents', {
      method: 'POST',
      headers: { 'idempotency-key': 'mass-assignment-1' },
      body: {
        status: 'withdrawn',
        recordedBy: 'authority:x',
        subjectId: 'sub_x',
        createdAt: '2020-01-01T00:00:00Z',
        id: 'con_x',
      },
    });
    expect(consent.status).toBe(400);
    const fields = ((await consent.json()) as { errors: { field: string; reason: string }[] }).errors
      .filter((e) => e.reason === 'unknown property')
      .map((e) => e.field)
      .sort();
    expect(fields).toEqual(['createdAt', 'id', 'recordedBy', 'status', 'subjectId']);

    const referral = await platform.request(CALLERS.authority, '/v1/referrals', {
      method: 'POST',
      headers: { 'idempotency-key': 'mass-assignment-2' },
      body: {
        status: 'received',
        serviceOfficeId: 'mbe-caritas-bruchsal',
        authorityId: 'abh-bruchsal',
        subjectId: 'sub_x',
      },
    });
    expect(referral.status).toBe(400);
    const referralFields = ((await referral.json()) as { errors: { field: string; reason: string }[] }).errors
      .filter((e) => e.reason === 'unknown property')
      .map((e) => e.field)
      .sort();
    expect(referralFields).toEqual(['authorityId', 'serviceOfficeId', 'status', 'subjectId']);
  });
});
