/** The checkpoint signer's public key, in the forms a DPO may pin. */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  type CheckpointSigner,
  SIGNATURE_TYPE_ED25519,
  verifierKeyString,
} from '#shared/domain/audit/checkpoint.ts';

export interface VerifierKeyDocument {
  readonly keyName: string;
  readonly signatureType: 'ed25519' | 'ecdsa-p256-sha256';
  readonly verifierKey: string;
  readonly publicKeyPem: string;
  readonly publicKeyJwk: JsonWebKey;
}

/** The signer's public key in the three forms a DPO may pin. */
export async function verifierKeyDocument(signer: CheckpointSigner): Promise<VerifierKeyDocument> {
  const raw = Buffer.from(await signer.publicKeyRaw());
  const publicKey =
    signer.signatureType === SIGNATURE_TYPE_ED25519
      ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
      : createPublicKey({ key: raw, format: 'der', type: 'spki' });
  return {
    keyName: signer.keyName,
    signatureType: signer.signatureType === SIGNATURE_TYPE_ED25519 ? 'ed25519' : 'ecdsa-p256-sha256',
    verifierKey: verifierKeyString(signer.keyName, signer.signatureType, raw),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyJwk: publicKey.export({ format: 'jwk' }),
  };
}
