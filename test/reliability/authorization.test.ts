import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionDefinitions } from '#functions/definitions.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';
import { type RunningPlatform, startLocalPlatform } from '#test/support/local-platform.ts';
import { consentRequest, randomAzrNumber, referralRequest } from '#test/support/sample-requests.ts';
import { until } from '#test/support/wait.ts';

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

/**
 * The erasure operations on a real erasure request, for every kind of caller: who may
 * record and follow it, what each sees (an authority its own referrals' recipients, a DPO
 * what its scope covers, anything else of another scope: 404), and who may confirm.
 */
describe('the erasure operations, object by object', () => {
  type Caller = keyof typeof CALLERS;
  const json = async (res: Response) => {
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  const as = (caller: Caller, path: string, init: { method?: string; body?: unknown; key?: boolean } = {}) =>
    platform
      .request(CALLERS[caller], path, {
        method: init.method ?? 'GET',
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.key ? { headers: { 'idempotency-key': `matrix-${randomUUID()}` } } : {}),
      })
      .then(json);

  /** A referral to mbe-caritas-bruchsal (`service`), received there, and an erasure requested. */
  async function erasureRequested(): Promise<{ consentId: string; referralId: string }> {
    const pair = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
    const published = await as('service', '/v1/services/mbe-caritas-bruchsal/keys', {
      method: 'PUT',
      body: { keys: [pair.publicJwk] },
    });
    expect(published.status).toBeLessThan(300);
    const person = {
      azrNumber: randomAzrNumber(),
      familyName: 'Matrix',
      givenNames: 'Erasure',
      dateOfBirth: '1979-09-09',
    };
    const consent = await as('authority', '/v1/consents', {
      method: 'POST',
      key: true,
      body: consentRequest(person, { scope: { serviceTypes: ['MBE'], providerIds: ['caritas-bruchsal'] } }),
    });
    expect(consent.status).toBe(201);
    const consentId = consent.body.id as string;
    const referral = await as('authority', '/v1/referrals', {
      method: 'POST',
      key: true,
      body: referralRequest(consentId, person),
    });
    expect(referral.status).toBe(202);
    const referralId = referral.body.referralId as string;
    expect(referral.body.serviceOffice.id).toBe('mbe-caritas-bruchsal');
    await until(async () =>
      (await as('authority', `/v1/referrals/${referralId}`)).body.status === 'queued' ? true : undefined,
    );
    expect((await as('service', `/v1/referrals/${referralId}/receipt`, { method: 'POST' })).status).toBe(200);
    const asked = await as('authority', `/v1/consents/${consentId}/erasure`, {
      method: 'POST',
      key: true,
      body: {},
    });
    expect(asked.status).toBe(200);
    return { consentId, referralId };
  }

  /** What each caller gets: the status, and how many recipients it sees. */
  const FOLLOW: Record<Caller, [number, number?]> = {
    authority: [200, 1],
    'other authority': [200, 0],
    service: [403],
    'other service': [403],
    dpo: [200, 1],
    'authority dpo': [404],
    'provider dpo': [200, 1],
    operator: [403],
  };
  const CONFIRM: Record<Caller, number> = {
    authority: 403,
    'other authority': 403,
    service: 200,
    'other service': 404,
    dpo: 403,
    'authority dpo': 403,
    'provider dpo': 403,
    operator: 403,
  };

  it('GET and POST /v1/consents/{id}/erasure and POST /v1/referrals/{id}/erasure-confirmation, per caller', async () => {
    const { consentId, referralId } = await erasureRequested();
    const outcomes: string[] = [];
    for (const caller of Object.keys(CALLERS) as Caller[]) {
      const [status, seen] = FOLLOW[caller];
      const got = await as(caller, `/v1/consents/${consentId}/erasure`);
      const asked = await as(caller, `/v1/consents/${consentId}/erasure`, {
        method: 'POST',
        key: true,
        body: {},
      });
      for (const [what, res] of [
        ['GET status', got],
        ['POST request', asked],
      ] as const) {
        if (res.status !== status) outcomes.push(`${caller} ${what}: expected ${status}, got ${res.status}`);
        else if (seen !== undefined && res.body.recipients?.length !== seen)
          outcomes.push(
            `${caller} ${what}: sees ${res.body.recipients?.length} recipients, expected ${seen}`,
          );
        if (res.status >= 400 && res.status !== 404 && !res.body.type)
          outcomes.push(`${caller} ${what}: no problem+json`);
      }
    }
    // Confirmation last: the office's own first (so that the others find an erasure asked).
    const order: Caller[] = [
      'other service',
      'authority',
      'other authority',
      'dpo',
      'authority dpo',
      'provider dpo',
      'operator',
      'service',
    ];
    for (const caller of order) {
      const res = await as(caller, `/v1/referrals/${referralId}/erasure-confirmation`, { method: 'POST' });
      if (res.status !== CONFIRM[caller])
        outcomes.push(`${caller} confirm: expected ${CONFIRM[caller]}, got ${res.status}`);
    }
    expect(outcomes).toEqual([]);
    const after = await as('dpo', `/v1/consents/${consentId}/erasure`);
    expect(after.body.recipients[0].erasure.confirmedAt).toEqual(expect.any(String));
  });
});
