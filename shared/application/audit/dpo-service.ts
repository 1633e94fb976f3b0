/**
 * The data-protection officer's (DPO's) operations on the audit log: query, export
 * feed, access report (GDPR Art. 15), subject lookup, checkpoints, verifier key and
 * export records (docs/dpo-guide.md, docs/audit-format.md §10–§11).
 */
import { randomUUID } from 'node:crypto';
import type { CheckpointSigner } from '#shared/domain/audit/checkpoint.ts';
import { type Actor, actorFields, auditDraft, principalOf } from '#shared/domain/audit/entry.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import { covers, type DpoCoverage, mayLookUpSubject } from '#shared/domain/directory/dpo-scope.ts';
import { Forbidden, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { requestFingerprint } from '#shared/domain/idempotency.ts';
import { type SubjectIdentityInput, subjectIdFor } from '#shared/domain/pseudonym.ts';
import { isExpired } from '#shared/domain/retention.ts';
import type {
  AccessReport,
  AuditEntriesQuery,
  AuditEventItem,
  AuditEventsQuery,
  ConsistencyProof,
  ConsistencyProofQuery,
  ExportRecord,
  InclusionProof,
  InclusionProofQuery,
  RecordExportRequest,
} from '#shared/schemas/audit.ts';
import { DEFAULT_PAGE } from '#shared/schemas/audit.ts';
import { buildAccessReport, eventItem } from './access-report.ts';
import { decodeCheckpointCursor, decodeIndexCursor, encodeCursor } from './cursors.ts';
import { type ExportFeedPage, exportFeedPage } from './export-feed.ts';
import {
  type AuditRecordWriter,
  type AuditStore,
  type DirectoryNames,
  INDEX_KEY_ATTRIBUTE,
  type StoredAuditItem,
  type StoredCheckpoint,
} from './ports.ts';
import { ProofAssembler } from './proofs.ts';
import { type VerifierKeyDocument, verifierKeyDocument } from './verifier-key.ts';

/** Entries read for one report at most; a subject has a handful in practice. */
export const MAX_REPORT_ENTRIES = 10_000;

export interface AuditServiceDependencies {
  readonly store: AuditStore;
  readonly writer: AuditRecordWriter;
  readonly signer: () => Promise<CheckpointSigner>;
  readonly secret: () => Promise<Uint8Array>;
  readonly names: () => DirectoryNames;
  readonly sequenceBucketSize: number;
  /**
   * What a DPO scope covers (from the directory, `dpoCoverage`). Without it every
   * scope is the whole deployment (a single-DPO deployment's tests).
   */
  readonly coverage?: (scope: string) => DpoCoverage;
  readonly clock?: Clock;
}

const WHOLE: DpoCoverage = { kind: 'deployment' };

export class AuditService {
  readonly #deps: AuditServiceDependencies;
  readonly #clock: Clock;

  constructor(deps: AuditServiceDependencies) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
  }

  /** The coverage of the calling DPO's scope; no scope given: the whole deployment. */
  coverageOf(scope: string | undefined): DpoCoverage {
    if (scope === undefined || !this.#deps.coverage) return WHOLE;
    return this.#deps.coverage(scope);
  }

  #live(now: Date) {
    return (item: StoredAuditItem) => !isExpired(item.expiresAt, now);
  }

  /**
   * Entries (sequenced or not) from one index, by event time. The first of subjectId,
   * serviceOfficeId, authorityId, event selects the index; the others filter.
   * Entries past their retention are left out even before TTL has removed them.
   */
  async queryEvents(
    asked: AuditEventsQuery,
    scope?: string,
  ): Promise<{ items: AuditEventItem[]; nextCursor?: string }> {
    const coverage = this.coverageOf(scope);
    // A scoped DPO's query is narrowed to the scope (the index key where the scope has
    // one), and every item is checked against the scope; a query for what lies outside
    // it finds nothing, as a query for something that does not exist.
    const query = { ...asked };
    if (coverage.kind === 'authority') {
      if (query.authorityId && query.authorityId !== coverage.authorityId) return { items: [] };
      query.authorityId = coverage.authorityId;
    } else if (coverage.kind === 'office' || coverage.kind === 'provider') {
      if (query.serviceOfficeId && !coverage.officeIds.includes(query.serviceOfficeId)) return { items: [] };
      if (coverage.kind === 'office') query.serviceOfficeId = coverage.officeId;
    } else if (coverage.kind === 'none') return { items: [] };
    const [index, keyValue] = query.subjectId
      ? (['bySubject', query.subjectId] as const)
      : query.serviceOfficeId
        ? (['byOffice', query.serviceOfficeId] as const)
        : query.authorityId
          ? (['byAuthority', query.authorityId] as const)
          : (['byEvent', query.event ?? ''] as const);
    const attribute = INDEX_KEY_ATTRIBUTE[index];
    const filters: Record<string, string | undefined> = {
      subjectId: query.subjectId,
      serviceOfficeId: query.serviceOfficeId,
      authorityId: query.authorityId,
      event: query.event,
    };
    delete filters[attribute];
    const startKey = query.cursor ? decodeIndexCursor(query.cursor, index, keyValue) : undefined;
    const now = this.#clock.now();
    const page = await this.#deps.store.queryIndex({
      index,
      keyValue,
      fromTimeKey: query.from ? new Date(query.from).toISOString() : undefined,
      toTimeKey: query.to ? new Date(query.to).toISOString() : undefined,
      ascending: query.order !== 'desc',
      limit: query.limit ?? DEFAULT_PAGE,
      startKey,
      filters,
    });
    return {
      items: page.items
        .filter(this.#live(now))
        .filter((item) => covers(coverage, item.entry))
        .map(eventItem),
      ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
    };
  }

  /**
   * The export feed: consecutive sequenced entries in chain order (`exportFeedPage`).
   * A scoped DPO gets the entries of the scope only (the cursor and head as for
   * everyone): the chain between them is not theirs to see, so they check each entry
   * with its inclusion proof instead of recomputing the chain.
   */
  async entries(query: AuditEntriesQuery, scope?: string): Promise<ExportFeedPage> {
    const { store, sequenceBucketSize } = this.#deps;
    const page = await exportFeedPage(store, sequenceBucketSize, query, this.#clock);
    const coverage = this.coverageOf(scope);
    if (coverage.kind === 'deployment') return page;
    return { ...page, items: page.items.filter((entry) => covers(coverage, entry)) };
  }

  /**
   * The subject id of a person; the identity is used for the computation only. Only
   * the scopes `mayLookUpSubject` admits may ask (403 for the others).
   */
  async lookupSubject(identity: SubjectIdentityInput, scope?: string): Promise<{ subjectId: string }> {
    this.admitSubjectLookup(scope);
    return { subjectId: subjectIdFor(identity, await this.#deps.secret()) };
  }

  /** Refuses (403) the subject lookup to a scope `mayLookUpSubject` does not admit. */
  admitSubjectLookup(scope: string | undefined): void {
    if (!mayLookUpSubject(this.coverageOf(scope)))
      throw new Forbidden(
        'The subject lookup is available to the data-protection officers of the deployment and of an authority only.',
      );
  }

  /**
   * The access report of a subject; generating it is itself logged
   * (`report.generated`, before the report is handed out).
   */
  async accessReport(subjectId: string, by: Actor, scope?: string): Promise<AccessReport> {
    const coverage = this.coverageOf(scope);
    const now = this.#clock.now();
    const items: StoredAuditItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#deps.store.queryIndex({
        index: 'bySubject',
        keyValue: subjectId,
        ascending: true,
        limit: 500,
        startKey,
      });
      items.push(...page.items.filter(this.#live(now)).filter((item) => covers(coverage, item.entry)));
      startKey = page.lastKey;
    } while (startKey && items.length < MAX_REPORT_ENTRIES);
    const latest = await this.#deps.store.latestCheckpoint();
    const reportId = randomUUID();
    const report = buildAccessReport({
      reportId,
      subjectId,
      generatedAt: now.toISOString(),
      generatedBy: principalOf(by),
      items,
      names: this.#deps.names(),
      signedTreeSize: latest?.treeSize ?? 0,
    });
    await this.#deps.writer.recordDraft(
      auditDraft({ event: 'report.generated', ...actorFields(by), subjectId, entryId: reportId, time: now }),
    );
    return report;
  }

  async checkpoints(query: {
    limit?: number | undefined;
    cursor?: string | undefined;
    maxTreeSize?: number | undefined;
  }) {
    const startKey = query.cursor ? decodeCheckpointCursor(query.cursor) : undefined;
    const page = await this.#deps.store.listCheckpoints(
      query.limit ?? DEFAULT_PAGE,
      startKey,
      query.maxTreeSize,
    );
    return { items: page.items, ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
  }

  /** The signed checkpoint of exactly `treeSize`, or the newest; a 400 naming `field` when there is none of that size. */
  async #checkpointOfSize(treeSize: number | undefined, field: string): Promise<StoredCheckpoint> {
    if (treeSize === undefined) return this.latestCheckpoint();
    const cp = await this.#deps.store.checkpointAtOrBelow(treeSize);
    if (cp?.treeSize !== treeSize)
      throw new InvalidRequest([{ field, reason: 'is not the tree size of a signed checkpoint' }]);
    return cp;
  }

  /**
   * The RFC 9162 inclusion proof of an entry against a signed checkpoint (the newest by
   * default), with the entry and the checkpoint: what a DPO needs to check one entry
   * without the rest of the log (docs/audit-format.md §12).
   */
  async inclusionProof(query: InclusionProofQuery, scope?: string): Promise<InclusionProof> {
    const coverage = this.coverageOf(scope);
    const checkpoint = await this.#checkpointOfSize(query.treeSize, 'query.treeSize');
    if (query.sequence > checkpoint.treeSize)
      throw new InvalidRequest([
        { field: 'query.sequence', reason: 'is beyond the newest signed checkpoint' },
      ]);
    const proofs = new ProofAssembler(this.#deps.store, this.#deps.sequenceBucketSize);
    const item = await proofs.item(query.sequence);
    // An entry outside a scoped DPO's scope is reported as absent, so that it does not leak.
    if (!item || !this.#live(this.#clock.now())(item) || !covers(coverage, item.entry))
      throw new NotFound('audit entry');
    const hashes = await proofs.inclusion(query.sequence, checkpoint.treeSize);
    return {
      sequence: query.sequence,
      treeSize: checkpoint.treeSize,
      leafIndex: query.sequence - 1,
      entry: item.entry as InclusionProof['entry'],
      hashes,
      checkpoint,
    };
  }

  /**
   * The RFC 9162 consistency proof between two signed checkpoints (the newer one the
   * newest by default): that the log of the older is a prefix of the newer's.
   */
  async consistencyProof(query: ConsistencyProofQuery): Promise<ConsistencyProof> {
    const [from, to] = await Promise.all([
      this.#checkpointOfSize(query.fromTreeSize, 'query.fromTreeSize'),
      this.#checkpointOfSize(query.toTreeSize, 'query.toTreeSize'),
    ]);
    if (from.treeSize > to.treeSize)
      throw new InvalidRequest([
        { field: 'query.fromTreeSize', reason: 'is above the newest signed checkpoint' },
      ]);
    const hashes =
      from.treeSize === to.treeSize
        ? []
        : await new ProofAssembler(this.#deps.store, this.#deps.sequenceBucketSize).consistency(
            from.treeSize,
            to.treeSize,
          );
    return { fromTreeSize: from.treeSize, toTreeSize: to.treeSize, hashes, from, to };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint> {
    const latest = await this.#deps.store.latestCheckpoint();
    if (!latest) throw new NotFound('checkpoint');
    return latest;
  }

  async verifierKey(): Promise<VerifierKeyDocument> {
    return verifierKeyDocument(await this.#deps.signer());
  }

  /** Records that an export is made (`export.made` + an export record); idempotent per key. */
  async recordExport(
    request: RecordExportRequest,
    by: Actor,
    idempotencyKey: string,
  ): Promise<{ status: number; body: unknown; replayed: boolean }> {
    const now = this.#clock.now();
    const actor = principalOf(by);
    const requestHash = requestFingerprint(await this.#deps.secret(), {
      operationId: 'recordAuditExport',
      body: request,
    });
    const exportId = randomUUID();
    const record: ExportRecord = {
      exportId,
      recordedAt: now.toISOString(),
      format: request.format,
      fromSequence: request.fromSequence ?? 1,
      toSequence: request.toSequence ?? null,
      subjectId: request.subjectId ?? null,
    };
    return this.#deps.writer.recordExport({
      draft: auditDraft({
        event: 'export.made',
        ...actorFields(by),
        entryId: exportId,
        subjectId: request.subjectId ?? null,
        time: now,
      }),
      record: { ...record, requestedBy: actor },
      principal: actor,
      idempotencyKey,
      requestHash,
      now,
      response: { status: 201, body: record },
    });
  }
}
