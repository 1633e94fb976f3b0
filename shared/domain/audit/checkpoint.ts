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
import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, sign, verify } from 'node:crypto';
import type { ChainHead } from './chain.ts';
import { headRoot } from './chain.ts';
import { HEX_HASH } from './entry.ts';

export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_ECDSA = 0x02;
export type SignatureType = typeof SIGNATURE_TYPE_ED25519 | typeof SIGNATURE_TYPE_ECDSA;

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

/** A checkpoint: the state of the log at a tree size. */
export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  /** RFC 9162 Merkle root over the first `treeSize` entry hashes, hex. */
  readonly rootHash: string;
  /** `hash` of the entry with sequence `treeSize` (64 zeros for an empty log), hex. */
  readonly headHash: string;
  /** When the checkpoint was made, UTC with milliseconds. */
  readonly time: string;
}

const KEY_NAME = /^[^\s+]+$/u;
const NOTE_NAME_MAX = 256;
const MAX_SIGNATURES = 32;
const TREE_SIZE = /^(?:0|[1-9][0-9]{0,15})$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;
const UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EM_DASH_PREFIX = '\u2014 ';

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.length <= NOTE_NAME_MAX && KEY_NAME.test(name);
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

/** Parses a checkpoint's note text (not its signatures). */
export function parseCheckpointText(text: string): Checkpoint | undefined {
  if (!text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  const [origin, size, root, ...extensions] = lines;
  if (origin === undefined || size === undefined || root === undefined) return undefined;
  if (!isValidKeyName(origin) || !TREE_SIZE.test(size) || !BASE64_32.test(root)) return undefined;
  let headHash: string | undefined;
  let time: string | undefined;
  for (const line of extensions) {
    if (line.length === 0) return undefined;
    if (line.startsWith('head ')) {
      if (headHash !== undefined) return undefined;
      headHash = line.slice(5);
    } else if (line.startsWith('time ')) {
      if (time !== undefined) return undefined;
      time = line.slice(5);
    }
    // Other extension lines are opaque (C2SP tlog-checkpoint): ignored.
  }
  if (headHash === undefined || !HEX_HASH.test(headHash)) return undefined;
  if (time === undefined || !UTC_MILLIS.test(time)) return undefined;
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) return undefined;
  return { origin, treeSize, rootHash: Buffer.from(root, 'base64').toString('hex'), headHash, time };
}

/** C2SP key id: SHA-256(name || 0x0A || type || public key)[:4] for Ed25519, SHA-256(SPKI DER)[:4] for ECDSA. */
export function keyId(keyName: string, type: SignatureType, publicKey: Uint8Array): Buffer {
  const input =
    type === SIGNATURE_TYPE_ED25519
      ? Buffer.concat([Buffer.from(`${keyName}\n`, 'utf8'), Buffer.from([type]), publicKey])
      : Buffer.from(publicKey);
  return hash('sha256', input, 'buffer').subarray(0, 4);
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

/** A parsed verifier key, ready to check signatures. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: string;
  readonly type: SignatureType;
  readonly publicKey: KeyObject;
}

export function parseVerifierKey(text: string): VerifierKey | undefined {
  // The base64 part may itself contain '+': split at the first two only.
  const match = /^([^+]+)\+([^+]*)\+(.+)$/.exec(text.trim());
  if (!match) return undefined;
  const [, name, id, encoded] = match as unknown as [string, string, string, string];
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(id)) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 2 || bytes.toString('base64') !== encoded) return undefined;
  const type = bytes[0];
  const raw = bytes.subarray(1);
  try {
    if (type === SIGNATURE_TYPE_ED25519 && raw.length === 32) {
      if (keyId(name, type, raw).toString('hex') !== id) return undefined;
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
        format: 'jwk',
      });
      return { name, keyId: id, type, publicKey };
    }
    if (type === SIGNATURE_TYPE_ECDSA) {
      if (keyId(name, type, raw).toString('hex') !== id) return undefined;
      const publicKey = createPublicKey({ key: raw, format: 'der', type: 'spki' });
      if (publicKey.asymmetricKeyType !== 'ec') return undefined;
      return { name, keyId: id, type, publicKey };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

interface NoteSignature {
  readonly name: string;
  readonly keyId: string;
  readonly signature: Buffer;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}

/** Splits a signed note into its text and signature lines (C2SP signed-note). */
export function parseSignedNote(note: string): { text: string; signatures: NoteSignature[] } | undefined {
  // No control characters other than newline (C2SP signed-note).
  if (hasControlCharacter(note) || !note.endsWith('\n')) return undefined;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const signatureLines = note.slice(split + 2, -1).split('\n');
  if (signatureLines.length > MAX_SIGNATURES) return undefined;
  const signatures: NoteSignature[] = [];
  for (const line of signatureLines) {
    if (!line.startsWith(EM_DASH_PREFIX)) return undefined;
    const rest = line.slice(EM_DASH_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space <= 0) return undefined;
    const name = rest.slice(0, space);
    const encoded = rest.slice(space + 1);
    const bytes = Buffer.from(encoded, 'base64');
    if (!isValidKeyName(name) || bytes.length < 5 || bytes.toString('base64') !== encoded) return undefined;
    signatures.push({ name, keyId: bytes.subarray(0, 4).toString('hex'), signature: bytes.subarray(4) });
  }
  return { text, signatures };
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

export type NoteVerification =
  | { readonly ok: true; readonly text: string; readonly keyNames: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'no-trusted-signature' | 'bad-signature';
      readonly detail: string;
    };

/**
 * Verifies a signed note against trusted verifier keys (several during a key
 * rotation). Per C2SP signed-note: signatures by unknown keys are ignored; one that
 * claims a trusted key and fails rejects the whole note; at least one must verify.
 */
export function verifyNote(note: string, verifierKeys: string | readonly string[]): NoteVerification {
  const keys: VerifierKey[] = [];
  for (const k of typeof verifierKeys === 'string' ? [verifierKeys] : verifierKeys) {
    const parsed = parseVerifierKey(k);
    if (!parsed) return { ok: false, reason: 'malformed', detail: 'a verifier key is not well-formed' };
    keys.push(parsed);
  }
  const signed = parseSignedNote(note);
  if (!signed) return { ok: false, reason: 'malformed', detail: 'not a signed note' };
  const message = Buffer.from(signed.text, 'utf8');
  const verifiedBy: string[] = [];
  for (const sig of signed.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    const good =
      key.type === SIGNATURE_TYPE_ED25519
        ? verify(null, message, key.publicKey, sig.signature)
        : verify('sha256', message, { key: key.publicKey, dsaEncoding: 'der' }, sig.signature);
    if (!good)
      return {
        ok: false,
        reason: 'bad-signature',
        detail: `the signature of key ${key.name} does not verify`,
      };
    verifiedBy.push(key.name);
  }
  if (verifiedBy.length === 0) {
    return { ok: false, reason: 'no-trusted-signature', detail: 'no signature by a trusted key' };
  }
  return { ok: true, text: signed.text, keyNames: verifiedBy };
}

export type CheckpointVerification =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly keyNames: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'no-trusted-signature' | 'bad-signature';
      readonly detail: string;
    };

/** Verifies a signed checkpoint note and parses its text. */
export function verifyCheckpoint(
  note: string,
  verifierKeys: string | readonly string[],
): CheckpointVerification {
  const verified = verifyNote(note, verifierKeys);
  if (!verified.ok) return verified;
  const checkpoint = parseCheckpointText(verified.text);
  if (!checkpoint) return { ok: false, reason: 'malformed', detail: 'the note text is not a checkpoint' };
  return { ok: true, checkpoint, keyNames: verified.keyNames };
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
