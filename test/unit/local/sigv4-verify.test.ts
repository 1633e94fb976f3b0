import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '#local/sigv4-verify.ts';
import { signRequest } from '#shared/sdk/signed-fetch.ts';

const credential = {
  accessKeyId: 'AKIALOCALTEST0000001',
  secretAccessKey: 'a-secret-that-is-long-enough',
  userArn: 'x',
};
const lookup = (id: string) => (id === credential.accessKeyId ? credential : undefined);
const region = 'eu-central-1';
const now = new Date('2026-11-21T10:00:00Z');

async function signed(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  at = now,
) {
  const headers = await signRequest(url, { ...init, signingDate: at }, credential, region);
  const u = new URL(url);
  return {
    method: init.method ?? 'GET',
    host: u.host,
    path: u.pathname,
    query: u.searchParams,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: init.body ?? '',
  };
}

describe('verifySigV4', () => {
  it('accepts a request signed by the SDK signer, with query and body', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/consents?x=1&y=%C3%A4', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    const result = await verifySigV4(req, lookup, { region, now });
    expect(result).toEqual({ ok: true, credential });
  });

  it('answers 401 without a credential', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/whoami');
    const { authorization: _a, ...headers } = req.headers;
    const result = await verifySigV4({ ...req, headers }, lookup, { region, now });
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 403 for a tampered body, path, query or header', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/consents?x=1', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    for (const tampered of [
      { ...req, body: '{"a":2}' },
      { ...req, path: '/v1/consents/other' },
      { ...req, query: new URLSearchParams('x=2') },
      { ...req, method: 'PUT' },
      { ...req, headers: { ...req.headers, 'content-type': 'text/plain' } },
    ]) {
      const result = await verifySigV4(tampered, lookup, { region, now });
      expect(result).toMatchObject({ ok: false, status: 403, code: 'invalid-signature' });
    }
  });

  it('answers 403 for a signature made with another secret', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/whoami');
    const other = { ...credential, secretAccessKey: 'another-secret-of-enough-length' };
    const result = await verifySigV4(req, () => other, { region, now });
    expect(result).toMatchObject({ ok: false, status: 403, code: 'invalid-signature' });
  });

  it('answers 403 for an unknown access key', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/whoami');
    const result = await verifySigV4(req, () => undefined, { region, now });
    expect(result).toMatchObject({ ok: false, status: 403, code: 'unknown-credential' });
  });

  it('answers 403 for a stale or future timestamp beyond 15 minutes, accepts within', async () => {
    const stale = await signed('http://127.0.0.1:3000/v1/whoami', {}, new Date(now.getTime() - 16 * 60_000));
    expect(await verifySigV4(stale, lookup, { region, now })).toMatchObject({
      ok: false,
      status: 403,
      code: 'signature-expired',
    });
    const future = await signed('http://127.0.0.1:3000/v1/whoami', {}, new Date(now.getTime() + 16 * 60_000));
    expect(await verifySigV4(future, lookup, { region, now })).toMatchObject({
      ok: false,
      code: 'signature-expired',
    });
    const recent = await signed('http://127.0.0.1:3000/v1/whoami', {}, new Date(now.getTime() - 14 * 60_000));
    expect(await verifySigV4(recent, lookup, { region, now })).toMatchObject({ ok: true });
  });

  it('answers 403 for another region or service in the scope', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/whoami');
    expect(await verifySigV4(req, lookup, { region: 'us-east-1', now })).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await verifySigV4(req, lookup, { region, now, service: 's3' })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('answers 403 for a malformed Authorization header', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/whoami');
    const result = await verifySigV4(
      { ...req, headers: { ...req.headers, authorization: 'Bearer abc' } },
      lookup,
      { region, now },
    );
    expect(result).toMatchObject({ ok: false, status: 403 });
  });

  it('answers 403 when the signed payload hash header does not match the body', async () => {
    const req = await signed('http://127.0.0.1:3000/v1/consents', {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    });
    const result = await verifySigV4(req, lookup, { region, now });
    expect(result).toMatchObject({ ok: false, status: 403, code: 'invalid-signature' });
  });
});

describe('verifySigV4 with signatures made outside the AWS SDK', () => {
  // The reference algorithm of the SigV4 documentation, computed by hand: what curl
  // --aws-sigv4 and other clients send (host and x-amz-date signed, no payload header).
  it('accepts a request signed only over host and x-amz-date', async () => {
    const { createHash, createHmac } = await import('node:crypto');
    const hash = (s: string) => createHash('sha256').update(s).digest('hex');
    const hmac = (k: Buffer | string, s: string) => createHmac('sha256', k).update(s).digest();
    const amzDate = '20261121T100000Z';
    const canonical = [
      'GET',
      '/v1/whoami',
      '',
      'host:127.0.0.1:3000',
      `x-amz-date:${amzDate}`,
      '',
      'host;x-amz-date',
      hash(''),
    ].join('\n');
    const scope = `20261121/${region}/execute-api/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n');
    let key = hmac(`AWS4${credential.secretAccessKey}`, '20261121');
    for (const part of [region, 'execute-api', 'aws4_request']) key = hmac(key, part);
    const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
    const request = {
      method: 'GET',
      host: '127.0.0.1:3000',
      path: '/v1/whoami',
      query: new URLSearchParams(),
      headers: {
        'x-amz-date': amzDate,
        authorization: `AWS4-HMAC-SHA256 Credential=${credential.accessKeyId}/${scope}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      },
      body: '',
    };
    expect(await verifySigV4(request, lookup, { region, now })).toEqual({ ok: true, credential });
    const wrong = {
      ...request,
      headers: {
        ...request.headers,
        authorization: request.headers.authorization.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      },
    };
    expect(await verifySigV4(wrong, lookup, { region, now })).toMatchObject({ ok: false, status: 403 });
  });
});
