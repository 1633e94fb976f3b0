import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenVerifier } from '#local/token-verify.ts';

/**
 * The local gateway's check of a person's ID token (local/token-verify.ts), against a
 * real HTTP provider of discovery and keys on a loopback port: every way a token can be
 * wrong is refused with its own problem type, and a good one passes with its claims as
 * strings, as API Gateway's Cognito authorizer hands them on.
 */

const AUDIENCE = 'rex-web';
const HOURS = 3600;

describe('the ID token check of the local gateway', () => {
  let server: Server;
  let issuer: string;
  let sign: (claims: Record<string, unknown>, header?: { alg?: string; kid?: string }) => Promise<string>;
  let otherKey: CryptoKey;
  const now = () => Math.floor(Date.now() / 1000);
  const signedOut = new Map<string, number>();

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sign = (claims, header = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? 'k1' })
        .sign(header.alg === 'HS256' ? new Uint8Array(32) : privateKey);
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const verifier = () =>
    tokenVerifier({
      issuer,
      audience: AUDIENCE,
      maxSessionSeconds: 8 * HOURS,
      signedOutAt: (subject) => signedOut.get(subject),
    });
  const good = () => ({
    iss: issuer,
    aud: AUDIENCE,
    sub: 'person-1',
    email: 'beratung@example.org',
    email_verified: true,
    iat: now(),
    exp: now() + 900,
    auth_time: now() - 60,
  });
  const refusal = async (token: string) => {
    const result = await verifier()(token);
    return result.ok ? 'accepted' : `${result.status} ${result.code}`;
  };

  it('passes a good ID token, its claims as strings', async () => {
    const result = await verifier()(await sign(good()));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.claims.sub).toBe('person-1');
      expect(result.claims.email_verified).toBe('true');
      expect(typeof result.claims.exp).toBe('string');
    }
  });

  it('refuses an expired token, and a sign-in older than a working day', async () => {
    expect(await refusal(await sign({ ...good(), iat: now() - 1000, exp: now() - 60 }))).toBe(
      '401 token-expired',
    );
    expect(await refusal(await sign({ ...good(), auth_time: now() - 9 * HOURS }))).toBe(
      '401 session-expired',
    );
  });

  it('refuses a token for another audience or from another issuer, naming the claim, not its value', async () => {
    const other = await verifier()(await sign({ ...good(), aud: 'another-client' }));
    expect(other).toMatchObject({ ok: false, code: 'invalid-token' });
    if (!other.ok) {
      expect(other.detail).toContain('aud');
      expect(other.detail).not.toContain('another-client');
    }
    expect(await refusal(await sign({ ...good(), iss: 'https://idp.example' }))).toBe('401 invalid-token');
  });

  it('refuses unsigned, HMAC, foreign-key and tampered tokens', async () => {
    const token = await sign(good());
    const [h, p, s] = token.split('.') as [string, string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    expect(await refusal(none)).toBe('401 invalid-token');
    expect(await refusal(await sign(good(), { alg: 'HS256' }))).toBe('401 invalid-token');
    const foreign = await new SignJWT(good()).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(otherKey);
    expect(await refusal(foreign)).toBe('401 invalid-token');
    const forgedClaims = Buffer.from(JSON.stringify({ ...good(), sub: 'person-2' })).toString('base64url');
    expect(await refusal(`${h}.${forgedClaims}.${s}`)).toBe('401 invalid-token');
    expect(await refusal('not-a-jwt')).toBe('401 invalid-token');
  });

  it('refuses an access token and a token without a subject', async () => {
    expect(await refusal(await sign({ ...good(), token_use: 'access' }))).toBe('401 invalid-token');
    const { sub: _sub, ...withoutSubject } = good();
    expect(await refusal(await sign(withoutSubject))).toBe('401 invalid-token');
  });

  it('refuses a token of a sign-in that has ended since, not one of a later sign-in', async () => {
    signedOut.set('person-1', now() - 30);
    expect(await refusal(await sign({ ...good(), auth_time: now() - 60 }))).toBe('401 session-ended');
    expect(await refusal(await sign({ ...good(), auth_time: now() }))).toBe('accepted');
    signedOut.clear();
  });
});
