/**
 * Imports each recipient public key once and keeps the CryptoKey for later referrals.
 *
 * Importing a JWK costs about as much as the RSA-OAEP encryption itself (~95 µs), and the same
 * few keys are used over and over by a warm function, so the import happens once per key.
 * Entries are kept per kid together with the key's RFC 7638 thumbprint: if an office's
 * directory entry suddenly carries a different key under a known kid, the thumbprint differs
 * and the new key is imported instead of encrypting to the stale one.
 */
import { type CryptoKey, importJWK } from 'jose';
import type { PublicRecipientJwk, RecipientKey, RecipientKeyAlgorithm } from './jwks.ts';

export type RecipientKeyImporter = (
  jwk: PublicRecipientJwk,
  alg: RecipientKeyAlgorithm,
) => Promise<CryptoKey>;

export const importRecipientKey: RecipientKeyImporter = (jwk, alg) => importJWK(jwk, alg);

export interface RecipientKeyCacheOptions {
  /** Replaces jose's importJWK, e.g. to count imports in tests. */
  readonly importKey?: RecipientKeyImporter;
  /** Oldest entries are dropped beyond this; ~1,500 offices × a few keys fit comfortably. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly thumbprint: string;
  readonly key: Promise<CryptoKey>;
}

export class RecipientKeyCache {
  readonly #importKey: RecipientKeyImporter;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: RecipientKeyCacheOptions = {}) {
    this.#importKey = options.importKey ?? importRecipientKey;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** The imported public key for `recipient`, importing it on first use or when its key changed. */
  get(recipient: RecipientKey): Promise<CryptoKey> {
    const cached = this.#entries.get(recipient.kid);
    if (cached !== undefined && cached.thumbprint === recipient.thumbprint) return cached.key;

    // The promise is cached, so concurrent first uses share one import.
    const key = this.#importKey(recipient.jwk, recipient.alg);
    const entry: Entry = { thumbprint: recipient.thumbprint, key };
    this.#entries.delete(recipient.kid);
    this.#entries.set(recipient.kid, entry);
    key.catch(() => {
      // A failed import must not stick; the next use tries again.
      if (this.#entries.get(recipient.kid) === entry) this.#entries.delete(recipient.kid);
    });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return key;
  }

  /** Whether the key with this kid and thumbprint is already imported (or being imported). */
  has(recipient: Pick<RecipientKey, 'kid' | 'thumbprint'>): boolean {
    return this.#entries.get(recipient.kid)?.thumbprint === recipient.thumbprint;
  }

  /** Drops a key, e.g. after its office retired it. */
  evict(kid: string): boolean {
    return this.#entries.delete(kid);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** One cache per process (module scope), shared by every referral a warm function encrypts. */
export const defaultRecipientKeyCache = new RecipientKeyCache();
