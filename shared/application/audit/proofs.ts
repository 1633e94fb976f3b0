/**
 * Assembling RFC 9162 inclusion and consistency proofs from what the audit table keeps
 * (docs/audit-format.md §12). Which subtrees a proof consists of is pure
 * (shared/domain/audit/proofs.ts); this module finds their hashes:
 *
 * - the hash of the perfect subtree of the 2^l leaves ending at sequence s is stored
 *   with entry s (`merkleNodes[l − 1]`, written by the sequencer; for l = 0 it is the
 *   entry hash), read by sequence from the `bySequence` index;
 * - for a subtree whose entries retention has deleted, a checkpoint whose compact range
 *   holds it (any checkpoint of tree size between the subtree's end and the end of its
 *   parent): proofs of the kept part need only such subtrees, and the checkpoint at
 *   the end of every retention epoch is one (§8);
 * - otherwise (an entry sequenced before subtrees were stored, or an index that has
 *   not caught up yet) the two halves, down to the leaves, within a budget of reads.
 */
import { fromHex, toHex } from '#shared/domain/audit/crypto.ts';
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import {
  consistencyProofRanges,
  inclusionProofRanges,
  type LeafRange,
  nodeHash,
  perfectSubtrees,
  rangeHash,
} from '#shared/domain/audit/proofs.ts';
import { DependencyUnavailable } from '#shared/domain/errors.ts';
import type { AuditReader, CheckpointStore, StoredAuditItem } from './ports.ts';

const HEX_64 = /^[0-9a-f]{64}$/;

/** Items read for one proof at most (a proof of stored subtrees needs about 2 × 64). */
export const MAX_PROOF_READS = 2_000;

export type ProofReader = Pick<AuditReader, 'querySequenceBucket'> &
  Pick<CheckpointStore, 'checkpointAtOrBelow'>;

/** The proof hashes of one request; memoises the items it reads. */
export class ProofAssembler {
  readonly #reader: ProofReader;
  readonly #bucketSize: number;
  readonly #items = new Map<number, Promise<StoredAuditItem | undefined>>();
  #reads = 0;

  constructor(reader: ProofReader, sequenceBucketSize: number) {
    this.#reader = reader;
    this.#bucketSize = sequenceBucketSize;
  }

  /** The sequenced item of `sequence`, or undefined when the index has none. */
  item(sequence: number): Promise<StoredAuditItem | undefined> {
    let found = this.#items.get(sequence);
    if (!found) {
      if (++this.#reads > MAX_PROOF_READS)
        throw new DependencyUnavailable('The proof cannot be assembled now; try again later.');
      found = this.#reader
        .querySequenceBucket(Math.floor(sequence / this.#bucketSize), sequence, 1)
        .then(({ items }) => items.find((i) => i.sequenced && (i.entry as AuditEntry).sequence === sequence));
      this.#items.set(sequence, found);
    }
    return found;
  }

  /** Hex hashes of the inclusion proof of the entry `sequence` in the tree of `treeSize`. */
  inclusion(sequence: number, treeSize: number): Promise<string[]> {
    return this.#ranges(inclusionProofRanges(sequence - 1, treeSize));
  }

  /** Hex hashes of the consistency proof between the trees of `from` and `to` entries. */
  consistency(from: number, to: number): Promise<string[]> {
    return this.#ranges(consistencyProofRanges(from, to));
  }

  async #ranges(ranges: readonly LeafRange[]): Promise<string[]> {
    return Promise.all(
      ranges.map(async (range) =>
        toHex(
          rangeHash(await Promise.all(perfectSubtrees(range).map((s) => this.#subtree(s.start, s.level)))),
        ),
      ),
    );
  }

  /** The hash of the 2^level leaves from leaf index `start` (a multiple of 2^level). */
  async #subtree(start: number, level: number): Promise<Uint8Array> {
    const size = 2 ** level;
    const last = start + size; // the sequence of its last entry
    const item = await this.item(last);
    if (item) {
      const stored = level === 0 ? (item.entry as AuditEntry).hash : item.merkleNodes?.[level - 1];
      if (stored !== undefined && HEX_64.test(stored)) return fromHex(stored)!;
    } else if (start % (2 * size) === 0) {
      // Deleted: a checkpoint of size in [last, start + 2·size) holds it in its compact range.
      const cp = await this.#reader.checkpointAtOrBelow(start + 2 * size - 1);
      if (cp && cp.treeSize >= last) {
        const hashes = cp.merkleFrontier.hashes;
        const position = popCount(Math.floor(cp.treeSize / (2 * size)));
        const hash = hashes[position];
        if (hash !== undefined && HEX_64.test(hash)) return fromHex(hash)!;
      }
    }
    if (level === 0) throw new DependencyUnavailable('The proof cannot be assembled now; try again later.');
    const half = size / 2;
    const [left, right] = await Promise.all([
      this.#subtree(start, level - 1),
      this.#subtree(start + half, level - 1),
    ]);
    return nodeHash(left, right);
  }
}

function popCount(n: number): number {
  let count = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}
