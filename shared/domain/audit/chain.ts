/**
 * The hash chain and the Merkle tree over the audit log (docs/audit-format.md).
 *
 * leaf input  = "rex-audit-entry-v1\n" || UTF-8(JCS(entry without `hash`))
 * entry hash  = SHA-256(0x00 || leaf input)       = the RFC 9162 leaf hash
 * node hash   = SHA-256(0x01 || left || right)    (RFC 9162 §2.1.1)
 *
 * The chain lets a verifier walk the log with constant memory; the Merkle tree
 * gives the signed checkpoints a root in the C2SP/RFC 9162 form, so inclusion and
 * consistency proofs and standard transparency-log tooling can be added later.
 * The entry hash doubles as the Merkle leaf hash, so each entry costs one hash
 * for both structures (plus one node hash on average).
 */
import { hash } from 'node:crypto';
import * as z from 'zod';
import type { AuditEntry, AuditEntryDraft, UnhashedAuditEntry } from './entry.ts';
import { HexHashSchema } from './entry.ts';
import { ENTRY_HASH_INPUT_PREFIX, entryCanonicalText, GENESIS_HASH } from './entry-text.ts';

export {
  ENTRY_HASH_INPUT_PREFIX,
  ENTRY_HASH_PREFIX,
  entryCanonicalText,
  GENESIS_HASH,
} from './entry-text.ts';

const HASH_BYTES = 32;
const HEX_64 = /^[0-9a-f]{64}$/;
const LEAF_PREFIX = Buffer.from([0x00]);

/** The entry hash as 32 raw bytes. */
export function entryHashBytes(entry: UnhashedAuditEntry | AuditEntry): Buffer {
  return hash('sha256', ENTRY_HASH_INPUT_PREFIX + entryCanonicalText(entry), 'buffer');
}

/** The entry hash in lower-case hex, as stored in `hash` and `previousHash`. */
export function entryHash(entry: UnhashedAuditEntry | AuditEntry): string {
  return hash('sha256', ENTRY_HASH_INPUT_PREFIX + entryCanonicalText(entry), 'hex');
}

/** RFC 9162 hash of the empty tree: SHA-256 of no bytes. */
export const EMPTY_TREE_ROOT: Buffer = hash('sha256', '', 'buffer');

/**
 * A Merkle tree kept as its compact range: the roots of the perfect subtrees that
 * make up the first `size` leaves, largest first — one per set bit of `size`, so at
 * most log2(n) + 1 hashes. Appending touches only this list, so the sequencer never
 * re-reads the log to extend the tree.
 */
export class MerkleFrontier {
  #size: number;
  // Hashes as hex strings, the form entries store: node:crypto returns strings
  // about 2.5 times faster than Buffers, which matters at half a million leaves a
  // second, and the entry hash needs no conversion to become a leaf.
  readonly #hashes: string[];
  // Scratch buffer: node inputs are built in place, not allocated per append.
  readonly #nodeInput = Buffer.alloc(1 + 2 * HASH_BYTES);

  constructor(size = 0, hashes: readonly Uint8Array[] = []) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('Merkle frontier: bad size');
    if (hashes.length !== popCount(size))
      throw new RangeError('Merkle frontier: hash count does not match size');
    for (const h of hashes)
      if (h.length !== HASH_BYTES) throw new RangeError('Merkle frontier: bad hash length');
    this.#size = size;
    this.#hashes = hashes.map((h) => Buffer.from(h).toString('hex'));
    this.#nodeInput[0] = 0x01;
  }

  static fromJSON(value: MerkleFrontierJson): MerkleFrontier {
    for (const h of value.hashes)
      if (!HEX_64.test(h)) throw new RangeError('Merkle frontier: bad hash length');
    return new MerkleFrontier(
      value.size,
      value.hashes.map((h) => Buffer.from(h, 'hex')),
    );
  }

  toJSON(): MerkleFrontierJson {
    return { size: this.#size, hashes: [...this.#hashes] };
  }

  /** Number of leaves. */
  get size(): number {
    return this.#size;
  }

  clone(): MerkleFrontier {
    return MerkleFrontier.fromJSON(this.toJSON());
  }

  /** Appends a leaf by its leaf hash (for audit entries: the entry hash, 32 bytes). */
  append(leafHash: Uint8Array): void {
    if (leafHash.length !== HASH_BYTES) throw new RangeError('Merkle frontier: bad hash length');
    this.#push(Buffer.from(leafHash).toString('hex'));
  }

  /** As append, with the leaf hash in hex (as entries store it). */
  appendHex(leafHash: string): void {
    // Only the length here (this runs for every entry verified); the hex digits are
    // checked when the hash is decoded into a node input or the root.
    if (leafHash.length !== 2 * HASH_BYTES) throw new RangeError('Merkle frontier: bad hash length');
    this.#push(leafHash);
  }

  /**
   * As appendHex, and returns the perfect subtrees this leaf completes, by level: the
   * hash of the 2^i leaves ending with this one at index i − 1 (levels 1, 2, …, one per
   * trailing one bit of the old size). The sequencer stores them with the entry, so
   * that proofs can be assembled without re-reading the log (docs/audit-format.md §12).
   */
  appendHexWithNodes(leafHash: string): string[] {
    if (leafHash.length !== 2 * HASH_BYTES) throw new RangeError('Merkle frontier: bad hash length');
    const nodes: string[] = [];
    this.#push(leafHash, nodes);
    return nodes;
  }

  /** Appends a leaf by its input bytes: leaf hash = SHA-256(0x00 || input). */
  appendLeafInput(input: Uint8Array): void {
    this.#push(hash('sha256', Buffer.concat([LEAF_PREFIX, input]), 'hex'));
  }

  #push(leafHash: string, nodes?: string[]): void {
    let merged = leafHash;
    // Each trailing one bit of the old size is a perfect subtree of the new leaf's size: merge it.
    for (let s = this.#size; (s & 1) === 1; s = Math.floor(s / 2)) {
      merged = this.#node(this.#hashes.pop()!, merged);
      nodes?.push(merged);
    }
    this.#hashes.push(merged);
    this.#size += 1;
  }

  /** The RFC 9162 Merkle tree hash of the leaves so far. */
  root(): Buffer {
    const hashes = this.#hashes;
    if (hashes.length === 0) return Buffer.from(EMPTY_TREE_ROOT);
    let acc = hashes[hashes.length - 1]!;
    for (let i = hashes.length - 2; i >= 0; i--) acc = this.#node(hashes[i]!, acc);
    if (!HEX_64.test(acc)) throw new RangeError('Merkle frontier: a hash is not hex');
    return Buffer.from(acc, 'hex');
  }

  #node(left: string, right: string): string {
    if (
      this.#nodeInput.write(left, 1, 'hex') !== HASH_BYTES ||
      this.#nodeInput.write(right, 1 + HASH_BYTES, 'hex') !== HASH_BYTES
    ) {
      throw new RangeError('Merkle frontier: a hash is not hex');
    }
    return hash('sha256', this.#nodeInput, 'hex');
  }
}

function popCount(n: number): number {
  let count = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}

export const MerkleFrontierJsonSchema = z.strictObject({
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hashes: z.array(HexHashSchema).max(64),
});
export type MerkleFrontierJson = z.infer<typeof MerkleFrontierJsonSchema>;

/**
 * The chain head the sequencer keeps in one item and rewrites once per batch:
 * the last entry's sequence (= tree size) and hash, and the Merkle compact range;
 * and the retention epoch of the last entry with the expiry its epoch's entries
 * share (epochs.ts) — absent in an empty log and in heads written before epochs.
 */
export const ChainHeadSchema = z.strictObject({
  sequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  hash: HexHashSchema,
  frontier: MerkleFrontierJsonSchema,
  epoch: z.number().int().min(0).max(9999).optional(),
  /** Epoch seconds: the TTL of every entry of `epoch`. */
  expiresAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ChainHead = z.infer<typeof ChainHeadSchema>;

/** The head of an empty log. */
export const EMPTY_CHAIN_HEAD: ChainHead = {
  sequence: 0,
  hash: GENESIS_HASH,
  frontier: { size: 0, hashes: [] },
};

/** The sequencing order: by time, then by entry id (both compared as UTF-16 code units). */
export function compareDrafts(a: AuditEntryDraft, b: AuditEntryDraft): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.entryId !== b.entryId) return a.entryId < b.entryId ? -1 : 1;
  return 0;
}

/** The retention epoch of a batch and the expiry its entries share (epochs.ts). */
export interface BatchRetention {
  readonly epoch: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/**
 * Chains a batch of drafts after `head` (null: an empty log). Deterministic: the
 * same head and the same set of drafts, in any order, give the same entries.
 * The caller writes the entries and the new head in one conditional transaction
 * (condition: the stored head still has `head.sequence`). `retention`, when given,
 * is the epoch of the whole batch, recorded in the new head; otherwise the head
 * keeps the epoch it had.
 */
export function sequenceDrafts(
  head: ChainHead | null,
  drafts: readonly AuditEntryDraft[],
  retention?: BatchRetention,
): {
  entries: AuditEntry[];
  head: ChainHead;
  /** Per entry, the perfect subtrees it completes (MerkleFrontier.appendHexWithNodes). */
  merkleNodes: string[][];
} {
  const start = head ?? EMPTY_CHAIN_HEAD;
  if (start.frontier.size !== start.sequence)
    throw new RangeError('Chain head: frontier size differs from sequence');
  const ordered = [...drafts].sort(compareDrafts);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i - 1]!.entryId === ordered[i]!.entryId)
      throw new RangeError('Audit drafts: duplicate entry id');
  }
  const frontier = MerkleFrontier.fromJSON(start.frontier);
  const entries: AuditEntry[] = [];
  const merkleNodes: string[][] = [];
  let previousHash = start.hash;
  let sequence = start.sequence;
  for (const draft of ordered) {
    sequence += 1;
    const unhashed: UnhashedAuditEntry = { ...draft, sequence, previousHash };
    const hex = entryHash(unhashed);
    merkleNodes.push(frontier.appendHexWithNodes(hex));
    entries.push({ ...unhashed, hash: hex });
    previousHash = hex;
  }
  const epoch: BatchRetention | undefined =
    retention ??
    (start.epoch !== undefined && start.expiresAt !== undefined
      ? { epoch: start.epoch, expiresAt: start.expiresAt }
      : undefined);
  return {
    entries,
    merkleNodes,
    head: {
      sequence,
      hash: previousHash,
      frontier: frontier.toJSON(),
      ...(epoch ? { epoch: epoch.epoch, expiresAt: epoch.expiresAt } : {}),
    },
  };
}

/** The Merkle root of a head, in raw bytes. */
export function headRoot(head: ChainHead): Buffer {
  return MerkleFrontier.fromJSON(head.frontier).root();
}
