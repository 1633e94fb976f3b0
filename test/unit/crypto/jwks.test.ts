import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  formatPath,
  jwkThumbprint,
  PublicJwksSchema,
  RecipientKeySchema,
  validatePublicJwks,
  validatePublicRecipientJwk,
} from '#shared/domain/crypto/jwks.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { ecKeyPair, rsaKeyPair, thrownBy } from './fixtures.ts';

type Jwk = Record<string, unknown>;

let rsa3072: { publicJwk: Jwk; privateJwk: Jwk };
let rsa2048: { publicJwk: Jwk; privateJwk: Jwk };
let ec: { publicJwk: Jwk; privateJwk: Jwk };
let ec2: { publicJwk: Jwk; privateJwk: Jwk };
let p384: { publicJwk: Jwk; privateJwk: Jwk };

beforeAll(async () => {
  [rsa3072, rsa2048, ec, ec2, p384] = (await Promise.all([
    rsaKeyPair(3072, 'office-rsa-1'),
    rsaKeyPair(2048, 'office-rsa-weak'),
    ecKeyPair('office-ec-1'),
    ecKeyPair('office-ec-2'),
    ecKeyPair('office-ec-384', 'P-384'),
  ])) as [typeof rsa3072, typeof rsa2048, typeof ec, typeof ec2, typeof p384];
});

function issuesOf(jwks: unknown): { field: string; reason: string }[] {
  const error = thrownBy(() => validatePublicJwks(jwks));
  expect(error).toBeInstanceOf(InvalidRequest);
  return [...(error as InvalidRequest).issues];
}

function rendered(jwks: unknown): string[] {
  return issuesOf(jwks).map((issue) => `${issue.field}: ${issue.reason}`);
}

describe('validatePublicJwks accepts', () => {
  it('an RSA-3072 key and a P-256 key, with RFC 7638 thumbprints equal to jose', async () => {
    const { keys } = validatePublicJwks({ keys: [rsa3072.publicJwk, ec.publicJwk] });

    expect(keys.map((key) => [key.kid, key.alg])).toEqual([
      ['office-rsa-1', 'RSA-OAEP-256'],
      ['office-ec-1', 'ECDH-ES+A256KW'],
    ]);
    expect(keys[0]!.thumbprint).toBe(await calculateJwkThumbprint(rsa3072.publicJwk));
    expect(keys[1]!.thumbprint).toBe(await calculateJwkThumbprint(ec.publicJwk));
    expect(keys[0]!.jwk).toEqual(rsa3072.publicJwk);
    for (const key of keys) expect(RecipientKeySchema.parse(key)).toEqual(key);
  });

  it('a 4096-bit-sized modulus (size check only counts bits)', () => {
    // 4096 bits with the top bit set; the value need not be a real modulus for the size check.
    const n = Buffer.concat([Buffer.from([0xc1]), Buffer.alloc(511, 0x35)]).toString('base64url');
    const { keys } = validatePublicJwks({ keys: [{ ...rsa3072.publicJwk, n }] });
    expect(keys).toHaveLength(1);
  });
});

describe('validatePublicJwks refuses', () => {
  it('private key material, naming each private member', () => {
    const { kty, n, e, d, p, q, dp, dq, qi } = rsa3072.privateJwk;
    const leaked = { kty, n, e, d, p, q, dp, dq, qi, kid: 'leaked', use: 'enc', alg: 'RSA-OAEP-256' };
    const issues = rendered({ keys: [ec.publicJwk, leaked] });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
      expect(issues).toContain(`keys[1].${member}: private key material must not be published`);
    }
    expect(issues.filter((issue) => issue.startsWith('keys[0]'))).toEqual([]);
  });

  it('a private EC key', () => {
    expect(rendered({ keys: [{ ...ec.publicJwk, d: ec.privateJwk.d }] })).toEqual([
      'keys[0].d: private key material must not be published',
    ]);
  });

  it('a 2048-bit RSA modulus', () => {
    expect(rendered({ keys: [rsa2048.publicJwk] })).toEqual([
      'keys[0].n: RSA modulus is 2048 bits; at least 3072 required',
    ]);
  });

  it('a modulus above the upper bound', () => {
    const n = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(1024, 1)]).toString('base64url');
    expect(rendered({ keys: [{ ...rsa3072.publicJwk, n }] })).toEqual([
      'keys[0].n: RSA modulus is 8200 bits; at most 8192 accepted',
    ]);
  });

  it('a wrong alg for RSA and for EC keys', () => {
    expect(
      rendered({
        keys: [
          { ...rsa3072.publicJwk, alg: 'RSA-OAEP' },
          { ...ec.publicJwk, alg: 'ECDH-ES' },
          { ...ec2.publicJwk, kid: 'no-alg', alg: undefined },
        ],
      }),
    ).toEqual([
      'keys[0].alg: must be RSA-OAEP-256 for RSA keys',
      'keys[1].alg: must be ECDH-ES+A256KW for EC keys',
      'keys[2].alg: must be ECDH-ES+A256KW for EC keys',
    ]);
  });

  it('use "sig" or a missing use', () => {
    const { use: _dropped, ...withoutUse } = ec2.publicJwk;
    expect(rendered({ keys: [{ ...rsa3072.publicJwk, use: 'sig' }, withoutUse] })).toEqual([
      'keys[0].use: must be "enc"',
      'keys[1].use: must be "enc"',
    ]);
  });

  it('a duplicate kid, even when another key is malformed', () => {
    expect(rendered({ keys: [ec.publicJwk, { ...ec2.publicJwk, kid: 'office-ec-1' }] })).toEqual([
      'keys[1].kid: duplicate kid',
    ]);
    const issues = rendered({
      keys: [ec.publicJwk, { kty: 'EC' }, { ...ec2.publicJwk, kid: 'office-ec-1' }],
    });
    expect(issues).toContain('keys[2].kid: duplicate kid');
    expect(issues).toContain('keys[1].x: is required');
  });

  it('a P-384 key', () => {
    const issues = rendered({ keys: [p384.publicJwk] });
    expect(issues).toContain('keys[0].crv: only P-256 is supported');
  });

  it('invalid base64url: padding, the standard alphabet, or impossible lengths', () => {
    const n = rsa3072.publicJwk.n as string;
    expect(
      rendered({
        keys: [
          { ...rsa3072.publicJwk, kid: 'a', n: `${n}=` },
          { ...rsa3072.publicJwk, kid: 'b', n: n.replaceAll('-', '+').replaceAll('_', '/') + '+/' },
          { ...ec.publicJwk, kid: 'c', x: 'A' },
          { ...ec.publicJwk, kid: 'd', y: '' },
        ],
      }),
    ).toEqual([
      'keys[0].n: must be base64url without padding',
      'keys[1].n: must be base64url without padding',
      'keys[2].x: must be base64url without padding',
      'keys[3].y: must be base64url without padding',
    ]);
  });

  it('EC coordinates of the wrong length', () => {
    const short = Buffer.alloc(31, 7).toString('base64url');
    expect(rendered({ keys: [{ ...ec.publicJwk, x: short }] })).toEqual([
      'keys[0].x: must be 32 octets for P-256',
    ]);
  });

  it('an EC point that is not on the curve', () => {
    expect(rendered({ keys: [{ ...ec.publicJwk, y: ec.publicJwk.x }] })).toEqual([
      'keys[0]: point (x, y) is not on the P-256 curve',
    ]);
  });

  it('a missing or malformed kid', () => {
    const { kid: _dropped, ...withoutKid } = ec.publicJwk;
    expect(
      rendered({
        keys: [withoutKid, { ...ec2.publicJwk, kid: 'has space' }, { ...rsa3072.publicJwk, kid: 7 }],
      }),
    ).toEqual([
      'keys[0].kid: is required',
      'keys[1].kid: must be 1–128 characters of A–Z a–z 0–9 . _ ~ : + / = -',
      'keys[2].kid: must be a string',
    ]);
  });

  it('a wrong or missing kty, and secret keys', () => {
    expect(
      rendered({
        keys: [
          { ...ec.publicJwk, kty: 'OKP' },
          { kty: 'oct', kid: 'secret', k: 'c2VjcmV0' },
          { ...ec2.publicJwk, kty: undefined },
        ],
      }),
    ).toEqual([
      'keys[0].kty: must be "RSA" or "EC"',
      'keys[1].kty: must be "RSA" or "EC"',
      'keys[2].kty: must be "RSA" or "EC"',
      'keys[1].k: private key material must not be published',
    ]);
  });

  it('a public exponent other than 65537', () => {
    expect(rendered({ keys: [{ ...rsa3072.publicJwk, e: 'Aw' }] })).toEqual([
      'keys[0].e: public exponent must be 65537 ("AQAB")',
    ]);
  });

  it('unknown members, such as a certificate chain', () => {
    expect(rendered({ keys: [{ ...ec.publicJwk, x5c: ['MIIB'] }] })).toEqual([
      'keys[0].x5c: is not an accepted member of a recipient key',
    ]);
  });

  it('documents that are not a key set', () => {
    expect(rendered(null)).toEqual(['jwks: must be a JSON object with a "keys" array']);
    expect(rendered({ keys: [ec.publicJwk], issuer: 'x' })).toEqual([
      'issuer: is not an accepted member of a key set',
    ]);
    expect(rendered({})).toEqual(['keys: is required']);
    expect(rendered({ keys: [] })).toEqual(['keys: must contain at least one key']);
    expect(rendered({ keys: [42] })).toEqual(['keys[0]: must be a JSON object']);
    expect(rendered({ keys: Array.from({ length: 21 }, () => ec.publicJwk) })).toContain(
      'keys: must contain at most 20 keys',
    );
  });

  it('without ever echoing key material in a reason', () => {
    const { kty, n, e, d } = rsa2048.privateJwk;
    const issues = issuesOf({ keys: [{ kty, n, e, d, kid: 'x', use: 'sig', alg: 'RS256' }] });
    expect(issues.length).toBeGreaterThanOrEqual(4);
    for (const issue of issues) {
      expect(issue.reason).not.toContain(String(n).slice(0, 16));
      expect(issue.reason).not.toContain(String(d).slice(0, 16));
    }
  });
});

describe('validatePublicRecipientJwk', () => {
  it('accepts a single key and names members without the keys[0] prefix', () => {
    expect(validatePublicRecipientJwk(ec.publicJwk).kid).toBe('office-ec-1');
    const error = thrownBy(() => validatePublicRecipientJwk({ ...ec.publicJwk, use: 'sig', d: 'AAAA' }));
    expect((error as InvalidRequest).issues).toEqual([
      { field: 'use', reason: 'must be "enc"' },
      { field: 'd', reason: 'private key material must not be published' },
    ]);
    const unknown = thrownBy(() => validatePublicRecipientJwk({ ...ec.publicJwk, x5c: [] }));
    expect((unknown as InvalidRequest).issues).toEqual([
      { field: 'x5c', reason: 'is not an accepted member of a recipient key' },
    ]);
    const notAnObject = thrownBy(() => validatePublicRecipientJwk('key'));
    expect((notAnObject as InvalidRequest).issues).toEqual([
      { field: 'jwk', reason: 'must be a JSON object' },
    ]);
  });
});

describe('PublicJwksSchema', () => {
  it('embeds in other schemas: it parses synchronously and reports duplicates itself', () => {
    expect(PublicJwksSchema.safeParse({ keys: [ec.publicJwk, ec2.publicJwk] }).success).toBe(true);
    const result = PublicJwksSchema.safeParse({ keys: [ec.publicJwk, ec.publicJwk] });
    expect(result.error?.issues.map((issue) => [formatPath(issue.path), issue.message])).toEqual([
      ['keys[1].kid', 'duplicate kid'],
    ]);
  });
});

describe('RecipientKeySchema', () => {
  it('refuses a thumbprint that does not belong to the key', () => {
    const [key] = validatePublicJwks({ keys: [ec.publicJwk] }).keys;
    const other = jwkThumbprint(validatePublicJwks({ keys: [ec2.publicJwk] }).keys[0]!.jwk);
    const result = RecipientKeySchema.safeParse({ ...key, thumbprint: other });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['thumbprint']);
  });
});

describe('decodeBase64url', () => {
  it('round-trips any bytes and refuses every non-canonical spelling', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        expect(decodeBase64url(text)?.equals(Buffer.from(bytes))).toBe(true);
        expect(decodeBase64url(`${text}=`)).toBeUndefined();
        const standard = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
        if (/[+/]/.test(standard)) expect(decodeBase64url(standard)).toBeUndefined();
      }),
    );
    // "AB" has non-zero trailing bits; the canonical spelling of the same byte is "AA".
    expect(decodeBase64url('AB')).toBeUndefined();
    expect(decodeBase64url('AA')).toEqual(Buffer.from([0]));
  });
});
