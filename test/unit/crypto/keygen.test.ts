import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64url, validatePublicJwks } from '#shared/domain/crypto/jwks.ts';
import { generateRecipientKeyPair, type RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { rejectionOf } from './fixtures.ts';

const modulusBits = (n: unknown) => {
  const bytes = decodeBase64url(String(n))!;
  return bytes.length * 8 - Math.clz32(bytes[0]!) + 24;
};

let rsa: RecipientKeyPair;
let ec: RecipientKeyPair;

beforeAll(async () => {
  [rsa, ec] = await Promise.all([
    generateRecipientKeyPair(),
    generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' }),
  ]);
}, 60_000);

describe('generateRecipientKeyPair', () => {
  it('defaults to RSA-OAEP-256 with a 3072-bit modulus', () => {
    expect(rsa.publicJwk).toMatchObject({ kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256', e: 'AQAB' });
    expect(modulusBits(rsa.publicJwk.kty === 'RSA' ? rsa.publicJwk.n : '')).toBe(3072);
  });

  it('makes an ECDH-ES+A256KW key on P-256', () => {
    expect(ec.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'enc', alg: 'ECDH-ES+A256KW' });
  });

  it('uses the RFC 7638 thumbprint of the public key as kid, on both halves', async () => {
    for (const pair of [rsa, ec]) {
      expect(pair.kid).toBe(await calculateJwkThumbprint(pair.publicJwk));
      expect(pair.publicJwk.kid).toBe(pair.kid);
      expect(pair.privateJwk).toMatchObject({ kid: pair.kid, use: 'enc', alg: pair.publicJwk.alg });
    }
  });

  it('keeps the private members out of the public JWK and in the private one', () => {
    expect(Object.keys(rsa.publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(Object.keys(ec.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(rsa.privateJwk.d).toBeTypeOf('string');
    expect(ec.privateJwk.d).toBeTypeOf('string');
  });

  it('produces keys an office can publish as they are', () => {
    const { keys } = validatePublicJwks({ keys: [rsa.publicJwk, ec.publicJwk] });
    expect(keys.map((key) => key.thumbprint)).toEqual([rsa.kid, ec.kid]);
  });

  it('makes 4096-bit RSA keys on request', async () => {
    const pair = await generateRecipientKeyPair({ modulusLength: 4096 });
    expect(modulusBits(pair.publicJwk.kty === 'RSA' ? pair.publicJwk.n : '')).toBe(4096);
  }, 60_000);

  it('refuses other sizes and a modulus length for EC keys', async () => {
    const weak = await rejectionOf(() => generateRecipientKeyPair({ modulusLength: 2048 as 3072 }));
    expect(weak).toBeInstanceOf(InvalidRequest);
    const ecWithSize = await rejectionOf(() =>
      generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW', modulusLength: 3072 }),
    );
    expect((ecWithSize as InvalidRequest).issues).toEqual([
      { field: 'modulusLength', reason: 'applies to RSA keys only' },
    ]);
  });
});
