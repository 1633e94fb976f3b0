/**
 * Checkpoint signing keys (the CheckpointSigner port of shared/domain/audit/checkpoint.ts):
 * a local Ed25519 key for the local platform, an asymmetric AWS KMS key in AWS. Both
 * give checkpoints in the same C2SP signed-note format (docs/audit-format.md §5).
 * Which one a function uses is decided in functions/composition.ts
 * (`checkpointSignerFromEnvironment`).
 */
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { ConfigurationError } from '#shared/config.ts';
import {
  type CheckpointSigner,
  Ed25519Signer,
  SIGNATURE_TYPE_ECDSA,
  SIGNATURE_TYPE_ED25519,
  type SignatureType,
} from '#shared/domain/audit/checkpoint.ts';

/** An Ed25519 public key in SubjectPublicKeyInfo DER: a 12-byte header, then the 32-byte key. */
const ED25519_SPKI_LENGTH = 44;

/**
 * A checkpoint signer over an asymmetric KMS key; the private key never leaves KMS.
 * Created with `connect`, which reads the public key once and derives the signature
 * type from the key spec.
 */
export class KmsCheckpointSigner implements CheckpointSigner {
  private constructor(
    readonly keyName: string,
    readonly signatureType: SignatureType,
    private readonly keyId: string,
    private readonly publicKey: Uint8Array,
    private readonly client: KMSClient,
  ) {}

  static async connect(keyName: string, keyId: string, client: KMSClient): Promise<KmsCheckpointSigner> {
    const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const spki = out.PublicKey;
    if (!spki) throw new ConfigurationError('The checkpoint KMS key returned no public key.');
    if (out.KeyUsage !== undefined && out.KeyUsage !== 'SIGN_VERIFY') {
      throw new ConfigurationError('The checkpoint KMS key must have key usage SIGN_VERIFY.');
    }
    if (out.KeySpec === 'ECC_NIST_EDWARDS25519') {
      if (spki.length !== ED25519_SPKI_LENGTH)
        throw new ConfigurationError('Unexpected Ed25519 public key length.');
      // C2SP 0x01 keys are the raw 32 bytes: the end of the SPKI.
      return new KmsCheckpointSigner(keyName, SIGNATURE_TYPE_ED25519, keyId, spki.subarray(-32), client);
    }
    if (out.KeySpec === 'ECC_NIST_P256') {
      return new KmsCheckpointSigner(keyName, SIGNATURE_TYPE_ECDSA, keyId, spki, client);
    }
    throw new ConfigurationError(
      'The checkpoint KMS key must be of spec ECC_NIST_EDWARDS25519 or ECC_NIST_P256.',
    );
  }

  async publicKeyRaw(): Promise<Uint8Array> {
    return this.publicKey;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    // RAW: KMS signs the note text itself (pure Ed25519; for ECDSA it hashes with SHA-256),
    // exactly what a C2SP verifier checks. Notes are far below KMS's 4096-byte limit.
    const out = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: this.signatureType === SIGNATURE_TYPE_ED25519 ? 'ED25519_SHA_512' : 'ECDSA_SHA_256',
      }),
    );
    if (!out.Signature) throw new Error('KMS returned no signature.');
    return out.Signature;
  }
}

/** An Ed25519 signer from a PKCS #8 PEM or a JWK (JSON text). */
export function localCheckpointSigner(keyName: string, privateKey: string): Ed25519Signer {
  const text = privateKey.trim();
  try {
    return text.startsWith('{')
      ? Ed25519Signer.fromPrivateKeyJwk(keyName, JSON.parse(text))
      : Ed25519Signer.fromPrivateKeyPem(keyName, text);
  } catch {
    // The key material is never repeated in a message.
    throw new ConfigurationError(
      'REX_CHECKPOINT_PRIVATE_KEY is not an Ed25519 private key (PKCS #8 PEM or JWK).',
    );
  }
}
