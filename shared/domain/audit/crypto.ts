/**
 * The cryptography the audit verifier needs, as a port, so that one verifier runs on
 * the server, in the CLI and in the data-protection officer's browser.
 *
 * Two implementations, chosen by the platform through the package's `#audit-crypto`
 * import (package.json `imports`, condition `node`):
 * - shared/domain/audit/crypto-node.ts — node:crypto; every call answers at once;
 * - shared/domain/audit/crypto-web.ts — WebCrypto for keys and signatures (which
 *   answer with promises), and a synchronous SHA-256 in JavaScript for hashing.
 *
 * Hashing is synchronous in both: it runs for every entry and every Merkle node, and
 * a verifier that awaited each hash would be several times slower (WebCrypto's
 * digest costs tens of microseconds per call, most of it the round trip).
 * Signatures are checked once per checkpoint, so they may be asynchronous; the
 * synchronous entry points (verifyNote, NdjsonVerifier) refuse an implementation
 * that answers with a promise rather than read a promise as a verdict.
 */

/** 0x01 Ed25519, 0x02 ECDSA P-256 with SHA-256 (C2SP signed-note signature types). */
export type SignatureAlgorithm = 0x01 | 0x02;

export type Awaitable<T> = T | Promise<T>;

export interface AuditHashing {
  /** SHA-256 of the bytes, or of a string's UTF-8 encoding, in lower-case hex. */
  sha256Hex(data: Uint8Array | string): string;
  /** SHA-256 of the bytes, or of a string's UTF-8 encoding. */
  sha256(data: Uint8Array | string): Uint8Array;
  /** SHA-256 of the bytes, written into `out` at `offset` (32 bytes): no allocation on the hot path. */
  sha256Into(data: Uint8Array, out: Uint8Array, offset: number): void;
}

/** Public-key signature verification; `Key` is the implementation's key handle. */
export interface SignatureVerification<Key = unknown> {
  /**
   * The key handle of a verifier key's public key: Ed25519, 32 raw bytes; ECDSA, a DER
   * SubjectPublicKeyInfo of an EC key. Undefined when the bytes are not such a key.
   */
  importPublicKey(algorithm: SignatureAlgorithm, publicKey: Uint8Array): Awaitable<Key | undefined>;
  /** Ed25519 over the message; ECDSA over SHA-256(message) with a DER signature. */
  verify(
    algorithm: SignatureAlgorithm,
    key: Key,
    message: Uint8Array,
    signature: Uint8Array,
  ): Awaitable<boolean>;
}

export interface AuditCrypto<Key = unknown> extends AuditHashing, SignatureVerification<Key> {}

/** The same port, answering at once (node:crypto). */
export interface SyncAuditCrypto<Key = unknown> extends AuditCrypto<Key> {
  importPublicKey(algorithm: SignatureAlgorithm, publicKey: Uint8Array): Key | undefined;
  verify(algorithm: SignatureAlgorithm, key: Key, message: Uint8Array, signature: Uint8Array): boolean;
}

/** A value a synchronous entry point received from the port; a promise means the wrong entry point. */
export function now<T>(value: Awaitable<T>, what: string): T {
  if (value instanceof Promise || (typeof value === 'object' && value !== null && 'then' in value)) {
    throw new TypeError(`${what}: this platform verifies signatures asynchronously; use the async form`);
  }
  return value as T;
}

// Byte helpers without Buffer, which browsers lack.

const HEX_DIGITS = '0123456789abcdef';
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  }
  return out;
}

/**
 * Decodes lower-case hex into `out` at `offset`; false (nothing promised about `out`)
 * when the text is not exactly `2 * length` hex digits.
 */
export function hexInto(hex: string, out: Uint8Array, offset: number, length: number): boolean {
  if (hex.length !== 2 * length) return false;
  for (let i = 0; i < length; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[offset + i] = (hi << 4) | lo;
  }
  return true;
}

/** Lower-case hex to bytes; undefined when it is not an even number of hex digits. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const out = new Uint8Array(hex.length / 2);
  return hexInto(hex, out, 0, out.length) ? out : undefined;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 with padding; unused low bits of the last character are ignored,
 * as `Buffer.from(text, 'base64')` does. Undefined for any other text.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * decodeBase64, only for the canonical encoding of the bytes (as
 * `Buffer.from(text, 'base64').toString('base64') === text` checks): otherwise two
 * texts would name the same bytes.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  const out = decodeBase64(text);
  return out !== undefined && toBase64(out) === text ? out : undefined;
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
