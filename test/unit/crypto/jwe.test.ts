import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DecryptionKey,
  decryptReferral,
  encryptReferral,
  REFERRAL_CONTENT_TYPE,
  ReferralDecryptionFailed,
} from '#shared/domain/crypto/jwe.ts';
import { type RecipientKey, validatePublicRecipientJwk } from '#shared/domain/crypto/jwks.ts';
import { currentKey, emptyKeySet, publishKeys, retire } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair, type RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { rejectionOf } from './fixtures.ts';

// Only made-up data; the payload schema itself lives in shared/schemas/referral.ts.
const referral = {
  referralId: 'ref-01J',
  service: 'MBE',
  person: { givenName: 'Testperson', languages: ['ar'] },
};

let rsa: RecipientKeyPair;
let rsaOther: RecipientKeyPair;
let ec: RecipientKeyPair;
let ecOther: RecipientKeyPair;
let rsaRecipient: RecipientKey;
let ecRecipient: RecipientKey;

beforeAll(async () => {
  // RSA-3072 generation takes up to a few seconds: once per file.
  [rsa, rsaOther, ec, ecOther] = await Promise.all([
    generateRecipientKeyPair(),
    generateRecipientKeyPair(),
    generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' }),
    generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' }),
  ]);
  rsaRecipient = validatePublicRecipientJwk(rsa.publicJwk);
  ecRecipient = validatePublicRecipientJwk(ec.publicJwk);
}, 60_000);

const keysOf = (...pairs: RecipientKeyPair[]) =>
  new Map<string, DecryptionKey>(pairs.map((pair) => [pair.kid, pair.privateJwk]));

async function reasonOf(action: () => Promise<unknown>): Promise<string> {
  const error = await rejectionOf(action);
  expect(error).toBeInstanceOf(ReferralDecryptionFailed);
  return (error as ReferralDecryptionFailed).reason;
}

/** Replaces one of the five compact parts. */
function withPart(jwe: string, index: number, replace: (part: string) => string): string {
  const parts = jwe.split('.');
  parts[index] = replace(parts[index]!);
  return parts.join('.');
}

/** Flips the lowest bit of the first decoded byte of a part. */
const flipFirstByte = (part: string) => {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0]! ^= 1;
  return bytes.toString('base64url');
};

const encodeHeader = (header: object) => Buffer.from(JSON.stringify(header)).toString('base64url');

describe('encryptReferral and decryptReferral', () => {
  it.each([
    ['RSA-OAEP-256', () => rsaRecipient, () => rsa],
    ['ECDH-ES+A256KW', () => ecRecipient, () => ec],
  ] as const)('round-trip a referral with %s', async (alg, recipient, pair) => {
    const jwe = await encryptReferral(referral, recipient(), { cty: REFERRAL_CONTENT_TYPE });

    expect(jwe.split('.')).toHaveLength(5);
    const { payload, header, plaintext } = await decryptReferral(jwe, keysOf(pair()));
    expect(payload).toEqual(referral);
    expect(new TextDecoder().decode(plaintext)).toBe(JSON.stringify(referral));
    expect(header).toMatchObject({ alg, enc: 'A256GCM', kid: pair().kid, cty: REFERRAL_CONTENT_TYPE });
  });

  it('writes exactly alg, enc, kid and cty into the RSA protected header', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    expect(decodeProtectedHeader(jwe)).toEqual({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: rsa.kid,
      cty: 'application/vnd.referral-exchange.referral.v1+json',
    });
  });

  it('adds only the ephemeral public key for ECDH-ES', async () => {
    const header = decodeProtectedHeader(
      await encryptReferral(referral, ecRecipient, { cty: REFERRAL_CONTENT_TYPE }),
    );
    expect(Object.keys(header).sort()).toEqual(['alg', 'cty', 'enc', 'epk', 'kid']);
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: ec.kid });
    expect(Object.keys(header.epk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(header.epk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('adds typ when asked', async () => {
    const jwe = await encryptReferral(referral, ecRecipient, { cty: REFERRAL_CONTENT_TYPE, typ: 'JOSE' });
    expect(decodeProtectedHeader(jwe).typ).toBe('JOSE');
  });

  it('carries raw bytes, returned as bytes for a non-JSON content type', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const jwe = await encryptReferral(bytes, ecRecipient, { cty: 'application/octet-stream' });
    const { payload } = await decryptReferral(jwe, keysOf(ec));
    expect(payload).toEqual(bytes);
  });

  it('never puts the plaintext into the JWE in readable form', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const decodedParts = jwe.split('.').map((part) => Buffer.from(part, 'base64url').toString('latin1'));
    for (const part of decodedParts) expect(part).not.toContain('Testperson');
  });

  it('refuses an invalid content type before encrypting', async () => {
    const error = await rejectionOf(() =>
      encryptReferral(referral, ecRecipient, { cty: 'not a media type' }),
    );
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).issues[0]?.field).toBe('cty');
  });
});

describe('decryptReferral refuses', () => {
  it('the wrong private key under the right kid', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const wrong = new Map<string, DecryptionKey>([[rsa.kid, rsaOther.privateJwk]]);
    expect(await reasonOf(() => decryptReferral(jwe, wrong))).toBe('decryption-failed');

    const ecJwe = await encryptReferral(referral, ecRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const ecWrong = new Map<string, DecryptionKey>([[ec.kid, ecOther.privateJwk]]);
    expect(await reasonOf(() => decryptReferral(ecJwe, ecWrong))).toBe('decryption-failed');
  });

  it('a key of the other type under the right kid', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const mismatched = new Map<string, DecryptionKey>([[rsa.kid, ec.privateJwk]]);
    const error = await rejectionOf(() => decryptReferral(jwe, mismatched));
    expect(error).toBeInstanceOf(ReferralDecryptionFailed);
  });

  it('an unknown kid, naming the kid', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const error = await rejectionOf(() => decryptReferral(jwe, keysOf(ec)));
    expect(error).toBeInstanceOf(ReferralDecryptionFailed);
    expect((error as ReferralDecryptionFailed).reason).toBe('unknown-kid');
    expect((error as ReferralDecryptionFailed).details).toEqual({ reason: 'unknown-kid', kid: rsa.kid });
    expect((error as Error).message).toContain(rsa.kid);
  });

  it.each([
    ['encrypted key', 1],
    ['initialisation vector', 2],
    ['ciphertext', 3],
    ['authentication tag', 4],
  ])('a tampered %s', async (_part, index) => {
    for (const [recipient, pair] of [
      [rsaRecipient, rsa],
      [ecRecipient, ec],
    ] as const) {
      const jwe = await encryptReferral(referral, recipient, { cty: REFERRAL_CONTENT_TYPE });
      // RSA-OAEP padding, AES key wrap and the GCM tag each catch a flipped bit.
      expect(await reasonOf(() => decryptReferral(withPart(jwe, index, flipFirstByte), keysOf(pair)))).toBe(
        'decryption-failed',
      );
    }
  });

  it('a tampered protected header (it is the additional authenticated data)', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const header = decodeProtectedHeader(jwe);
    const altered = withPart(jwe, 0, () =>
      encodeHeader({ ...header, cty: 'application/vnd.referral-exchange.referral.v2+json' }),
    );
    expect(await reasonOf(() => decryptReferral(altered, keysOf(rsa)))).toBe('decryption-failed');
  });

  it('something that is not a compact JWE', async () => {
    expect(await reasonOf(() => decryptReferral('not.a.jwe', keysOf(rsa)))).toBe('malformed');
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    expect(await reasonOf(() => decryptReferral(jwe.split('.').slice(0, 4).join('.'), keysOf(rsa)))).toBe(
      'malformed',
    );
  });

  it('a JWE without kid', async () => {
    const key = await importJWK(rsa.publicJwk, 'RSA-OAEP-256');
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: REFERRAL_CONTENT_TYPE })
      .encrypt(key);
    expect(await reasonOf(() => decryptReferral(jwe, keysOf(rsa)))).toBe('missing-kid');
  });

  it('key management and content encryption algorithms outside the allow-list', async () => {
    const oaepSha1 = await importJWK({ ...rsa.publicJwk, alg: 'RSA-OAEP' }, 'RSA-OAEP');
    const sha1Jwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: rsa.kid })
      .encrypt(oaepSha1);
    expect(await reasonOf(() => decryptReferral(sha1Jwe, keysOf(rsa)))).toBe('algorithm-not-allowed');

    const oaep256 = await importJWK(rsa.publicJwk, 'RSA-OAEP-256');
    const cbcJwe = await new CompactEncrypt(new TextEncoder().encode('{}'))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A128CBC-HS256', kid: rsa.kid })
      .encrypt(oaep256);
    expect(await reasonOf(() => decryptReferral(cbcJwe, keysOf(rsa)))).toBe('algorithm-not-allowed');
  });

  it('compressed content', async () => {
    const jwe = await encryptReferral(referral, rsaRecipient, { cty: REFERRAL_CONTENT_TYPE });
    const header = decodeProtectedHeader(jwe);
    const zipped = withPart(jwe, 0, () => encodeHeader({ ...header, zip: 'DEF' }));
    expect(await reasonOf(() => decryptReferral(zipped, keysOf(rsa)))).toBe('compression-not-allowed');
  });

  it('an unexpected content type, and accepts the short form of the expected one', async () => {
    const jwe = await encryptReferral(referral, ecRecipient, {
      cty: 'vnd.referral-exchange.referral.v1+json',
    });
    const { payload } = await decryptReferral(jwe, keysOf(ec), { expectedCty: REFERRAL_CONTENT_TYPE });
    expect(payload).toEqual(referral);
    expect(
      await reasonOf(() =>
        decryptReferral(jwe, keysOf(ec), {
          expectedCty: 'application/vnd.referral-exchange.referral.v2+json',
        }),
      ),
    ).toBe('unexpected-content-type');
  });

  it('a JSON content type whose plaintext is not JSON', async () => {
    const jwe = await encryptReferral(new TextEncoder().encode('not json'), ecRecipient, {
      cty: REFERRAL_CONTENT_TYPE,
    });
    expect(await reasonOf(() => decryptReferral(jwe, keysOf(ec)))).toBe('malformed-payload');
  });
});

describe('interoperability', () => {
  it.each([
    ['RSA-OAEP-256', () => rsaRecipient, () => rsa],
    ['ECDH-ES+A256KW', () => ecRecipient, () => ec],
  ] as const)('a plain jose.compactDecrypt reads a %s referral', async (alg, recipient, pair) => {
    const jwe = await encryptReferral(referral, recipient(), { cty: REFERRAL_CONTENT_TYPE });
    const privateKey = await importJWK(pair().privateJwk, alg);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, privateKey);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(referral);
    expect(protectedHeader.kid).toBe(pair().kid);
  });

  it('decryptReferral reads a JWE produced by plain jose', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(referral)))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: ec.kid, cty: REFERRAL_CONTENT_TYPE })
      .encrypt(await importJWK(ec.publicJwk, 'ECDH-ES+A256KW'));
    expect((await decryptReferral(jwe, keysOf(ec))).payload).toEqual(referral);
  });
});

describe('rotation with overlap', () => {
  it('a referral encrypted to the old key stays readable after rotation until the office retires the key', async () => {
    const T1 = new Date('2026-01-10T09:00:00Z');
    const T2 = new Date('2026-04-10T09:00:00Z');
    const T3 = new Date('2026-05-10T09:00:00Z');

    let set = publishKeys(emptyKeySet, { keys: [ec.publicJwk] }, T1);
    const beforeRotation = await encryptReferral(referral, currentKey(set)!, { cty: REFERRAL_CONTENT_TYPE });

    set = publishKeys(set, { keys: [rsa.publicJwk] }, T2);
    expect(currentKey(set)?.kid).toBe(rsa.kid);
    const afterRotation = await encryptReferral(referral, currentKey(set)!, { cty: REFERRAL_CONTENT_TYPE });
    expect(decodeProtectedHeader(afterRotation).kid).toBe(rsa.kid);

    // The office keeps every private key whose public half is still in its set.
    const officeKeys = (keys: typeof set) =>
      keysOf(...[ec, rsa].filter((pair) => keys.keys.some((k) => k.kid === pair.kid && !k.retiredAt)));
    expect((await decryptReferral(beforeRotation, officeKeys(set))).payload).toEqual(referral);
    expect((await decryptReferral(afterRotation, officeKeys(set))).payload).toEqual(referral);

    set = retire(set, ec.kid, T3);
    expect(await reasonOf(() => decryptReferral(beforeRotation, officeKeys(set)))).toBe('unknown-kid');
    expect((await decryptReferral(afterRotation, officeKeys(set))).payload).toEqual(referral);
  });
});
