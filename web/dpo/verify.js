/**
 * Verification of the audit log in the browser (docs/audit-format.md §2–§7), with
 * WebCrypto only: the entry hashes over the JCS form, the hash chain, the RFC 9162
 * Merkle root at each checkpoint, and the checkpoints' signatures (Ed25519, or
 * ECDSA P-256 for KMS keys without Ed25519). A port of shared/domain/audit/ (which
 * uses node:crypto); a unit test runs both on the same random logs and tamperings
 * and requires the same verdicts. Problems are reported as there: the first one,
 * by kind and sequence.
 */

const encoder = new TextEncoder();
export const GENESIS_HASH = '0'.repeat(64);
const ENTRY_PREFIX = encoder.encode('\u0000rex-audit-entry-v1\n');
const HEX_HASH = /^[0-9a-f]{64}$/;
const LONE_SURROGATE = /\p{Surrogate}/u;
const EM_DASH_PREFIX = '\u2014 ';
const TYPE_ED25519 = 0x01;
const TYPE_ECDSA = 0x02;

// ------------------------------------------------------------ bytes

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Strict standard base64 with padding; undefined when the text is not exactly that. */
export function fromBase64(text) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  // Non-canonical trailing bits would let two texts name the same bytes.
  return toBase64(out) === text ? out : undefined;
}

export function toBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

// ------------------------------------------------------------ JCS (RFC 8785)

/** The canonical JSON text of a value (RFC 8785), as shared/domain/audit/canonical.ts. */
export function canonicalize(value) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: not a finite number');
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new TypeError('JCS: lone surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
      const parts = [];
      for (const key of Object.keys(value).sort()) {
        if (value[key] === undefined) continue;
        if (LONE_SURROGATE.test(key)) throw new TypeError('JCS: lone surrogate');
        parts.push(`${JSON.stringify(key)}:${canonicalize(value[key])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError('JCS: a type JSON cannot carry');
  }
}

/** The entry hash (§3), hex: SHA-256(0x00 || "rex-audit-entry-v1\n" || JCS(entry without hash)). */
export async function entryHash(entry) {
  const { hash: _omitted, ...rest } = entry;
  let text;
  try {
    text = canonicalize(rest);
  } catch {
    return 'not-json';
  }
  return toHex(await sha256(concat(ENTRY_PREFIX, encoder.encode(text))));
}

// ------------------------------------------------------------ Merkle tree (RFC 9162)

async function nodeHash(leftHex, rightHex) {
  return toHex(await sha256(concat(new Uint8Array([0x01]), fromHex(leftHex), fromHex(rightHex))));
}

function popCount(n) {
  let count = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}

/** The compact range of a Merkle tree: one subtree root per set bit of the size, largest first. */
export class MerkleFrontier {
  constructor(size = 0, hashes = []) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('Merkle frontier: bad size');
    if (hashes.length !== popCount(size)) throw new RangeError('Merkle frontier: hash count');
    for (const h of hashes) if (!HEX_HASH.test(h)) throw new RangeError('Merkle frontier: bad hash');
    this.size = size;
    this.hashes = [...hashes];
  }

  static fromJSON(value) {
    return new MerkleFrontier(value.size, value.hashes);
  }

  /** Appends a leaf by its leaf hash (for entries: the entry hash), hex. */
  async append(leafHex) {
    let merged = leafHex;
    for (let s = this.size; s % 2 === 1; s = Math.floor(s / 2))
      merged = await nodeHash(this.hashes.pop(), merged);
    this.hashes.push(merged);
    this.size += 1;
  }

  /** The Merkle tree hash, hex. */
  async root() {
    if (this.hashes.length === 0) return toHex(await sha256(new Uint8Array(0)));
    let acc = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = await nodeHash(this.hashes[i], acc);
    return acc;
  }
}

// ------------------------------------------------------------ checkpoints and keys

const KEY_NAME = /^[^\s+]{1,256}$/u;

/**
 * A C2SP verifier key `<name>+<key id>+<base64(type || key)>`, imported for
 * WebCrypto; undefined when malformed or when the key id does not match.
 */
export async function parseVerifierKey(text) {
  const match = /^([^+]+)\+([^+]*)\+(.+)$/.exec(text.trim());
  if (!match) return undefined;
  const [, name, id, encoded] = match;
  if (!KEY_NAME.test(name) || !/^[0-9a-f]{8}$/.test(id)) return undefined;
  const bytes = fromBase64(encoded);
  if (!bytes || bytes.length < 2) return undefined;
  const type = bytes[0];
  const raw = bytes.subarray(1);
  try {
    if (type === TYPE_ED25519 && raw.length === 32) {
      const expected = (
        await sha256(concat(encoder.encode(`${name}\n`), new Uint8Array([type]), raw))
      ).subarray(0, 4);
      if (toHex(expected) !== id) return undefined;
      const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
      return { name, keyId: id, type, key };
    }
    if (type === TYPE_ECDSA) {
      if (toHex((await sha256(raw)).subarray(0, 4)) !== id) return undefined;
      const key = await crypto.subtle.importKey('spki', raw, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'verify',
      ]);
      return { name, keyId: id, type, key };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A DER ECDSA signature as the fixed-width r || s that WebCrypto verifies. */
function derToRaw(der) {
  const read = (at) => {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1];
    let value = der.subarray(at + 2, at + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) return undefined;
    const out = new Uint8Array(32);
    out.set(value, 32 - value.length);
    return { value: out, next: at + 2 + length };
  };
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const r = read(2);
  const s = r && read(r.next);
  if (!r || !s || s.next !== der.length) return undefined;
  return concat(r.value, s.value);
}

/** The note text and signature lines of a C2SP signed note; undefined when malformed. */
export function parseSignedNote(note) {
  for (let i = 0; i < note.length; i++) {
    const code = note.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return undefined;
  }
  if (!note.endsWith('\n')) return undefined;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return undefined;
  const text = note.slice(0, split + 1);
  const signatures = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(EM_DASH_PREFIX)) return undefined;
    const rest = line.slice(EM_DASH_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space <= 0) return undefined;
    const name = rest.slice(0, space);
    const bytes = fromBase64(rest.slice(space + 1));
    if (!KEY_NAME.test(name) || !bytes || bytes.length < 5) return undefined;
    signatures.push({ name, keyId: toHex(bytes.subarray(0, 4)), signature: bytes.subarray(4) });
  }
  if (signatures.length > 32) return undefined;
  return { text, signatures };
}

/** The checkpoint in a note text (origin, size, root, head, time). */
export function parseCheckpointText(text) {
  if (!text.endsWith('\n')) return undefined;
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || size === undefined || root === undefined) return undefined;
  if (!KEY_NAME.test(origin) || !/^(?:0|[1-9][0-9]{0,15})$/.test(size) || !/^[A-Za-z0-9+/]{43}=$/.test(root))
    return undefined;
  let headHash;
  let time;
  for (const line of extensions) {
    if (line.length === 0) return undefined;
    if (line.startsWith('head ')) {
      if (headHash !== undefined) return undefined;
      headHash = line.slice(5);
    } else if (line.startsWith('time ')) {
      if (time !== undefined) return undefined;
      time = line.slice(5);
    }
  }
  if (headHash === undefined || !HEX_HASH.test(headHash)) return undefined;
  if (time === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(time)) return undefined;
  const treeSize = Number(size);
  const rootBytes = fromBase64(root);
  if (!Number.isSafeInteger(treeSize) || !rootBytes) return undefined;
  return { origin, treeSize, rootHash: toHex(rootBytes), headHash, time };
}

/**
 * Verifies a signed checkpoint against trusted keys (parsed with parseVerifierKey).
 * As C2SP signed-note: unknown keys' lines are ignored, a trusted key's failing
 * line rejects the note, at least one must verify.
 */
export async function verifyCheckpoint(note, keys) {
  const signed = parseSignedNote(note);
  if (!signed) return { ok: false, detail: 'not a signed note' };
  const message = encoder.encode(signed.text);
  const keyNames = [];
  for (const sig of signed.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    let good = false;
    if (key.type === TYPE_ED25519) {
      good =
        sig.signature.length === 64 &&
        (await crypto.subtle.verify('Ed25519', key.key, sig.signature, message));
    } else {
      const raw = derToRaw(sig.signature);
      good =
        raw !== undefined &&
        (await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key.key, raw, message));
    }
    if (!good) return { ok: false, detail: `the signature of key ${key.name} does not verify` };
    keyNames.push(key.name);
  }
  if (keyNames.length === 0) return { ok: false, detail: 'no signature by a trusted key' };
  const checkpoint = parseCheckpointText(signed.text);
  if (!checkpoint) return { ok: false, detail: 'the note text is not a checkpoint' };
  return { ok: true, checkpoint, keyNames };
}

// ------------------------------------------------------------ the log

/**
 * Verifies entries (in sequence order; an array or an async iterable) against signed
 * checkpoint notes and trusted verifier key strings. Result as
 * shared/domain/audit/verify.ts: `{ok: true, entries, firstSequence, lastSequence,
 * headHash, checkpointsMatched, signedTreeSize, rootHash, keyNames}` or
 * `{ok: false, problem: {kind, sequence, detail}, entries}`.
 *
 * @param {Iterable<object> | AsyncIterable<object>} entries
 * @param {{ checkpoints: string[], verifierKeys: string[], anchor?: { sequence: number, hash: string, merkleFrontier?: { size: number, hashes: string[] } }, onProgress?: (n: number) => void, progressEvery?: number }} options
 */
export async function verifyLog(entries, options) {
  const keys = [];
  for (const text of options.verifierKeys) {
    const key = await parseVerifierKey(text);
    if (!key)
      return {
        ok: false,
        problem: { kind: 'bad-signature', sequence: 0, detail: 'a verifier key is not well-formed' },
        entries: 0,
      };
    keys.push(key);
  }
  const bySize = new Map();
  const keyNames = new Set();
  let origin;
  for (const note of options.checkpoints) {
    const result = await verifyCheckpoint(note, keys);
    if (!result.ok) {
      const size = /^[^\n]*\n(\d+)\n/.exec(note)?.[1];
      return {
        ok: false,
        problem: { kind: 'bad-signature', sequence: size ? Number(size) : 0, detail: result.detail },
        entries: 0,
      };
    }
    const cp = result.checkpoint;
    origin ??= cp.origin;
    if (cp.origin !== origin)
      return {
        ok: false,
        problem: {
          kind: 'bad-signature',
          sequence: cp.treeSize,
          detail: 'a checkpoint belongs to another log',
        },
        entries: 0,
      };
    const same = bySize.get(cp.treeSize);
    if (same && (same.rootHash !== cp.rootHash || same.headHash !== cp.headHash))
      return {
        ok: false,
        problem: {
          kind: 'checkpoint-mismatch',
          sequence: cp.treeSize,
          detail: 'two signed checkpoints of the same size disagree',
        },
        entries: 0,
      };
    bySize.set(cp.treeSize, cp);
    for (const name of result.keyNames) keyNames.add(name);
  }
  const checkpoints = [...bySize.values()].sort((a, b) => a.treeSize - b.treeSize);
  const verifier = new LogVerifier(checkpoints, options);
  const startProblem = await verifier.start();
  if (startProblem) return { ok: false, problem: startProblem, entries: 0 };
  for await (const entry of entries) {
    const problem = await verifier.push(entry);
    if (problem) return { ok: false, problem, entries: verifier.read };
  }
  const result = await verifier.finish();
  return result.ok ? { ...result, keyNames: [...keyNames] } : result;
}

/** The verification state machine of shared/domain/audit/verify.ts, one entry at a time. */
class LogVerifier {
  constructor(checkpoints, options) {
    const anchor = options.anchor;
    this.anchor = anchor;
    this.expected = (anchor?.sequence ?? 0) + 1;
    this.firstExpected = this.expected;
    this.previousHash = anchor?.hash ?? GENESIS_HASH;
    this.frontier = anchor
      ? anchor.merkleFrontier
        ? MerkleFrontier.fromJSON(anchor.merkleFrontier)
        : null
      : new MerkleFrontier();
    this.checkpoints = checkpoints;
    this.nextCheckpoint = 0;
    this.matched = 0;
    this.held = null;
    this.pending = null;
    this.read = 0;
    this.onProgress = options.onProgress;
    this.progressEvery = Math.max(1, options.progressEvery ?? 1000);
  }

  async start() {
    const anchor = this.anchor;
    const startSize = this.expected - 1;
    if (anchor) {
      const bad = (detail) => ({ kind: 'checkpoint-mismatch', sequence: startSize, detail });
      if (!Number.isSafeInteger(anchor.sequence) || anchor.sequence < 0 || !HEX_HASH.test(anchor.hash))
        return bad('the anchor is not well-formed');
      const signed = this.checkpoints.find((cp) => cp.treeSize === anchor.sequence);
      if (!signed)
        return { kind: 'bad-signature', sequence: startSize, detail: 'no signed checkpoint at the anchor' };
      if (signed.headHash !== anchor.hash) return bad('the anchor hash differs from the signed checkpoint');
      if (this.frontier) {
        if (this.frontier.size !== anchor.sequence) return bad('the anchor frontier has another size');
        if ((await this.frontier.root()) !== signed.rootHash)
          return bad('the anchor frontier does not give the signed root');
      }
    }
    while (this.nextCheckpoint < this.checkpoints.length) {
      const cp = this.checkpoints[this.nextCheckpoint];
      if (cp.treeSize > startSize) break;
      if (cp.treeSize === startSize) {
        const problem = await this.checkAt(cp);
        if (problem) return problem;
      }
      this.nextCheckpoint++;
    }
    return undefined;
  }

  async push(entry) {
    this.read++;
    const expected = this.expected;
    const held = this.held;
    const computed = await entryHash(entry);
    if (computed !== entry.hash) {
      if (held) return this.missing(expected);
      return { kind: 'modified', sequence: expected, detail: 'the entry hash does not match its content' };
    }
    if (held) {
      if (entry.sequence !== expected) return this.missing(expected);
      return {
        kind: 'reordered',
        sequence: expected,
        detail: `entry ${held.sequence} appears before entry ${expected}`,
      };
    }
    const sequence = entry.sequence;
    if (sequence !== expected) {
      if (typeof sequence === 'number' && sequence > expected) {
        this.held = entry;
        return undefined;
      }
      if (typeof sequence === 'number' && sequence >= this.firstExpected)
        return { kind: 'inserted', sequence, detail: `a second entry claims sequence ${sequence}` };
      return {
        kind: 'inserted',
        sequence: expected,
        detail: 'an entry claims a sequence before the start of the log',
      };
    }
    if (entry.previousHash !== this.previousHash) {
      if (expected === this.firstExpected) {
        return this.anchor
          ? {
              kind: 'checkpoint-mismatch',
              sequence: expected - 1,
              detail: 'the first entry does not chain to the anchor',
            }
          : {
              kind: 'modified',
              sequence: expected,
              detail: 'the first entry does not start from the genesis hash',
            };
      }
      return {
        kind: 'modified',
        sequence: expected - 1,
        detail: `entry ${expected} does not chain to entry ${expected - 1}: that entry was rewritten`,
      };
    }
    if (this.pending) {
      const problem = await this.checkAt(this.pending);
      if (problem) return problem;
      this.pending = null;
    }
    this.previousHash = computed;
    if (this.frontier) await this.frontier.append(computed);
    this.expected = expected + 1;
    if (this.nextCheckpoint < this.checkpoints.length) {
      const cp = this.checkpoints[this.nextCheckpoint];
      if (cp.treeSize === expected) {
        this.nextCheckpoint++;
        this.pending = cp;
      }
    }
    if (this.onProgress && this.read % this.progressEvery === 0) this.onProgress(this.read);
    return undefined;
  }

  async finish() {
    if (this.held) return { ok: false, problem: this.missing(this.expected), entries: this.read };
    if (this.pending) {
      const problem = await this.checkAt(this.pending);
      if (problem) return { ok: false, problem, entries: this.read };
      this.pending = null;
    }
    const last = this.checkpoints[this.checkpoints.length - 1];
    const lastSequence = this.expected - 1;
    if (last && last.treeSize > lastSequence) {
      return {
        ok: false,
        problem: {
          kind: 'truncated',
          sequence: this.expected,
          detail: `the log ends at ${lastSequence}, a checkpoint covers ${last.treeSize}`,
        },
        entries: this.read,
      };
    }
    this.onProgress?.(this.read);
    return {
      ok: true,
      entries: this.read,
      firstSequence: this.read > 0 ? this.firstExpected : null,
      lastSequence,
      headHash: this.previousHash,
      checkpointsMatched: this.matched,
      signedTreeSize: last?.treeSize ?? 0,
      rootHash: this.frontier ? await this.frontier.root() : null,
    };
  }

  missing(sequence) {
    return { kind: 'deleted', sequence, detail: `entry ${sequence} is missing` };
  }

  async checkAt(cp) {
    if (cp.headHash !== this.previousHash)
      return {
        kind: 'checkpoint-mismatch',
        sequence: cp.treeSize,
        detail: 'the chain head differs from the checkpoint',
      };
    if (this.frontier && (await this.frontier.root()) !== cp.rootHash)
      return {
        kind: 'checkpoint-mismatch',
        sequence: cp.treeSize,
        detail: 'the Merkle root differs from the checkpoint',
      };
    this.matched++;
    return undefined;
  }
}
