/**
 * The audit crypto port (shared/domain/audit/crypto.ts) in a browser: WebCrypto
 * (`crypto.subtle`) imports the verifier keys and checks the checkpoint signatures;
 * SHA-256 for entries and Merkle nodes is @aws-crypto/sha256-js, synchronous, which
 * the page bundles anyway for SigV4 — WebCrypto has no synchronous digest, and
 * awaiting one per entry is several times slower than hashing in JavaScript.
 * Chosen by `#audit-crypto` everywhere but Node; Node 22 runs it too (its
 * `globalThis.crypto`), which is how the unit tests hold it equal to node.ts.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { type AuditCrypto, type SignatureAlgorithm, toHex, utf8 } from './crypto.ts';

const ED25519 = 0x01;

function digest(data: Uint8Array | string): Uint8Array {
  const sha = new Sha256();
  sha.update(typeof data === 'string' ? utf8(data) : data);
  return sha.digestSync();
}

/** WebCrypto wants an ArrayBuffer-backed view; a copy is cheap for keys and signatures. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/**
 * WebCrypto's ECDSA takes the raw r || s form (IEEE P1363); checkpoints carry DER
 * (as KMS signs). Undefined when the DER is not a well-formed P-256 signature.
 */
export function derToP1363(der: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const out = new Uint8Array(64);
  let at = 2;
  for (let part = 0; part < 2; part++) {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1];
    let start = at + 2;
    if (length === undefined || length === 0 || length > 33 || start + length > der.length) return undefined;
    let size = length;
    // A leading zero only when the next byte has its high bit set (DER's minimal form).
    if (der[start] === 0x00) {
      if (length === 1 || (der[start + 1]! & 0x80) === 0) return undefined;
      start++;
      size--;
    } else if ((der[start]! & 0x80) !== 0) return undefined;
    if (size > 32) return undefined;
    out.set(der.subarray(start, start + size), part * 32 + 32 - size);
    at = at + 2 + length;
  }
  return at === der.length ? out : undefined;
}

export const auditCrypto: AuditCrypto<CryptoKey> = {
  sha256Hex: (data) => toHex(digest(data)),
  sha256: digest,
  sha256Into(data, out, offset) {
    out.set(digest(data), offset);
  },
  async importPublicKey(algorithm: SignatureAlgorithm, raw: Uint8Array): Promise<CryptoKey | undefined> {
    try {
      if (algorithm === ED25519) {
        if (raw.length !== 32) return undefined;
        return await crypto.subtle.importKey('raw', own(raw), { name: 'Ed25519' }, false, ['verify']);
      }
      return await crypto.subtle.importKey('spki', own(raw), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'verify',
      ]);
    } catch {
      return undefined;
    }
  },
  async verify(algorithm, key, message, signature) {
    if (algorithm === ED25519) {
      return crypto.subtle.verify({ name: 'Ed25519' }, key, own(signature), own(message));
    }
    const raw = derToP1363(signature);
    return (
      raw !== undefined && crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, raw, own(message))
    );
  },
};
