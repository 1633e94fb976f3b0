/**
 * The audit crypto port (shared/domain/audit/crypto.ts) on node:crypto: the server,
 * the CLI and the tests. Every call answers at once, so the synchronous verifier
 * entry points work here. Chosen by `#audit-crypto` under the `node` condition.
 */
import { createPublicKey, hash, type KeyObject, verify } from 'node:crypto';
import type { SignatureAlgorithm, SyncAuditCrypto } from './crypto.ts';

const ED25519 = 0x01;

export const auditCrypto: SyncAuditCrypto<KeyObject> = {
  sha256Hex: (data) => hash('sha256', data, 'hex'),
  sha256: (data) => hash('sha256', data, 'buffer'),
  sha256Into(data, out, offset) {
    // 'binary' (latin1): one character per byte, which node:crypto returns faster than a Buffer.
    const digest = hash('sha256', data, 'binary');
    for (let i = 0; i < 32; i++) out[offset + i] = digest.charCodeAt(i);
  },
  importPublicKey(algorithm: SignatureAlgorithm, raw: Uint8Array): KeyObject | undefined {
    try {
      if (algorithm === ED25519) {
        if (raw.length !== 32) return undefined;
        return createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
          format: 'jwk',
        });
      }
      const key = createPublicKey({ key: Buffer.from(raw), format: 'der', type: 'spki' });
      return key.asymmetricKeyType === 'ec' ? key : undefined;
    } catch {
      return undefined;
    }
  },
  verify(algorithm, key, message, signature) {
    return algorithm === ED25519
      ? verify(null, message, key, signature)
      : verify('sha256', message, { key, dsaEncoding: 'der' }, signature);
  },
};
