import * as ports from '#shared/application/audit/ports.ts';
import { type ChainHead, EMPTY_CHAIN_HEAD } from '#shared/domain/audit/chain.ts';
import type { AuditEntry, AuditEntryDraft } from '#shared/domain/audit/entry.ts';

interface Row {
  entry: AuditEntry | AuditEntryDraft;
  pending: boolean;
  expiresAt: number | undefined;
  merkleNodes?: readonly string[];
}

const timeKey = (e: AuditEntryDraft) => `${e.time}#${e.entryId}`;

/** The audit table in memory, with the same contract as DynamoAuditStore. */
export class MemoryAuditStore implements ports.AuditStore, ports.AuditRecordWriter {
  head: ChainHead = EMPTY_CHAIN_HEAD;
  readonly rows = new Map<string, Row>();
  readonly checkpointsBySize = new Map<number, ports.StoredCheckpoint>();
  /** Ids the pending index still lists although they are sequenced or gone (index lag). */
  readonly staleIndex = new Set<string>();
  /** Outcomes forced on the next appendBatch calls. */
  readonly failNext: ports.AppendOutcome[] = [];
  /** Called before an append is applied (e.g. to let a draft expire meanwhile). */
  beforeAppend: (() => void) | undefined;
  appendCalls = 0;
  readonly exports: unknown[] = [];

  addDraft(draft: AuditEntryDraft, expiresAt?: number): void {
    this.rows.set(draft.entryId, { entry: draft, pending: true, expiresAt });
  }

  entriesInOrder(): AuditEntry[] {
    return [...this.rows.values()]
      .filter((r) => !r.pending)
      .map((r) => r.entry as AuditEntry)
      .sort((a, b) => a.sequence - b.sequence);
  }

  async readHead(): Promise<ChainHead> {
    return structuredClone(this.head);
  }

  async pendingDraftIds(limit: number, exclude: ReadonlySet<string>): Promise<string[]> {
    const listed = [...this.rows.values()]
      .filter((r) => r.pending || this.staleIndex.has(r.entry.entryId))
      .map((r) => r.entry)
      .concat(
        [...this.staleIndex]
          .filter((id) => !this.rows.has(id))
          .map((id) => ({ entryId: id, time: '' }) as never),
      )
      .sort((a, b) => (timeKey(a) < timeKey(b) ? -1 : 1))
      .map((e) => e.entryId)
      .filter((id) => !exclude.has(id));
    return listed.slice(0, limit);
  }

  async loadPendingDrafts(entryIds: readonly string[]): Promise<AuditEntryDraft[]> {
    return entryIds
      .map((id) => this.rows.get(id))
      .filter((r): r is Row => r?.pending === true)
      .map((r) => structuredClone(r.entry));
  }

  async appendBatch(
    previous: ChainHead,
    entries: readonly AuditEntry[],
    next: ChainHead,
    merkleNodes?: readonly (readonly string[])[],
  ): Promise<ports.AppendOutcome> {
    this.appendCalls++;
    this.beforeAppend?.();
    const forced = this.failNext.shift();
    if (forced) return forced;
    if (this.head.sequence !== previous.sequence) return { ok: false, reason: 'head-moved' };
    const gone = entries.filter((e) => !this.rows.get(e.entryId)?.pending).map((e) => e.entryId);
    if (gone.length > 0) return { ok: false, reason: 'drafts-gone', entryIds: gone };
    for (const [i, entry] of entries.entries()) {
      const row = this.rows.get(entry.entryId)!;
      if (merkleNodes?.[i]?.length) row.merkleNodes = [...merkleNodes[i]!];
      row.entry = structuredClone(entry);
      row.pending = false;
      // As DynamoAuditStore: the entry takes the expiry of its retention epoch.
      if (next.expiresAt !== undefined) row.expiresAt = next.expiresAt;
    }
    this.head = structuredClone(next);
    return { ok: true };
  }

  async latestCheckpoint(): Promise<ports.StoredCheckpoint | undefined> {
    const sizes = [...this.checkpointsBySize.keys()].sort((a, b) => b - a);
    return sizes[0] === undefined ? undefined : this.checkpointsBySize.get(sizes[0]);
  }

  async putCheckpoint(checkpoint: ports.StoredCheckpoint): Promise<boolean> {
    if (this.checkpointsBySize.has(checkpoint.treeSize)) return false;
    this.checkpointsBySize.set(checkpoint.treeSize, checkpoint);
    return true;
  }

  async checkpointAtOrBelow(treeSize: number): Promise<ports.StoredCheckpoint | undefined> {
    const sizes = [...this.checkpointsBySize.keys()].filter((s) => s <= treeSize).sort((a, b) => b - a);
    return sizes[0] === undefined ? undefined : this.checkpointsBySize.get(sizes[0]);
  }

  async listCheckpoints(
    limit: number,
    startKey?: Record<string, unknown>,
    maxTreeSize?: number,
  ): Promise<ports.Page<ports.StoredCheckpoint>> {
    const all = [...this.checkpointsBySize.values()]
      .filter((c) => maxTreeSize === undefined || c.treeSize <= maxTreeSize)
      .sort((a, b) => b.treeSize - a.treeSize);
    const after = startKey ? Number(startKey.sk) : Number.POSITIVE_INFINITY;
    const rest = all.filter((c) => c.treeSize < after);
    const items = rest.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      lastKey:
        rest.length > limit && last
          ? { pk: 'CHECKPOINT', sk: String(last.treeSize).padStart(16, '0') }
          : undefined,
    };
  }

  async queryIndex(query: ports.IndexQuery): Promise<ports.Page<ports.StoredAuditItem>> {
    const attribute = ports.INDEX_KEY_ATTRIBUTE[query.index];
    // The DPO indexes are sparse until an entry is sequenced (shared/resources.ts).
    let rows = [...this.rows.values()]
      .filter((r) => !r.pending)
      .filter((r) => r.entry[attribute] === query.keyValue)
      .filter((r) => query.fromTimeKey === undefined || timeKey(r.entry) >= query.fromTimeKey)
      .filter((r) => query.toTimeKey === undefined || timeKey(r.entry) <= query.toTimeKey)
      .sort((a, b) => (timeKey(a.entry) < timeKey(b.entry) ? -1 : 1));
    if (!query.ascending) rows.reverse();
    if (query.startKey) {
      const at = rows.findIndex((r) => timeKey(r.entry) === query.startKey?.indexedAt);
      rows = rows.slice(at + 1);
    }
    const evaluated = rows.slice(0, query.limit);
    const matching = evaluated.filter((r) =>
      Object.entries(query.filters ?? {}).every(
        ([k, v]) => v === undefined || (r.entry as Record<string, unknown>)[k] === v,
      ),
    );
    const last = evaluated[evaluated.length - 1];
    return {
      items: matching.map((r) => ({ entry: r.entry, sequenced: !r.pending, expiresAt: r.expiresAt })),
      lastKey:
        rows.length > query.limit && last
          ? {
              pk: `ENTRY#${last.entry.entryId}`,
              sk: 'ENTRY',
              [attribute]: query.keyValue,
              indexedAt: timeKey(last.entry),
            }
          : undefined,
    };
  }

  /** Sequenced rows hidden from the bySequence index (not yet propagated). */
  readonly hiddenFromSequenceIndex = new Set<number>();
  bucketSize = 10_000;
  sequenceQueries = 0;

  async querySequenceBucket(bucket: number, fromSequence: number, limit: number) {
    this.sequenceQueries++;
    const rows = [...this.rows.values()]
      .filter((r) => !r.pending)
      .map((r) => ({ r, s: (r.entry as AuditEntry).sequence }))
      .filter(({ s }) => Math.floor(s / this.bucketSize) === bucket && s >= fromSequence)
      .filter(({ s }) => !this.hiddenFromSequenceIndex.has(s))
      .sort((a, b) => a.s - b.s);
    return {
      items: rows.slice(0, limit).map(
        ({ r }) =>
          ({
            entry: r.entry,
            sequenced: true,
            expiresAt: r.expiresAt,
            ...(r.merkleNodes ? { merkleNodes: r.merkleNodes } : {}),
          }) as ports.StoredAuditItem,
      ),
      more: rows.length > limit,
    };
  }

  async recordDraft(draft: AuditEntryDraft): Promise<void> {
    if (this.rows.has(draft.entryId)) throw new Error('duplicate draft');
    this.addDraft(draft);
  }

  async recordExport(write: ports.ExportWrite) {
    this.addDraft(write.draft);
    this.exports.push(write);
    return { ...write.response, replayed: false };
  }
}
