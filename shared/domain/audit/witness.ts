/**
 * A witness (docs/audit-format.md §13): checks that a new signed checkpoint extends the
 * last one it cosigned, by an RFC 9162 consistency proof, and only then cosigns it
 * (C2SP tlog-cosignature, cosignature.ts). The signing half, on node:crypto; the
 * witness's private key stays with the witness.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { cosignatureMessage, cosignerKeyId, cosignerVerifierKey } from './cosignature.ts';
import { verifyCheckpointConsistency } from './proofs.ts';
import { EM_DASH_PREFIX, isValidKeyName, parseSignedNote, verifyCheckpointAsync } from './signed-note.ts';

/** A witness's Ed25519 key under its name (a schema-less URL, e.g. `lfd.example-land.de/witness`). */
export class WitnessKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: Uint8Array;

  private constructor(
    readonly name: string,
    privateKey: KeyObject,
  ) {
    if (!isValidKeyName(name)) throw new RangeError('Witness key: bad name');
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new RangeError('Witness key: not an Ed25519 key');
    this.#privateKey = privateKey;
    const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
    this.publicKey = new Uint8Array(Buffer.from(String(x), 'base64url'));
  }

  static generate(name: string): WitnessKey {
    return new WitnessKey(name, generateKeyPairSync('ed25519').privateKey);
  }

  static fromPrivateKeyPem(name: string, pem: string): WitnessKey {
    return new WitnessKey(name, createPrivateKey({ key: pem, format: 'pem' }));
  }

  /** For the witness's own key file only; never logged. */
  privateKeyPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** What DPOs configure to trust this witness (`<name>+<key id>+<base64(0x04 || key)>`). */
  verifierKey(): string {
    return cosignerVerifierKey(this.name, this.publicKey);
  }

  /** The note with this witness's cosignature line added (timestamp in seconds). */
  cosign(note: string, timestamp: number): string {
    const signed = parseSignedNote(note);
    if (!signed) throw new RangeError('Witness: not a signed note');
    const signature = sign(null, cosignatureMessage(signed.text, timestamp), this.#privateKey);
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(timestamp));
    const bytes = Buffer.concat([cosignerKeyId(this.name, this.publicKey), time, signature]);
    return `${note}${EM_DASH_PREFIX}${this.name} ${bytes.toString('base64')}\n`;
  }
}

export type WitnessOutcome =
  | { readonly ok: true; readonly cosigned: string; readonly treeSize: number }
  | { readonly ok: false; readonly detail: string };

export interface WitnessInput {
  /** The new checkpoint, as the log signed it. */
  readonly note: string;
  /** The log's verifier keys. */
  readonly logKeys: readonly string[];
  /** The last checkpoint this witness cosigned, if any (the witness's own copy). */
  readonly previous?: string | undefined;
  /** The consistency proof from `previous` to `note` (hex), when previous is given. */
  readonly proof?: readonly string[];
  readonly witness: WitnessKey;
  /** Seconds since the epoch. */
  readonly timestamp: number;
}

/**
 * Cosigns `note` only if it is signed by the log and extends the last checkpoint the
 * witness cosigned (same origin, not smaller, and the consistency proof holds).
 */
export async function witnessCheckpoint(input: WitnessInput): Promise<WitnessOutcome> {
  const signed = await verifyCheckpointAsync(input.note, input.logKeys);
  if (!signed.ok) return { ok: false, detail: `the checkpoint is not signed by the log: ${signed.detail}` };
  if (input.previous !== undefined) {
    const before = await verifyCheckpointAsync(input.previous, input.logKeys);
    if (!before.ok) return { ok: false, detail: `the checkpoint cosigned before: ${before.detail}` };
    if (before.checkpoint.treeSize > signed.checkpoint.treeSize)
      return { ok: false, detail: 'the log is smaller than the checkpoint cosigned before' };
    const consistent = await verifyCheckpointConsistency({
      from: input.previous,
      to: input.note,
      hashes: input.proof ?? [],
      verifierKey: input.logKeys,
    });
    if (!consistent.ok) return { ok: false, detail: consistent.detail };
  }
  // The log's own note, without other cosignatures, is what the witness adds its line to.
  return {
    ok: true,
    cosigned: input.witness.cosign(input.note, input.timestamp),
    treeSize: signed.checkpoint.treeSize,
  };
}
