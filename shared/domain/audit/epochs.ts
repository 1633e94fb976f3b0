/**
 * Retention epochs (docs/audit-format.md §8). Entries are deleted by epoch, never one
 * by one, so that what remains of the log always starts right after a signed
 * checkpoint:
 *
 * - the sequencer gives every entry an epoch that never decreases along the sequence:
 *   the larger of the previous entry's epoch and the UTC year of the entry's `time`
 *   (a late entry of last year joins this year's epoch);
 * - a batch never spans two epochs, and before the first batch of a new epoch the
 *   sequencer signs a checkpoint of the head — exactly at the last entry of the
 *   epoch that ends;
 * - all entries of an epoch share one expiry, and expiries never decrease from one
 *   epoch to the next, so retention removes whole epochs from the start of the log.
 *
 * Pure: no I/O, no node: imports.
 */
import type { AuditEntryDraft } from './entry.ts';

/** The epoch an entry time asks for: its UTC year. */
export function epochOfTime(time: string): number {
  const year = new Date(time).getUTCFullYear();
  if (!Number.isSafeInteger(year)) throw new RangeError('Retention epoch: the time is not a date');
  return year;
}

export interface EpochBatch {
  /** The epoch every draft of the batch gets. */
  readonly epoch: number;
  /** The leading drafts that belong to that epoch (a prefix of the drafts given). */
  readonly drafts: AuditEntryDraft[];
  /**
   * True when the batch starts a later epoch than the head's: the head is then the
   * last entry of its epoch, and a checkpoint of it must be signed before the batch.
   */
  readonly opensEpoch: boolean;
}

/**
 * The next batch of one epoch from drafts in sequencing order (`compareDrafts`), after
 * a head whose epoch is `headEpoch` (undefined: no epoch yet — an empty log, or a head
 * written before epochs). Drafts of a later epoch are left for the next batch.
 */
export function nextEpochBatch(
  headEpoch: number | undefined,
  ordered: readonly AuditEntryDraft[],
): EpochBatch {
  const current = headEpoch ?? 0;
  const first = ordered[0];
  if (first === undefined) return { epoch: current, drafts: [], opensEpoch: false };
  const epoch = Math.max(current, epochOfTime(first.time));
  let end = 1;
  while (end < ordered.length && Math.max(current, epochOfTime(ordered[end]!.time)) === epoch) end++;
  return { epoch, drafts: ordered.slice(0, end), opensEpoch: headEpoch === undefined || epoch > headEpoch };
}
