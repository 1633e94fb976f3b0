import { afterEach, describe, expect, it, vi } from 'vitest';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { ReferralFeedQuery } from '#shared/schemas/referral.ts';
import {
  expandPath,
  RexApiError,
  RexClient,
  RexConnectionError,
  referralFeed,
  sdkOperations,
} from '#shared/sdk/client.ts';
import { parseAuthorityEvent } from '#shared/sdk/events.ts';

const credentials = { accessKeyId: 'AKIATESTTESTTEST', secretAccessKey: 'test-secret-test-secret' };
const client = () =>
  new RexClient({ endpoint: 'http://api.test/prod/', region: 'eu-central-1', credentials });

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function stubFetch(respond: () => Response = () => Response.json({})): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      sent.push({
        url,
        method: init.method ?? 'GET',
        headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>)),
        body: init.body as string | undefined,
      });
      return respond();
    }),
  );
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Calls each SDK method once with plausible arguments. */
const calls: Record<keyof typeof sdkOperations, (c: RexClient) => Promise<unknown>> = {
  whoami: (c) => c.whoami(),
  getHealth: (c) => c.getHealth(),
  publishKeys: (c) => c.publishKeys('mbe-x', { keys: [{ kty: 'EC' }], current: 'k1' }),
  retireKey: (c) => c.retireKey('mbe-x', 'k/1', { successor: 'k2' }),
  getKeys: (c) => c.getKeys('mbe-x'),
  auditEntries: (c) => c.auditEntries({ fromSequence: 1, limit: 500 }),
  auditCheckpoints: (c) => c.auditCheckpoints({ limit: 10 }),
  latestCheckpoint: (c) => c.latestCheckpoint(),
  verifierKey: (c) => c.verifierKey(),
  recordExport: (c) => c.recordExport({ format: 'ndjson', fromSequence: 1 }, 'export-key-1'),
  inclusionProof: (c) => c.inclusionProof({ sequence: 3, treeSize: 10 }),
  consistencyProof: (c) => c.consistencyProof({ fromTreeSize: 3 }),
  getReferral: (c) => c.getReferral('ref_00000000000000000000000000'),
  listReferrals: (c) => c.listReferrals({ status: ['queued', 'received'], limit: 10 }),
  acknowledgeReceipt: (c) => c.acknowledgeReceipt('ref_00000000000000000000000000'),
  confirmErasure: (c) => c.confirmErasure('ref_00000000000000000000000000'),
  requestErasure: (c) => c.requestErasure('con_00000000000000000000000000', {}, 'erase-1234'),
  erasureStatus: (c) => c.erasureStatus('con_00000000000000000000000000'),
  recordOfProcessing: (c) => c.recordOfProcessing(),
  reportStatus: (c) => c.reportStatus('ref_00000000000000000000000000', { status: 'contacted' }),
  consentReceipt: (c) => c.consentReceipt('con_00000000000000000000000000'),
  consentReceiptHtml: (c) => c.consentReceiptHtml('con_00000000000000000000000000'),
  listConsentForms: (c) => c.listConsentForms(),
  getConsentForm: (c) => c.getConsentForm('a'.repeat(64)),
};

describe('the SDK matches the API', () => {
  const doc = buildOpenApiDocument(operations, { version: 'test' }) as unknown as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };

  it.each(Object.entries(sdkOperations))('%s is an operation of the OpenAPI document', (_, op) => {
    expect(operations).toContain(op);
    expect(doc.paths[op.path]?.[op.method.toLowerCase()]?.operationId).toBe(op.operationId);
  });

  it('has a method for each declared operation and no method without one', () => {
    const methods = Object.getOwnPropertyNames(RexClient.prototype).filter(
      (m) => m !== 'constructor' && m !== 'call',
    );
    expect(methods.sort()).toEqual(Object.keys(sdkOperations).sort());
  });

  it.each(Object.entries(sdkOperations))('%s sends its operation’s method and path', async (name, op) => {
    const sent = stubFetch();
    await calls[name as keyof typeof sdkOperations](client());
    expect(sent).toHaveLength(1);
    const url = new URL(sent[0]!.url);
    const pattern = new RegExp(`^/prod${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    expect(url.pathname).toMatch(pattern);
    expect(sent[0]!.method).toBe(op.method);
    // Signed operations carry a SigV4 signature; public ones none.
    expect('authorization' in sent[0]!.headers).toBe(op.auth !== 'public');
    expect(sent[0]!.body !== undefined).toBe(op.body !== undefined);
  });

  it('asks for and returns the printable page of the record of processing as text', async () => {
    const sent = stubFetch(
      () => new Response('<!doctype html><p>x</p>', { headers: { 'content-type': 'text/html' } }),
    );
    expect(await client().recordOfProcessing({ html: true })).toBe('<!doctype html><p>x</p>');
    expect(sent[0]!.headers.accept).toBe('text/html');
  });

  it('sends the erasure request with its Idempotency-Key, signed', async () => {
    const sent = stubFetch();
    await client().requestErasure('con_00000000000000000000000000', { reason: 'objection' }, 'erase-1234');
    expect(sent[0]!.headers['idempotency-key']).toBe('erase-1234');
    expect(sent[0]!.headers.authorization).toMatch(/SignedHeaders=[^,]*idempotency-key/);
    expect(JSON.parse(sent[0]!.body!)).toEqual({ reason: 'objection' });
  });

  it('encodes path parameters', () => {
    expect(expandPath('/v1/services/{id}/keys/{kid}/retirement', { id: 'mbe-x', kid: 'a/b+c=' })).toBe(
      '/v1/services/mbe-x/keys/a%2Fb%2Bc%3D/retirement',
    );
    expect(() => expandPath('/v1/services/{id}', {})).toThrow(/id/);
  });
});

describe('errors', () => {
  it('turns a problem document into a typed RexApiError', async () => {
    const problem = {
      type: 'tag:referral-exchange,2026:problem:invalid-request',
      title: 'Bad Request',
      status: 400,
      detail: 'The key set is not valid.',
      instance: 'req-1',
      errors: [{ field: 'keys[0].d', reason: 'private key material must not be published' }],
    };
    stubFetch(
      () =>
        new Response(JSON.stringify(problem), {
          status: 400,
          headers: { 'content-type': 'application/problem+json' },
        }),
    );
    const error = await client()
      .publishKeys('mbe-x', { keys: [{}] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RexApiError);
    const api = error as RexApiError;
    expect(api).toMatchObject({ status: 400, type: problem.type, operationId: 'publishOfficeKeys' });
    expect(api.code).toBe('invalid-request');
    expect(api.errors).toEqual(problem.errors);
    expect(api.problem).toEqual(problem);
  });

  it('gives a generic problem for a body that is not one', async () => {
    stubFetch(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const error = (await client()
      .getKeys('mbe-x')
      .catch((e: unknown) => e)) as RexApiError;
    expect(error).toBeInstanceOf(RexApiError);
    expect(error).toMatchObject({ status: 502, type: 'about:blank', title: 'Bad Gateway', errors: [] });
  });

  it('returns a degraded health report (503) instead of throwing', async () => {
    stubFetch(() => Response.json({ status: 'degraded' }, { status: 503 }));
    await expect(client().getHealth()).resolves.toEqual({ status: 'degraded' });
  });

  it('reports an unreachable API as RexConnectionError', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('fetch failed')));
    await expect(client().whoami()).rejects.toBeInstanceOf(RexConnectionError);
  });

  it('refuses a signed operation without credentials, and calls public ones without', async () => {
    const sent = stubFetch();
    const anonymous = new RexClient({ endpoint: 'http://api.test', region: 'eu-central-1' });
    await expect(anonymous.whoami()).rejects.toThrow(/needs credentials/);
    await anonymous.getKeys('mbe-x');
    expect(sent.map((s) => s.url)).toEqual(['http://api.test/v1/services/mbe-x/keys']);
  });
});

describe('the feed and the events', () => {
  it('sends the feed filters as the query schema reads them', async () => {
    const sent = stubFetch(() => Response.json({ items: [] }));
    await client().listReferrals({
      status: ['received', 'contacted'],
      changedSince: new Date('2026-03-02T12:00:00.000Z'),
      limit: 20,
      cursor: 'abc_-',
    });
    const url = new URL(sent[0]!.url);
    expect(url.pathname).toBe('/prod/v1/referrals');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      status: 'received,contacted',
      changedSince: '2026-03-02T12:00:00.000Z',
      limit: '20',
      cursor: 'abc_-',
    });
    expect(ReferralFeedQuery.safeParse(Object.fromEntries(url.searchParams)).success).toBe(true);
  });

  it('follows the cursor through every page of the feed', async () => {
    const pages = [
      { items: [{ referralId: 'ref_a' }], nextCursor: 'c1' },
      { items: [{ referralId: 'ref_b' }] },
    ];
    const sent = stubFetch(() => Response.json(pages.shift()));
    const ids: string[] = [];
    for await (const r of referralFeed(client(), { status: 'queued' })) ids.push(r.referralId);
    expect(ids).toEqual(['ref_a', 'ref_b']);
    expect(new URL(sent[1]!.url).searchParams.get('cursor')).toBe('c1');
  });

  it('reads an event message, and refuses what is not an event of version 1', () => {
    const event = {
      type: 'referral.contacted',
      schemaVersion: 1,
      eventId: `evt_${'0'.repeat(26)}_4`,
      referralId: `ref_${'0'.repeat(26)}`,
      authorityId: 'abh-lk-karlsruhe',
      serviceOfficeId: 'mbe-caritas-bruchsal',
      status: 'contacted',
      at: '2026-03-02T12:00:00.000Z',
    };
    expect(parseAuthorityEvent(JSON.stringify(event))).toEqual({ ok: true, event });
    expect(parseAuthorityEvent('{')).toMatchObject({ ok: false });
    expect(parseAuthorityEvent(JSON.stringify({ ...event, schemaVersion: 2 }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('schemaVersion'),
    });
    expect(parseAuthorityEvent(JSON.stringify({ ...event, familyName: 'x' })).ok).toBe(false);
  });
});
