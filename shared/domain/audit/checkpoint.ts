/**
 * Signed checkpoints in the C2SP tlog-checkpoint form, carried in a C2SP signed note
 * (docs/audit-format.md §Checkpoints):
 *
 *   <origin>\n<tree size>\n<base64 Merkle root>\nhead <hex chain head>\ntime <RFC 3339>\n
 *   \n
 *   — <key name> <base64(key id (4 bytes) || signature)>\n
 *
 * Signature types follow C2SP signed-note: 0x01 Ed25519 (local keys, and AWS KMS
 * keys of spec ECC_NIST_EDWARDS25519 signing with ED25519_SHA_512 over the raw
 * note text), 0x02 ECDSA P-256 with SHA-256, DER signature (AWS KMS ECC_NIST_P256,
 * ECDSA_SHA_256; key id from the SPKI DER, as transparency-dev/witness does).
 */
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { ChainHead } from './chain.ts';
import { headRoot } from './chain.ts';
import {
  type Checkpoint,
  EM_DASH_PREFIX,
  hasControlCharacter,
  isValidKeyName,
  SIGNATURE_TYPE_ED25519,
  type SignatureType,
  verifierKeyId,
} from './signed-note.ts';

// The verifying half lives in signed-note.ts (it runs in browsers too); it is
// re-exported here so that callers keep one module for checkpoints.
export {
  type Checkpoint,
  type CheckpointVerification,
  isValidKeyName,
  type NoteVerification,
  parseCheckpointText,
  parseSignedNote,
  parseVerifierKey,
  SIGNATURE_TYPE_ECDSA,
  SIGNATURE_TYPE_ED25519,
  type SignatureType,
  type VerifierKey,
  verifyCheckpoint,
  verifyCheckpointAsync,
  verifyNote,
  verifyNoteAsync,
} from './signed-note.ts';

/**
 * A key that signs checkpoints. The private key may live elsewhere (AWS KMS): the
 * port only asks for the public key and a signature over the note text.
 */
export interface CheckpointSigner {
  /** The note key name; by convention the log's origin. No spaces, no `+`. */
  readonly keyName: string;
  readonly signatureType: SignatureType;
  /** 0x01: the 32-byte Ed25519 key; 0x02: the DER SubjectPublicKeyInfo. */
  publicKeyRaw(): Promise<Uint8Array>;
  /** 0x01: a 64-byte RFC 8032 signature; 0x02: a DER ECDSA signature over SHA-256(message). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The checkpoint of a chain head. */
export function checkpointOfHead(origin: string, head: ChainHead, time: Date | string): Checkpoint {
  return {
    origin,
    treeSize: head.sequence,
    rootHash: headRoot(head).toString('hex'),
    headHash: head.hash,
    time: new Date(time).toISOString(),
  };
}

/** The note text of a checkpoint: exactly the bytes that are signed. */
export function checkpointText(cp: Checkpoint): string {
  if (!isValidKeyName(cp.origin))
    throw new RangeError('Checkpoint: origin must be non-empty without spaces or +');
  return (
    `${cp.origin}\n${cp.treeSize}\n${Buffer.from(cp.rootHash, 'hex').toString('base64')}\n` +
    `head ${cp.headHash}\ntime ${cp.time}\n`
  );
}

/** C2SP key id: SHA-256(name || 0x0A || type || public key)[:4] for Ed25519, SHA-256(SPKI DER)[:4] for ECDSA. */
export function keyId(keyName: string, type: SignatureType, publicKey: Uint8Array): Buffer {
  return Buffer.from(verifierKeyId(keyName, type, publicKey));
}

/** The verifier key string `<name>+<hex key id>+<base64(type || public key)>`. */
export function verifierKeyString(keyName: string, type: SignatureType, publicKey: Uint8Array): string {
  if (!isValidKeyName(keyName)) throw new RangeError('Verifier key: bad key name');
  const encoded = Buffer.concat([Buffer.from([type]), publicKey]).toString('base64');
  return `${keyName}+${keyId(keyName, type, publicKey).toString('hex')}+${encoded}`;
}

export async function verifierKeyOf(signer: CheckpointSigner): Promise<string> {
  return verifierKeyString(signer.keyName, signer.signatureType, await signer.publicKeyRaw());
}

/** Signs a note text (ending in a newline) with one or more keys; returns the signed note (C2SP signed-note). */
export async function signNote(
  text: string,
  signers: CheckpointSigner | readonly CheckpointSigner[],
): Promise<string> {
  if (!text.endsWith('\n') || hasControlCharacter(text))
    throw new RangeError('Note text must end in a newline');
  const message = Buffer.from(text, 'utf8');
  let note = `${text}\n`;
  for (const signer of Array.isArray(signers) ? signers : [signers]) {
    const id = keyId(signer.keyName, signer.signatureType, await signer.publicKeyRaw());
    const signature = await signer.sign(message);
    note += `${EM_DASH_PREFIX}${signer.keyName} ${Buffer.concat([id, signature]).toString('base64')}\n`;
  }
  return note;
}

/** Signs a checkpoint with one or more keys; returns the signed note. */
export function signCheckpoint(
  cp: Checkpoint,
  signers: CheckpointSigner | readonly CheckpointSigner[],
): Promise<string> {
  return signNote(checkpointText(cp), signers);
}

/** PKCS #8 header of an Ed25519 private key (RFC 8410), followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A checkpoint signer over a local Ed25519 key (node:crypto). */
export class Ed25519Signer implements CheckpointSigner {
  readonly signatureType = SIGNATURE_TYPE_ED25519;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  private constructor(
    readonly keyName: string,
    privateKey: KeyObject,
  ) {
    if (!isValidKeyName(keyName)) throw new RangeError('Ed25519 signer: bad key name');
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new RangeError('Ed25519 signer: not an Ed25519 key');
    this.#privateKey = privateKey;
    this.#publicKey = createPublicKey(privateKey);
  }

  static generate(keyName: string): Ed25519Signer {
    return new Ed25519Signer(keyName, generateKeyPairSync('ed25519').privateKey);
  }

  static fromPrivateKeyPem(keyName: string, pem: string): Ed25519Signer {
    return new Ed25519Signer(keyName, createPrivateKey({ key: pem, format: 'pem' }));
  }

  /** From the 32-byte RFC 8032 private key (seed); for reproducible examples and tests. */
  static fromSeed(keyName: string, seed: Uint8Array): Ed25519Signer {
    if (seed.length !== 32) throw new RangeError('Ed25519 signer: the seed has 32 bytes');
    const pkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
    return new Ed25519Signer(keyName, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  }

  static fromPrivateKeyJwk(keyName: string, jwk: JsonWebKey): Ed25519Signer {
    return new Ed25519Signer(keyName, createPrivateKey({ key: jwk, format: 'jwk' }));
  }

  async publicKeyRaw(): Promise<Uint8Array> {
    return this.publicKeyRawSync();
  }

  publicKeyRawSync(): Buffer {
    const x = this.#publicKey.export({ format: 'jwk' }).x;
    if (typeof x !== 'string') throw new Error('Ed25519 signer: public key has no x');
    return Buffer.from(x, 'base64url');
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign(null, message, this.#privateKey);
  }

  publicKeyPem(): string {
    return this.#publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  publicKeyJwk(): JsonWebKey {
    return this.#publicKey.export({ format: 'jwk' });
  }

  /** For keeping a local key on disk (the local platform); never logged. */
  privateKeyPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  privateKeyJwk(): JsonWebKey {
    return this.#privateKey.export({ format: 'jwk' });
  }

  /** The C2SP verifier key string a DPO configures. */
  verifierKey(): string {
    return verifierKeyString(this.keyName, this.signatureType, this.publicKeyRawSync());
  }
}
