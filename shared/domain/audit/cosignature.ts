/**
 * Witness cosignatures of checkpoints (C2SP tlog-cosignature, Ed25519 `cosignature/v1`;
 * docs/audit-format.md §13): a witness outside the platform's operator — the Land's
 * data-protection authority, a second district — checks that a new checkpoint is
 * consistent with the last one it cosigned, then adds its own signature line to the
 * note. A verifier that requires N witnesses accepts a checkpoint only with N good
 * cosignatures, so the operator alone can no longer show different histories to
 * different readers.
 *
 *   signature line  — <witness name> base64(key id (4) || timestamp (8, big-endian) || Ed25519 signature (64))
 *   key id          SHA-256(<name> || "\n" || 0x04 || public key)[:4]
 *   signed message  "cosignature/v1\n" || "time " <timestamp, decimal> "\n" || <the note text>
 *   verifier key    <name>+<key id hex>+base64(0x04 || public key)
 *
 * Verification only, without node: imports, so that it runs in browsers too; the
 * witness's signing half is witness.ts.
 */
import { auditCrypto } from '#audit-crypto';
import { type AuditCrypto, concatBytes, fromBase64, toBase64, toHex, utf8 } from './crypto.ts';
import { isValidKeyName, parseSignedNote } from './signed-note.ts';

const port: AuditCrypto = auditCrypto;

/** The C2SP signed-note signature type of an Ed25519 cosignature/v1. */
export const COSIGNATURE_TYPE = 0x04;
const ED25519 = 0x01;

/** The key id of a cosigner key. */
export function cosignerKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return port
    .sha256(concatBytes(utf8(`${name}\n`), Uint8Array.of(COSIGNATURE_TYPE), publicKey))
    .subarray(0, 4);
}

/** The verifier key string a DPO configures to trust a witness. */
export function cosignerVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name) || publicKey.length !== 32) throw new RangeError('Cosigner key: bad name or key');
  const encoded = toBase64(concatBytes(Uint8Array.of(COSIGNATURE_TYPE), publicKey));
  return `${name}+${toHex(cosignerKeyId(name, publicKey))}+${encoded}`;
}

/** The bytes a witness signs: the header line, the time line and the note text. */
export function cosignatureMessage(noteText: string, timestamp: number): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('Cosignature: bad timestamp');
  return utf8(`cosignature/v1\ntime ${timestamp}\n${noteText}`);
}

export interface CosignerKey {
  readonly name: string;
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

/** Parses a witness's verifier key `<name>+<key id>+<base64(0x04 || 32-byte key)>`. */
export function parseCosignerKey(text: string): CosignerKey | undefined {
  const match = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(text.trim());
  if (!match) return undefined;
  const [, name, keyId, encoded] = match as unknown as [string, string, string, string];
  const bytes = fromBase64(encoded);
  if (!isValidKeyName(name) || bytes === undefined || bytes.length !== 33 || bytes[0] !== COSIGNATURE_TYPE)
    return undefined;
  const publicKey = bytes.subarray(1);
  if (toHex(cosignerKeyId(name, publicKey)) !== keyId) return undefined;
  return { name, keyId, publicKey };
}

export type CosignatureVerification =
  | {
      readonly ok: true;
      /** The trusted witnesses whose cosignatures verified, in note order, each once. */
      readonly witnesses: readonly string[];
      /** Their timestamps (seconds), by witness name. */
      readonly timestamps: Readonly<Record<string, number>>;
    }
  | { readonly ok: false; readonly detail: string };

/**
 * The cosignatures of trusted witnesses on a signed note. Lines of other keys are
 * ignored (C2SP signed-note); a line that claims a trusted witness and fails
 * rejects the note. Works with either crypto port (async).
 */
export async function verifyCosignatures(
  note: string,
  witnessKeys: readonly string[],
): Promise<CosignatureVerification> {
  const keys: CosignerKey[] = [];
  for (const text of witnessKeys) {
    const key = parseCosignerKey(text);
    if (!key) return { ok: false, detail: 'a witness key is not well-formed' };
    keys.push(key);
  }
  const signed = parseSignedNote(note);
  if (!signed) return { ok: false, detail: 'not a signed note' };
  const witnesses: string[] = [];
  const timestamps: Record<string, number> = {};
  for (const sig of signed.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    if (sig.signature.length !== 8 + 64)
      return { ok: false, detail: `the cosignature of ${key.name} is not well-formed` };
    let timestamp = 0;
    for (let i = 0; i < 8; i++) timestamp = timestamp * 256 + sig.signature[i]!;
    if (!Number.isSafeInteger(timestamp))
      return { ok: false, detail: `the cosignature of ${key.name} has a bad time` };
    const handle = await port.importPublicKey(ED25519, key.publicKey);
    const good =
      handle !== undefined &&
      (await port.verify(
        ED25519,
        handle,
        cosignatureMessage(signed.text, timestamp),
        sig.signature.subarray(8),
      ));
    if (!good) return { ok: false, detail: `the cosignature of ${key.name} does not verify` };
    if (!witnesses.includes(key.name)) {
      witnesses.push(key.name);
      timestamps[key.name] = timestamp;
    }
  }
  return { ok: true, witnesses, timestamps };
}

export type WitnessRequirement =
  | {
      readonly ok: true;
      /** The largest checkpoint with enough cosignatures (0 when none are required). */
      readonly witnessedTreeSize: number;
      readonly witnesses: readonly string[];
    }
  | { readonly ok: false; readonly treeSize: number; readonly detail: string };

/**
 * Whether at least `required` distinct trusted witnesses cosigned one of the given
 * checkpoints. Notes of one checkpoint text (the log's own and a witness's copy) pool
 * their cosignatures. A cosignature line of a trusted witness that fails rejects.
 * The caller checks the checkpoints' log signatures and the entries as usual; the
 * largest witnessed tree size is how far the witnesses vouch that no other history
 * was shown to them.
 */
export async function checkWitnesses(
  notes: readonly string[],
  witnessKeys: readonly string[],
  required: number,
): Promise<WitnessRequirement> {
  const byText = new Map<string, { treeSize: number; witnesses: Set<string> }>();
  let largest = 0;
  for (const note of notes) {
    const signed = parseSignedNote(note);
    if (!signed) continue; // the log-signature check reports it
    const size = Number(signed.text.split('\n')[1]);
    if (Number.isSafeInteger(size)) largest = Math.max(largest, size);
    const result = await verifyCosignatures(note, witnessKeys);
    if (!result.ok)
      return { ok: false, treeSize: Number.isSafeInteger(size) ? size : 0, detail: result.detail };
    const group = byText.get(signed.text) ?? { treeSize: size, witnesses: new Set<string>() };
    for (const w of result.witnesses) group.witnesses.add(w);
    byText.set(signed.text, group);
  }
  if (required <= 0) return { ok: true, witnessedTreeSize: 0, witnesses: [] };
  let best: { treeSize: number; witnesses: Set<string> } | undefined;
  let most = 0;
  for (const group of byText.values()) {
    most = Math.max(most, group.witnesses.size);
    if (group.witnesses.size >= required && (!best || group.treeSize > best.treeSize)) best = group;
  }
  if (!best)
    return {
      ok: false,
      treeSize: largest,
      detail: `no checkpoint carries ${required} witness cosignature(s) (at most ${most})`,
    };
  return { ok: true, witnessedTreeSize: best.treeSize, witnesses: [...best.witnesses] };
}
