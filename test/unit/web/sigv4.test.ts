import { randomBytes, randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';

/** The page's signer (web/dpo/sigv4.js): plain JavaScript with WebCrypto, run here in Node. */
interface SigV4Module {
  signRequest(request: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    region: string;
    date?: Date;
  }): Promise<Record<string, string>>;
}
const load = (): Promise<SigV4Module> => import(pathToFileURL(resolve('web/dpo/sigv4.js')).href);

const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)]!;
const SEGMENTS = [
  'v1',
  'audit',
  'sub_Kx7mQ2vR9tLp4wZs8nB3',
  'a:b',
  'a%20b',
  'ü',
  "it's",
  '(x)',
  'a*b',
  'x.y',
  '~t',
];
const VALUES = ['', 'plain', 'a b', 'a+b', 'ä/ö', 'x=y&z', '2026-11-02T09:00:00+01:00', "!'()*", '~-_.'];

function randomRequest() {
  const path = `/${Array.from({ length: randomInt(1, 5) }, () => encodeURIComponent(pick(SEGMENTS))).join('/')}`;
  const search = new URLSearchParams();
  for (let i = randomInt(0, 5); i > 0; i--)
    search.append(pick(['event', 'cursor', 'a b', 'limit', 'z']), pick(VALUES));
  const query = search.size > 0 ? `?${search.toString()}` : '';
  const host = pick(['127.0.0.1:3000', 'abc123.execute-api.eu-central-1.amazonaws.com', 'localhost:41234']);
  const method = pick(['GET', 'POST']);
  const body = method === 'POST' ? JSON.stringify({ format: 'ndjson', note: pick(VALUES) }) : undefined;
  const headers: Record<string, string> =
    method === 'POST'
      ? { 'content-type': 'application/json', 'idempotency-key': `key-${randomBytes(6).toString('hex')}` }
      : pick<Record<string, string>>([{}, { accept: 'application/json' }]);
  return { url: `http://${host}${path}${query}`, method, headers, body };
}

async function smithySignature(
  req: ReturnType<typeof randomRequest>,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  date: Date,
): Promise<string> {
  const url = new URL(req.url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers: { host: url.host, ...req.headers },
      ...(req.body !== undefined ? { body: req.body } : {}),
    },
    { signingDate: date },
  );
  return String(signed.headers.authorization);
}

describe('the page signs requests as the AWS SDK does', () => {
  it('gives the same Authorization header as @smithy/signature-v4 on 200 random requests', async () => {
    const { signRequest } = await load();
    for (let i = 0; i < 200; i++) {
      const req = randomRequest();
      const credentials = {
        accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString('base64'),
        ...(i % 3 === 0 ? { sessionToken: randomBytes(30).toString('base64') } : {}),
      };
      const region = pick(['eu-central-1', 'eu-west-1']);
      const date = new Date(Date.UTC(2026, randomInt(12), randomInt(1, 28), randomInt(24), randomInt(60)));
      const ours = await signRequest({ ...req, credentials, region, date });
      const theirs = await smithySignature(req, credentials, region, date);
      expect(ours.authorization, req.url).toBe(theirs);
      if (credentials.sessionToken) expect(ours['x-amz-security-token']).toBe(credentials.sessionToken);
      expect(ours.host).toBeUndefined();
    }
  });

  it('changes the signature when the secret, the path or the query changes', async () => {
    const { signRequest } = await load();
    const date = new Date('2026-11-02T09:00:00Z');
    const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret-1' };
    const base = { method: 'GET', url: 'http://127.0.0.1:3000/v1/audit/events?event=consent.recorded' };
    const sig = async (over: Partial<typeof base> & { secret?: string }) =>
      (
        await signRequest({
          ...base,
          ...over,
          credentials: { ...credentials, secretAccessKey: over.secret ?? credentials.secretAccessKey },
          region: 'eu-central-1',
          date,
        })
      ).authorization;
    const reference = await sig({});
    expect(await sig({ secret: 'secret-2' })).not.toBe(reference);
    expect(await sig({ url: 'http://127.0.0.1:3000/v1/audit/entries?event=consent.recorded' })).not.toBe(
      reference,
    );
    expect(await sig({ url: 'http://127.0.0.1:3000/v1/audit/events?event=consent.withdrawn' })).not.toBe(
      reference,
    );
  });
});
