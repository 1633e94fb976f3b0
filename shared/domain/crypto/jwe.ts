/**
 * End-to-end encryption of referrals: compact JWE (RFC 7516) to the service office's key.
 *
 * Protected header: `alg` (RSA-OAEP-256 or ECDH-ES+A256KW), `enc` A256GCM, `kid`, `cty`, optional
 * `typ`, and for ECDH-ES the ephemeral key `epk`. Nothing else, in particular no compression:
 * compressing before encryption leaks length information about the plaintext.
 * The format is described for receiving offices in docs/jwe-format.md.
 */
import {
  CompactEncrypt,
  type CompactJWEHeaderParameters,
  type CryptoKey,
  compactDecrypt,
  decodeProtectedHeader,
  errors,
  type JWK,
  type KeyObject,
} from 'jose';
import * as z from 'zod';
import { InvalidRequest, UnprocessableContent } from '#shared/domain/errors.ts';
import type { RecipientKey, RecipientKeyAlgorithm } from './jwks.ts';
import { defaultRecipientKeyCache, type RecipientKeyCache } from './recipient-key-cache.ts';

/** Content type of a referral payload, version 1 (shared/schemas/referral.ts). */
export const REFERRAL_CONTENT_TYPE = 'application/vnd.referral-exchange.referral.v1+json';
export const CONTENT_ENCRYPTION = 'A256GCM';
export const KEY_MANAGEMENT_ALGORITHMS: readonly RecipientKeyAlgorithm[] = ['RSA-OAEP-256', 'ECDH-ES+A256KW'];

/** A media type (RFC 6838 names) or the short form without `application/` (RFC 7515 §4.1.10). */
export const ContentTypeSchema = z
  .string()
  .max(128)
  .regex(/^(?:[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/)?[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/, {
    error: 'must be a media type such as application/vnd.referral-exchange.referral.v1+json',
  });

export interface EncryptReferralOptions {
  /** Content type of the payload; for referrals REFERRAL_CONTENT_TYPE. */
  readonly cty: string;
  /** Optional `typ` header member. */
  readonly typ?: string;
  /** Where imported recipient keys are kept; default: one cache per process. */
  readonly keyCache?: RecipientKeyCache;
}

/** The protected header of a referral JWE as produced by encryptReferral. */
export type ReferralJweHeader = CompactJWEHeaderParameters & {
  readonly alg: RecipientKeyAlgorithm;
  readonly enc: typeof CONTENT_ENCRYPTION;
  readonly kid: string;
  readonly cty: string;
};

/**
 * Encrypts a referral payload (an object, serialised as UTF-8 JSON, or raw bytes) to the
 * recipient key and returns the compact serialisation.
 */
export async function encryptReferral(
  payload: object | Uint8Array,
  recipient: RecipientKey,
  options: EncryptReferralOptions,
): Promise<string> {
  const cty = ContentTypeSchema.safeParse(options.cty);
  if (!cty.success) throw new InvalidRequest([{ field: 'cty', reason: cty.error.issues[0]!.message }]);
  if (options.typ !== undefined && !ContentTypeSchema.safeParse(options.typ).success) {
    throw new InvalidRequest([{ field: 'typ', reason: 'must be a media type' }]);
  }

  const plaintext =
    payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload));
  const key = await (options.keyCache ?? defaultRecipientKeyCache).get(recipient);
  const header: ReferralJweHeader = {
    alg: recipient.alg,
    enc: CONTENT_ENCRYPTION,
    kid: recipient.kid,
    cty: cty.data,
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  };
  return new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(key);
}

/** Private keys of a service office by kid. */
export type DecryptionKey = CryptoKey | KeyObject | JWK;

export type JweRejection =
  | 'malformed'
  | 'missing-kid'
  | 'unknown-kid'
  | 'algorithm-not-allowed'
  | 'compression-not-allowed'
  | 'unexpected-content-type'
  | 'decryption-failed'
  | 'malformed-payload';

/**
 * A referral JWE that cannot be decrypted. `reason` says why; `details.kid` names the key
 * when known. Never carries any part of the plaintext.
 */
export class ReferralDecryptionFailed extends UnprocessableContent {
  override readonly code: string = 'referral-decryption-failed';
  constructor(
    readonly reason: JweRejection,
    message: string,
    kid?: string,
  ) {
    super(message, [], kid === undefined ? { reason } : { reason, kid });
  }
}

export interface DecryptReferralOptions {
  /** Accepted content types; default: any. Short forms (without `application/`) match too. */
  readonly expectedCty?: string | readonly string[];
}

export interface DecryptedReferral {
  /** Parsed JSON when `cty` is a JSON type (`…+json`, `json`), else the raw bytes. */
  readonly payload: unknown;
  readonly plaintext: Uint8Array;
  readonly header: ReferralJweHeader;
}

/**
 * Decrypts a referral JWE with the office's private key named by its `kid`. Refuses any `alg`
 * other than RSA-OAEP-256 / ECDH-ES+A256KW, any `enc` other than A256GCM, and compression.
 */
export async function decryptReferral(
  jwe: string,
  privateKeys: ReadonlyMap<string, DecryptionKey>,
  options: DecryptReferralOptions = {},
): Promise<DecryptedReferral> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new ReferralDecryptionFailed(
      'malformed',
      'The JWE is not a compact serialisation with a readable header.',
    );
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  if (kid === undefined) throw new ReferralDecryptionFailed('missing-kid', 'The JWE header names no kid.');
  if (
    !KEY_MANAGEMENT_ALGORITHMS.includes(header.alg as RecipientKeyAlgorithm) ||
    header.enc !== CONTENT_ENCRYPTION
  ) {
    throw new ReferralDecryptionFailed(
      'algorithm-not-allowed',
      `Only ${KEY_MANAGEMENT_ALGORITHMS.join(' / ')} with ${CONTENT_ENCRYPTION} are accepted.`,
      kid,
    );
  }
  if ('zip' in header) {
    throw new ReferralDecryptionFailed('compression-not-allowed', 'Compressed JWEs are not accepted.', kid);
  }
  const cty = typeof header.cty === 'string' ? header.cty : undefined;
  if (options.expectedCty !== undefined) {
    const expected = (
      typeof options.expectedCty === 'string' ? [options.expectedCty] : options.expectedCty
    ).map(fullMediaType);
    if (cty === undefined || !expected.includes(fullMediaType(cty))) {
      throw new ReferralDecryptionFailed(
        'unexpected-content-type',
        'The JWE carries an unexpected content type.',
        kid,
      );
    }
  }
  const key = privateKeys.get(kid);
  if (key === undefined) {
    throw new ReferralDecryptionFailed('unknown-kid', `No private key is held for kid "${kid}".`, kid);
  }

  let result: Awaited<ReturnType<typeof compactDecrypt>>;
  try {
    result = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: [...KEY_MANAGEMENT_ALGORITHMS],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
      maxDecompressedLength: 0,
    });
  } catch (error) {
    throw fromJoseError(error, kid);
  }

  const plaintext = result.plaintext;
  let payload: unknown = plaintext;
  if (cty !== undefined && isJsonMediaType(cty)) {
    try {
      payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
    } catch {
      throw new ReferralDecryptionFailed(
        'malformed-payload',
        'The decrypted payload is not UTF-8 JSON.',
        kid,
      );
    }
  }
  return { payload, plaintext, header: result.protectedHeader as ReferralJweHeader };
}

function fromJoseError(error: unknown, kid: string): ReferralDecryptionFailed {
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new ReferralDecryptionFailed(
      'algorithm-not-allowed',
      'The JWE uses an algorithm that is not accepted.',
      kid,
    );
  }
  if (error instanceof errors.JWEInvalid) {
    return new ReferralDecryptionFailed('malformed', 'The JWE is malformed.', kid);
  }
  // Tag mismatch, altered header or key, wrong private key, or a key of the wrong type: all
  // mean this office cannot read the message, and saying which would help an attacker.
  return new ReferralDecryptionFailed(
    'decryption-failed',
    'The JWE could not be decrypted: altered in transit or encrypted to another key.',
    kid,
  );
}

function fullMediaType(cty: string): string {
  return (cty.includes('/') ? cty : `application/${cty}`).toLowerCase();
}

function isJsonMediaType(cty: string): boolean {
  const type = fullMediaType(cty).split(';')[0]!.trim();
  return type === 'application/json' || type.endsWith('+json');
}
