/**
 * Reading and verifying signed checkpoints (C2SP signed-note, C2SP tlog-checkpoint;
 * docs/audit-format.md §Checkpoints) — the half of checkpoint.ts a verifier needs,
 * without node:crypto or Buffer, so that it runs in a browser too. The cryptography
 * is the `#audit-crypto` port (crypto.ts). Signing stays in checkpoint.ts.
 *
 * verifyNote and verifyCheckpoint answer at once where the port does (node:crypto);
 * their Async forms also work with WebCrypto, whose signature checks are promises.
 * Both forms share every rule below: only the signature checks are awaited.
 */
import { auditCrypto } from '#audit-crypto';
import { type AuditCrypto, concatBytes, decodeBase64, fromBase64, now, toHex, utf8 } from './crypto.ts';
import { HEX_HASH } from './entry-text.ts';

const port: AuditCrypto = auditCrypto;

export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_ECDSA = 0x02;
export type SignatureType = typeof SIGNATURE_TYPE_ED25519 | typeof SIGNATURE_TYPE_ECDSA;

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
export const EM_DASH_PREFIX = '\u2014 ';

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && name.length <= NOTE_NAME_MAX && KEY_NAME.test(name);
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
  const rootBytes = decodeBase64(root);
  if (rootBytes === undefined) return undefined;
  return { origin, treeSize, rootHash: toHex(rootBytes), headHash, time };
}

/** C2SP key id: SHA-256(name || 0x0A || type || public key)[:4] for Ed25519, SHA-256(SPKI DER)[:4] for ECDSA. */
export function verifierKeyId(keyName: string, type: SignatureType, publicKey: Uint8Array): Uint8Array {
  const input =
    type === SIGNATURE_TYPE_ED25519
      ? concatBytes(utf8(`${keyName}\n`), Uint8Array.of(type), publicKey)
      : publicKey;
  return port.sha256(input).subarray(0, 4);
}

/** A parsed verifier key, ready to check signatures. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: string;
  readonly type: SignatureType;
  /** 0x01: the 32-byte Ed25519 key; 0x02: the DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
  /** The crypto port's handle of the key. */
  readonly handle: unknown;
}

type UnimportedKey = Omit<VerifierKey, 'handle'>;

function parseKeyText(text: string): UnimportedKey | undefined {
  // The base64 part may itself contain '+': split at the first two only.
  const match = /^([^+]+)\+([^+]*)\+(.+)$/.exec(text.trim());
  if (!match) return undefined;
  const [, name, id, encoded] = match as unknown as [string, string, string, string];
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(id)) return undefined;
  const bytes = fromBase64(encoded);
  if (bytes === undefined || bytes.length < 2) return undefined;
  const type = bytes[0];
  const publicKey = bytes.subarray(1);
  if (!(type === SIGNATURE_TYPE_ED25519 && publicKey.length === 32) && type !== SIGNATURE_TYPE_ECDSA) {
    return undefined;
  }
  if (toHex(verifierKeyId(name, type, publicKey)) !== id) return undefined;
  return { name, keyId: id, type, publicKey };
}

/** Parses a verifier key string `<name>+<hex key id>+<base64(type || public key)>`. */
export function parseVerifierKey(text: string): VerifierKey | undefined {
  const key = parseKeyText(text);
  if (!key) return undefined;
  const handle = now(port.importPublicKey(key.type, key.publicKey), 'parseVerifierKey');
  return handle === undefined ? undefined : { ...key, handle };
}

export async function parseVerifierKeyAsync(text: string): Promise<VerifierKey | undefined> {
  const key = parseKeyText(text);
  if (!key) return undefined;
  const handle = await port.importPublicKey(key.type, key.publicKey);
  return handle === undefined ? undefined : { ...key, handle };
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: string;
  readonly signature: Uint8Array;
}

export function hasControlCharacter(text: string): boolean {
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
    const bytes = fromBase64(rest.slice(space + 1));
    if (!isValidKeyName(name) || bytes === undefined || bytes.length < 5) return undefined;
    signatures.push({ name, keyId: toHex(bytes.subarray(0, 4)), signature: bytes.subarray(4) });
  }
  return { text, signatures };
}

export type NoteVerification =
  | { readonly ok: true; readonly text: string; readonly keyNames: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'no-trusted-signature' | 'bad-signature';
      readonly detail: string;
    };

const MALFORMED_KEY: NoteVerification = {
  ok: false,
  reason: 'malformed',
  detail: 'a verifier key is not well-formed',
};

/** The signatures of a note that claim a trusted key, in note order: what must be checked. */
interface NotePlan {
  readonly text: string;
  readonly message: Uint8Array;
  readonly checks: readonly { readonly key: VerifierKey; readonly signature: Uint8Array }[];
}

function planNote(note: string, keys: readonly VerifierKey[]): NotePlan | NoteVerification {
  const signed = parseSignedNote(note);
  if (!signed) return { ok: false, reason: 'malformed', detail: 'not a signed note' };
  const checks: { key: VerifierKey; signature: Uint8Array }[] = [];
  for (const sig of signed.signatures) {
    // Signatures by unknown keys are ignored (C2SP signed-note).
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (key) checks.push({ key, signature: sig.signature });
  }
  return { text: signed.text, message: utf8(signed.text), checks };
}

/** One failed check by a trusted key rejects the note; at least one must pass. */
function concludeNote(plan: NotePlan, verdicts: readonly boolean[]): NoteVerification {
  const verifiedBy: string[] = [];
  for (const [i, check] of plan.checks.entries()) {
    if (!verdicts[i]) {
      return {
        ok: false,
        reason: 'bad-signature',
        detail: `the signature of key ${check.key.name} does not verify`,
      };
    }
    verifiedBy.push(check.key.name);
  }
  if (verifiedBy.length === 0) {
    return { ok: false, reason: 'no-trusted-signature', detail: 'no signature by a trusted key' };
  }
  return { ok: true, text: plan.text, keyNames: verifiedBy };
}

const keyList = (keys: string | readonly string[]): readonly string[] =>
  typeof keys === 'string' ? [keys] : keys;

/**
 * Verifies a signed note against trusted verifier keys (several during a key
 * rotation). Per C2SP signed-note: signatures by unknown keys are ignored; one that
 * claims a trusted key and fails rejects the whole note; at least one must verify.
 */
export function verifyNote(note: string, verifierKeys: string | readonly string[]): NoteVerification {
  const keys: VerifierKey[] = [];
  for (const text of keyList(verifierKeys)) {
    const key = parseVerifierKey(text);
    if (!key) return MALFORMED_KEY;
    keys.push(key);
  }
  const plan = planNote(note, keys);
  if ('ok' in plan) return plan;
  const verdicts: boolean[] = [];
  for (const { key, signature } of plan.checks) {
    const good = now(port.verify(key.type, key.handle, plan.message, signature), 'verifyNote');
    verdicts.push(good);
    if (!good) break;
  }
  return concludeNote(plan, verdicts);
}

/** verifyNote, for a crypto port whose signature checks are asynchronous (WebCrypto). */
export async function verifyNoteAsync(
  note: string,
  verifierKeys: string | readonly string[],
): Promise<NoteVerification> {
  const keys = await Promise.all(keyList(verifierKeys).map(parseVerifierKeyAsync));
  if (keys.some((k) => k === undefined)) return MALFORMED_KEY;
  const plan = planNote(note, keys as VerifierKey[]);
  if ('ok' in plan) return plan;
  const verdicts = await Promise.all(
    plan.checks.map(({ key, signature }) => port.verify(key.type, key.handle, plan.message, signature)),
  );
  return concludeNote(plan, verdicts);
}

export type CheckpointVerification =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly keyNames: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'no-trusted-signature' | 'bad-signature';
      readonly detail: string;
    };

function checkpointOfNote(verified: NoteVerification): CheckpointVerification {
  if (!verified.ok) return verified;
  const checkpoint = parseCheckpointText(verified.text);
  if (!checkpoint) return { ok: false, reason: 'malformed', detail: 'the note text is not a checkpoint' };
  return { ok: true, checkpoint, keyNames: verified.keyNames };
}

/** Verifies a signed checkpoint note and parses its text. */
export function verifyCheckpoint(
  note: string,
  verifierKeys: string | readonly string[],
): CheckpointVerification {
  return checkpointOfNote(verifyNote(note, verifierKeys));
}

/** verifyCheckpoint, for a crypto port whose signature checks are asynchronous (WebCrypto). */
export async function verifyCheckpointAsync(
  note: string,
  verifierKeys: string | readonly string[],
): Promise<CheckpointVerification> {
  return checkpointOfNote(await verifyNoteAsync(note, verifierKeys));
}
