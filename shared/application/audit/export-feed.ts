/**
 * One page of the export feed (`listAuditEntries`), read from the `bySequence`
 * partitions of the audit table.
 */
import type { AuditEntry } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { isExpired } from '#shared/domain/retention.ts';
import type { AuditEntriesQuery } from '#shared/schemas/audit.ts';
import { DEFAULT_PAGE } from '#shared/schemas/audit.ts';
import { decodeSequenceCursor, encodeCursor } from './cursors.ts';
import type { AuditReader } from './ports.ts';

/** `bySequence` partitions read for one page of the export feed at most. */
const MAX_BUCKETS_PER_PAGE = 20;

export interface ExportFeedPage {
  readonly items: AuditEntry[];
  readonly headSequence: number;
  readonly nextCursor?: string;
}

/**
 * The export feed: consecutive sequenced entries in chain order, up to the head
 * read at the start. A page never spans a hole: when a sequence is missing after
 * the first entry of the page (an index not yet caught up, or an entry removed by
 * retention in the middle), the page ends there and the cursor points at it; a
 * hole at the start of a page (retention) is passed over.
 * Entries past their retention are left out even before TTL has removed them.
 */
export async function exportFeedPage(
  reader: Pick<AuditReader, 'readHead' | 'querySequenceBucket'>,
  sequenceBucketSize: number,
  query: AuditEntriesQuery,
  clock: Clock,
): Promise<ExportFeedPage> {
  const limit = query.limit ?? DEFAULT_PAGE;
  const start = query.cursor ? decodeSequenceCursor(query.cursor) : (query.fromSequence ?? 1);
  const head = await reader.readHead();
  const now = clock.now();
  const items: AuditEntry[] = [];
  let next = start;
  let bucket = Math.floor(start / sequenceBucketSize);
  let ended = false;
  for (let reads = 0; reads < MAX_BUCKETS_PER_PAGE && !ended; reads++) {
    if (items.length >= limit || next > head.sequence) break;
    const { items: rows, more } = await reader.querySequenceBucket(bucket, next, limit - items.length);
    for (const row of rows) {
      const entry = row.entry as AuditEntry;
      if (entry.sequence > head.sequence) {
        ended = true;
        break;
      }
      if (items.length > 0 && entry.sequence !== next) {
        ended = true;
        break;
      }
      next = entry.sequence + 1;
      if (isExpired(row.expiresAt, now)) {
        if (items.length > 0) {
          // An expired entry in the middle: end before it; the next page skips it.
          next = entry.sequence;
          ended = true;
          break;
        }
        continue;
      }
      items.push(entry);
      if (items.length >= limit) break;
    }
    if (ended || items.length >= limit || more) continue;
    // This partition is exhausted: the sequence continues in the next one.
    const bucketEnd = (bucket + 1) * sequenceBucketSize;
    if (items.length > 0 && next < bucketEnd && next <= head.sequence) break;
    bucket++;
    if (items.length === 0) next = Math.max(next, bucketEnd);
  }
  return {
    items,
    headSequence: head.sequence,
    ...(next <= head.sequence ? { nextCursor: encodeCursor({ s: next }) } : {}),
  };
}
