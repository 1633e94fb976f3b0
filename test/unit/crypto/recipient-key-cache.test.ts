import { beforeAll, describe, expect, it } from 'vitest';
import { decryptReferral, encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import { type RecipientKey, validatePublicRecipientJwk } from '#shared/domain/crypto/jwks.ts';
import {
  importRecipientKey,
  RecipientKeyCache,
  type RecipientKeyImporter,
} from '#shared/domain/crypto/recipient-key-cache.ts';
import { ecKeyPair, rejectionOf } from './fixtures.ts';

type Jwk = Record<string, unknown>;

let first: { publicJwk: Jwk; privateJwk: Jwk };
let replacement: { publicJwk: Jwk; privateJwk: Jwk };
let second: { publicJwk: Jwk; privateJwk: Jwk };
let original: RecipientKey;
let replaced: RecipientKey;
let other: RecipientKey;

beforeAll(async () => {
  // Two different keys published under the same kid, as a corrupted or careless directory would.
  [first, replacement, second] = (await Promise.all([
    ecKeyPair('office-7'),
    ecKeyPair('office-7'),
    ecKeyPair('office-8'),
  ])) as [typeof first, typeof replacement, typeof second];
  original = validatePublicRecipientJwk(first.publicJwk);
  replaced = validatePublicRecipientJwk(replacement.publicJwk);
  other = validatePublicRecipientJwk(second.publicJwk);
});

/** The real importer, counting its calls per kid. */
function countingImporter(): { importKey: RecipientKeyImporter; imports: string[] } {
  const imports: string[] = [];
  return {
    imports,
    importKey: (jwk, alg) => {
      imports.push(jwk.kid);
      return importRecipientKey(jwk, alg);
    },
  };
}

describe('RecipientKeyCache', () => {
  it('imports a key once and hands out the same CryptoKey afterwards', async () => {
    const { importKey, imports } = countingImporter();
    const cache = new RecipientKeyCache({ importKey });

    const a = await cache.get(original);
    const b = await cache.get(original);
    await cache.get(other);

    expect(a).toBe(b);
    expect(imports).toEqual(['office-7', 'office-8']);
    expect(cache.size).toBe(2);
  });

  it('shares one import between concurrent first uses', async () => {
    const { importKey, imports } = countingImporter();
    const cache = new RecipientKeyCache({ importKey });
    const keys = await Promise.all(Array.from({ length: 5 }, () => cache.get(original)));
    expect(new Set(keys).size).toBe(1);
    expect(imports).toHaveLength(1);
  });

  it('notices a different key under the same kid by its thumbprint', async () => {
    const { importKey, imports } = countingImporter();
    const cache = new RecipientKeyCache({ importKey });
    expect(original.kid).toBe(replaced.kid);
    expect(original.thumbprint).not.toBe(replaced.thumbprint);

    const before = await cache.get(original);
    const after = await cache.get(replaced);

    expect(after).not.toBe(before);
    expect(imports).toEqual(['office-7', 'office-7']);
    expect(cache.has(replaced)).toBe(true);
    expect(cache.has(original)).toBe(false);
    expect(cache.size).toBe(1);
  });

  it('encrypts to the replacement key, not the stale one', async () => {
    const cache = new RecipientKeyCache();
    await encryptReferral({ n: 1 }, original, { cty: REFERRAL_CONTENT_TYPE, keyCache: cache });
    const jwe = await encryptReferral({ n: 2 }, replaced, { cty: REFERRAL_CONTENT_TYPE, keyCache: cache });

    const withReplacement = new Map([['office-7', replacement.privateJwk]]);
    expect((await decryptReferral(jwe, withReplacement)).payload).toEqual({ n: 2 });
    const withOriginal = new Map([['office-7', first.privateJwk]]);
    expect(await rejectionOf(() => decryptReferral(jwe, withOriginal))).toMatchObject({
      reason: 'decryption-failed',
    });
  });

  it('is what encryptReferral uses: many referrals, one import', async () => {
    const { importKey, imports } = countingImporter();
    const cache = new RecipientKeyCache({ importKey });
    for (let i = 0; i < 5; i++) {
      await encryptReferral({ i }, original, { cty: REFERRAL_CONTENT_TYPE, keyCache: cache });
    }
    expect(imports).toEqual(['office-7']);
  });

  it('does not keep a failed import', async () => {
    let calls = 0;
    const cache = new RecipientKeyCache({
      importKey: (jwk, alg) =>
        ++calls === 1 ? Promise.reject(new Error('unavailable')) : importRecipientKey(jwk, alg),
    });
    await expect(cache.get(original)).rejects.toThrow('unavailable');
    expect(cache.has(original)).toBe(false);
    await expect(cache.get(original)).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it('drops the oldest entries beyond its bound, and on request', async () => {
    const { importKey, imports } = countingImporter();
    const cache = new RecipientKeyCache({ importKey, maxEntries: 1 });
    await cache.get(original);
    await cache.get(other);
    expect(cache.size).toBe(1);
    expect(cache.has(original)).toBe(false);
    await cache.get(original);
    expect(imports).toEqual(['office-7', 'office-8', 'office-7']);

    expect(cache.evict('office-7')).toBe(true);
    expect(cache.size).toBe(0);
  });
});
