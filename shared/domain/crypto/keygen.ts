/**
 * Key pairs for service offices (`rex keys generate`). The private half never reaches the
 * platform; the office publishes only the public JWK.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { type PublicRecipientJwk, type RecipientKeyAlgorithm, validatePublicRecipientJwk } from './jwks.ts';

export type RsaModulusLength = 3072 | 4096;

export interface RecipientKeyPairOptions {
  /** Default RSA-OAEP-256; ECDH-ES+A256KW uses P-256. */
  readonly alg?: RecipientKeyAlgorithm;
  /** RSA only; default 3072 (BSI TR-02102-1), 4096 as FIT-Connect uses. */
  readonly modulusLength?: RsaModulusLength;
}

export type PrivateRecipientJwk = JWK & {
  readonly kid: string;
  readonly use: 'enc';
  readonly alg: RecipientKeyAlgorithm;
};

export interface RecipientKeyPair {
  readonly kid: string;
  readonly publicJwk: PublicRecipientJwk;
  readonly privateJwk: PrivateRecipientJwk;
}

/** Generates a recipient key pair whose `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateRecipientKeyPair(
  options: RecipientKeyPairOptions = {},
): Promise<RecipientKeyPair> {
  const alg = options.alg ?? 'RSA-OAEP-256';
  if (alg === 'ECDH-ES+A256KW' && options.modulusLength !== undefined) {
    throw new InvalidRequest([{ field: 'modulusLength', reason: 'applies to RSA keys only' }]);
  }
  const modulusLength = options.modulusLength ?? 3072;
  if (modulusLength !== 3072 && modulusLength !== 4096) {
    throw new InvalidRequest([{ field: 'modulusLength', reason: 'must be 3072 or 4096' }]);
  }

  const { publicKey, privateKey } =
    alg === 'RSA-OAEP-256'
      ? await generateKeyPair(alg, { modulusLength, extractable: true })
      : await generateKeyPair(alg, { crv: 'P-256', extractable: true });
  const exportedPublic = await exportJWK(publicKey);
  const exportedPrivate = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(exportedPublic);

  // Checked like any published key, so a generated key can always be published.
  const { jwk: publicJwk } = validatePublicRecipientJwk({ ...exportedPublic, kid, use: 'enc', alg });
  const privateJwk: PrivateRecipientJwk = { ...exportedPrivate, kid, use: 'enc', alg };
  return { kid, publicJwk, privateJwk };
}
