/**
 * RFC 9162 Merkle proofs over the audit log (docs/audit-format.md §4, §12): inclusion
 * proofs (an entry is in the tree a signed checkpoint names) and consistency proofs
 * (the tree of an older checkpoint is a prefix of a newer one's — the log only grew).
 *
 * Both halves live here, without node: imports or Buffer, so that one implementation
 * runs on the server, in `rex` and in the data-protection officer's browser:
 * - which subtrees a proof consists of (`inclusionProofRanges`,
 *   `consistencyProofRanges`, `perfectSubtrees`), for the platform that assembles
 *   proofs from stored subtree hashes;
 * - verification: the byte-level RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms
 *   (`verifyInclusionProof`, `verifyConsistencyProof`) and, on top, the checks a DPO
 *   runs on what the API returns (`verifyEntryInclusion`, `verifyCheckpointConsistency`):
 *   signatures of the checkpoints by trusted keys, the entry's form and hash, and the
 *   proof against the signed root.
 *
 * Tree positions are 0-based leaf indexes (leaf index = sequence − 1); a range
 * [start, end) covers leaves start … end − 1.
 */
import { auditCrypto } from '#audit-crypto';
import { type AuditCrypto, fromHex, hexInto, toHex } from './crypto.ts';
import type { AuditEntry } from './entry.ts';
import { entryShapeProblem } from './entry-shape.ts';
import { ENTRY_HASH_INPUT_PREFIX, entryCanonicalText, HEX_HASH } from './entry-text.ts';
import { type Checkpoint, verifyCheckpointAsync } from './signed-note.ts';

const port: AuditCrypto = auditCrypto;
const HASH_BYTES = 32;

/** A proof may hold at most this many hashes (64 levels, and one more for consistency). */
export const MAX_PROOF_HASHES = 65;

// ------------------------------------------------------------------ structure

/** A range of leaves [start, end). */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** An aligned perfect subtree: the 2^level leaves from `start` (a multiple of 2^level). */
export interface PerfectSubtree {
  readonly start: number;
  readonly level: number;
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSizes(...sizes: number[]): void {
  for (const n of sizes)
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('Merkle proof: bad tree size or index');
}

/**
 * The ranges whose Merkle tree hashes form the inclusion proof of leaf `index` in the
 * tree of `size` leaves, in proof order (RFC 9162 §2.1.3.1: the sibling nearest the
 * leaf first).
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  checkSizes(index, size);
  if (index >= size) throw new RangeError('Merkle proof: the leaf is not in the tree');
  const out: LeafRange[] = [];
  const path = (m: number, start: number, n: number) => {
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      out.push({ start: start + k, end: start + n });
    } else {
      path(m - k, start + k, n - k);
      out.push({ start, end: start + k });
    }
  };
  path(index, 0, size);
  return out;
}

/**
 * The ranges whose Merkle tree hashes form the consistency proof between the trees of
 * `from` and `to` leaves (RFC 9162 §2.1.4.1), 1 ≤ from ≤ to. Empty when from = to.
 */
export function consistencyProofRanges(from: number, to: number): LeafRange[] {
  checkSizes(from, to);
  if (from < 1 || from > to) throw new RangeError('Merkle proof: need 1 ≤ from ≤ to');
  const out: LeafRange[] = [];
  const subproof = (m: number, start: number, n: number, whole: boolean) => {
    if (m === n) {
      if (!whole) out.push({ start, end: start + n });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, k, whole);
      out.push({ start: start + k, end: start + n });
    } else {
      subproof(m - k, start + k, n - k, false);
      out.push({ start, end: start + k });
    }
  };
  subproof(from, 0, to, true);
  return out;
}

/**
 * The aligned perfect subtrees a proof range consists of, largest (leftmost) first:
 * its Merkle tree hash is node(h0, node(h1, … node(h[m-2], h[m-1]))), as for a
 * compact range (§4). Every range of a proof is aligned so; any other throws.
 */
export function perfectSubtrees(range: LeafRange): PerfectSubtree[] {
  const { start, end } = range;
  checkSizes(start, end);
  if (end <= start) throw new RangeError('Merkle proof: empty range');
  const out: PerfectSubtree[] = [];
  let at = start;
  for (let level = 63; level >= 0; level--) {
    const size = 2 ** level;
    if (Math.floor((end - start) / size) % 2 === 1) {
      if (at % size !== 0) throw new RangeError('Merkle proof: range not aligned');
      out.push({ start: at, level });
      at += size;
    }
  }
  return out;
}

/** The Merkle tree hash of a range from the hashes of its perfect subtrees (largest first). */
export function rangeHash(subtreeHashes: readonly Uint8Array[]): Uint8Array {
  const last = subtreeHashes[subtreeHashes.length - 1];
  if (last === undefined) throw new RangeError('Merkle proof: empty range');
  let acc = last;
  for (let i = subtreeHashes.length - 2; i >= 0; i--) acc = nodeHash(subtreeHashes[i]!, acc);
  return acc;
}

/** RFC 9162 interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_BYTES);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH_BYTES);
  return port.sha256(input);
}

// ------------------------------------------------------------------ RFC 9162 verification

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function wellFormed(proof: readonly Uint8Array[], ...hashes: Uint8Array[]): boolean {
  if (proof.length > MAX_PROOF_HASHES) return false;
  return [...proof, ...hashes].every((h) => h.length === HASH_BYTES);
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` shows the leaf of hash `leafHash` at `index` in
 * the tree of `size` leaves whose root is `root`. Sizes up to 2^53 (safe integers).
 */
export function verifyInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!wellFormed(proof, leafHash, root)) return false;
  // Plain numbers, not bit operators: sizes exceed 32 bits.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

const isPowerOfTwo = (n: number): boolean => n >= 1 && 2 ** Math.round(Math.log2(n)) === n;

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows that the tree of `from` leaves with root
 * `fromRoot` is a prefix of the tree of `to` leaves with root `toRoot`. For equal
 * sizes the proof is empty and the roots are equal; `from` must be at least 1.
 */
export function verifyConsistencyProof(
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to) return false;
  if (!wellFormed(proof, fromRoot, toRoot)) return false;
  if (from === to) return proof.length === 0 && equalBytes(fromRoot, toRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, fromRoot) && equalBytes(sr, toRoot);
}

// ------------------------------------------------------------------ what a DPO checks

/** The proof hashes as the API returns them: lower-case hex. Undefined when one is not. */
export function proofHashesFromHex(hashes: readonly string[]): Uint8Array[] | undefined {
  if (hashes.length > MAX_PROOF_HASHES) return undefined;
  const out: Uint8Array[] = [];
  for (const h of hashes) {
    const bytes = HEX_HASH.test(h) ? fromHex(h) : undefined;
    if (!bytes) return undefined;
    out.push(bytes);
  }
  return out;
}

export type ProofVerification =
  | {
      readonly ok: true;
      /** The signed checkpoint the proof was checked against (for consistency: the newer one). */
      readonly checkpoint: Checkpoint;
      /** For consistency: the older checkpoint. */
      readonly from?: Checkpoint;
    }
  | {
      readonly ok: false;
      /**
       * `bad-signature`: a checkpoint is not signed by a trusted key, or belongs to another
       * log; `malformed`: the entry or the proof is not of its form; `bad-proof`: the proof
       * does not lead from the entry (or older root) to the signed root; `checkpoint-mismatch`:
       * two checkpoints of one size disagree.
       */
      readonly reason: 'bad-signature' | 'malformed' | 'bad-proof' | 'checkpoint-mismatch';
      readonly detail: string;
    };

export interface InclusionToVerify {
  /** The entry, as the API or an export gives it. */
  readonly entry: AuditEntry;
  /** The tree size the proof is for; must be the checkpoint's. */
  readonly treeSize: number;
  /** The proof hashes, hex, nearest the leaf first. */
  readonly hashes: readonly string[];
  /** The signed checkpoint note of that tree size. */
  readonly checkpoint: string;
  /** Trusted verifier keys (several across a key rotation). */
  readonly verifierKey: string | readonly string[];
  /** The expected log origin; by default the checkpoint's own. */
  readonly origin?: string;
}

const fail = (
  reason: Extract<ProofVerification, { ok: false }>['reason'],
  detail: string,
): ProofVerification => ({
  ok: false,
  reason,
  detail,
});

/**
 * Verifies that an entry is in the log a signed checkpoint names: the checkpoint's
 * signature by a trusted key, the entry's form (§1) and its own hash (§3), and the
 * RFC 9162 inclusion proof from the entry hash (the leaf hash, at leaf index
 * sequence − 1) to the checkpoint's root. Works with either crypto port (async).
 */
export async function verifyEntryInclusion(input: InclusionToVerify): Promise<ProofVerification> {
  const signed = await verifyCheckpointAsync(input.checkpoint, input.verifierKey);
  if (!signed.ok) return fail('bad-signature', signed.detail);
  const cp = signed.checkpoint;
  if (input.origin !== undefined && cp.origin !== input.origin)
    return fail('bad-signature', 'the checkpoint belongs to another log');
  if (input.treeSize !== cp.treeSize) return fail('bad-proof', 'the proof is for another tree size');
  const shape = entryShapeProblem(input.entry);
  if (shape !== undefined) return fail('malformed', `the entry: ${shape}`);
  const entry = input.entry;
  const computed = port.sha256Hex(ENTRY_HASH_INPUT_PREFIX + entryCanonicalText(entry));
  if (computed !== entry.hash) return fail('bad-proof', 'the entry hash does not match its content');
  if (entry.sequence > cp.treeSize) return fail('bad-proof', 'the entry is beyond the checkpoint');
  const proof = proofHashesFromHex(input.hashes);
  if (!proof) return fail('malformed', 'a proof hash is not 64 hex digits');
  const leaf = new Uint8Array(HASH_BYTES);
  const root = new Uint8Array(HASH_BYTES);
  hexInto(entry.hash, leaf, 0, HASH_BYTES);
  hexInto(cp.rootHash, root, 0, HASH_BYTES);
  if (!verifyInclusionProof(entry.sequence - 1, cp.treeSize, leaf, proof, root))
    return fail('bad-proof', 'the inclusion proof does not lead to the signed root');
  // The checkpoint's head is the hash of its last entry: for that entry, check it too.
  if (entry.sequence === cp.treeSize && cp.headHash !== entry.hash)
    return fail('bad-proof', 'the entry is the checkpoint head but its hash differs');
  return { ok: true, checkpoint: cp };
}

export interface ConsistencyToVerify {
  /** The older signed checkpoint note (e.g. one kept from an earlier verification). */
  readonly from: string;
  /** The newer signed checkpoint note. */
  readonly to: string;
  /** The proof hashes, hex (RFC 9162 order). */
  readonly hashes: readonly string[];
  readonly verifierKey: string | readonly string[];
  readonly origin?: string;
}

/**
 * Verifies that the log of an older signed checkpoint is a prefix of a newer one's:
 * both signed by trusted keys, of one origin, and the RFC 9162 consistency proof
 * between their roots. Equal sizes need equal roots and heads and an empty proof.
 * The older may also be the larger: the two are ordered by tree size here.
 */
export async function verifyCheckpointConsistency(input: ConsistencyToVerify): Promise<ProofVerification> {
  const [a, b] = await Promise.all([
    verifyCheckpointAsync(input.from, input.verifierKey),
    verifyCheckpointAsync(input.to, input.verifierKey),
  ]);
  if (!a.ok) return fail('bad-signature', `the older checkpoint: ${a.detail}`);
  if (!b.ok) return fail('bad-signature', `the newer checkpoint: ${b.detail}`);
  const origin = input.origin ?? a.checkpoint.origin;
  if (a.checkpoint.origin !== origin || b.checkpoint.origin !== origin)
    return fail('bad-signature', 'a checkpoint belongs to another log');
  const [older, newer] =
    a.checkpoint.treeSize <= b.checkpoint.treeSize
      ? [a.checkpoint, b.checkpoint]
      : [b.checkpoint, a.checkpoint];
  if (older.treeSize === newer.treeSize) {
    if (older.rootHash !== newer.rootHash || older.headHash !== newer.headHash)
      return fail('checkpoint-mismatch', 'two signed checkpoints of the same size disagree');
    if (input.hashes.length !== 0) return fail('bad-proof', 'checkpoints of one size need an empty proof');
    return { ok: true, checkpoint: newer, from: older };
  }
  if (older.treeSize === 0) {
    if (input.hashes.length !== 0) return fail('bad-proof', 'the empty log needs an empty proof');
    return { ok: true, checkpoint: newer, from: older };
  }
  const proof = proofHashesFromHex(input.hashes);
  if (!proof) return fail('malformed', 'a proof hash is not 64 hex digits');
  const fromRoot = fromHex(older.rootHash)!;
  const toRoot = fromHex(newer.rootHash)!;
  if (!verifyConsistencyProof(older.treeSize, newer.treeSize, fromRoot, toRoot, proof))
    return fail('bad-proof', `the log at ${newer.treeSize} does not extend the log at ${older.treeSize}`);
  return { ok: true, checkpoint: newer, from: older };
}

/** The hex of a proof: what the platform returns. */
export const proofHashesToHex = (hashes: readonly Uint8Array[]): string[] => hashes.map(toHex);
