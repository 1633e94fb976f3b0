/**
 * The audit log as a product: the sequencer that chains drafts into the log, the
 * signed checkpoints, and the data-protection officer's (DPO's) operations — query,
 * export feed, access report (GDPR Art. 15), subject lookup, export records.
 *
 * The rules of the chain are pure (shared/domain/audit/); this module orchestrates
 * them over small ports (ChainStore, CheckpointStore, AuditReader, AuditRecordWriter)
 * that shared/adapters/audit-store.ts implements on DynamoDB. docs/audit-format.md
 * §9–§11 and docs/dpo-guide.md describe the behaviour.
 */
import { createPublicKey, type JsonWebKey, randomUUID } from 'node:crypto';
import { type ChainHead, type MerkleFrontierJson, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  type CheckpointSigner,
  checkpointOfHead,
  SIGNATURE_TYPE_ED25519,
  signCheckpoint,
  verifierKeyOf,
  verifierKeyString,
} from '#shared/domain/audit/checkpoint.ts';
import { type AuditEntry, type AuditEntryDraft, auditDraft } from '#shared/domain/audit/entry.ts';
import { type Clock, systemClock } from '#shared/domain/clock.ts';
import { InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { requestFingerprint } from '#shared/domain/idempotency.ts';
import { type SubjectIdentityInput, subjectIdFor } from '#shared/domain/pseudonym.ts';
import { isExpired } from '#shared/domain/retention.ts';
import type {
  AccessReport,
  AuditEntriesQuery,
  AuditEventItem,
  AuditEventsQuery,
  CheckpointView,
  ExportRecord,
  RecordExportRequest,
} from '#shared/schemas/audit.ts';
import { DEFAULT_PAGE } from '#shared/schemas/audit.ts';

// ============================================================== ports

export interface Page<T> {
  readonly items: T[];
  /** DynamoDB's LastEvaluatedKey: present when there may be more. */
  readonly lastKey?: Record<string, unknown> | undefined;
}

/** An entry item as stored: a sequenced entry, or a draft still waiting for the sequencer. */
export interface StoredAuditItem {
  readonly entry: AuditEntry | AuditEntryDraft;
  readonly sequenced: boolean;
  /** The TTL attribute (epoch seconds). */
  readonly expiresAt: number | undefined;
}

export type StoredCheckpoint = CheckpointView;

export type AppendOutcome =
  | { readonly ok: true }
  /** Another writer moved the head: re-read it and redo the batch. */
  | { readonly ok: false; readonly reason: 'head-moved' }
  /** These drafts were sequenced meanwhile or have expired: leave them out. */
  | { readonly ok: false; readonly reason: 'drafts-gone'; readonly entryIds: readonly string[] }
  /** A transient conflict with another transaction: try again. */
  | { readonly ok: false; readonly reason: 'conflict' };

export interface ChainStore {
  /** The chain head, read consistently; the empty head when nothing is sequenced yet. */
  readHead(): Promise<ChainHead>;
  /** Up to `limit` ids of drafts in the pending index, oldest first, skipping `exclude`. */
  pendingDraftIds(limit: number, exclude: ReadonlySet<string>): Promise<string[]>;
  /** The drafts of these ids that are still pending, read consistently. */
  loadPendingDrafts(entryIds: readonly string[]): Promise<AuditEntryDraft[]>;
  /**
   * Writes the entries and the new head in one transaction, conditioned on the head
   * still being `previous` and every draft still pending.
   */
  appendBatch(previous: ChainHead, entries: readonly AuditEntry[], next: ChainHead): Promise<AppendOutcome>;
}

export interface CheckpointStore {
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** False when a checkpoint of that tree size exists already (it is kept). */
  putCheckpoint(checkpoint: StoredCheckpoint): Promise<boolean>;
  /** Newest first. */
  listCheckpoints(limit: number, startKey?: Record<string, unknown>): Promise<Page<StoredCheckpoint>>;
}

export type AuditIndexName = 'bySubject' | 'byOffice' | 'byAuthority' | 'byEvent';

export interface IndexQuery {
  readonly index: AuditIndexName;
  readonly keyValue: string;
  /** Inclusive lower bound on `indexedAt` (`<time>#<entryId>`, set when the entry is sequenced). */
  readonly fromTimeKey?: string | undefined;
  /** Inclusive upper bound on `indexedAt`; a bare instant excludes entries at that instant. */
  readonly toTimeKey?: string | undefined;
  readonly ascending: boolean;
  readonly limit: number;
  readonly startKey?: Record<string, unknown> | undefined;
  /** Equality filters on the other index attributes. */
  readonly filters?: Readonly<Record<string, string | undefined>>;
}

export interface AuditReader {
  readHead(): Promise<ChainHead>;
  queryIndex(query: IndexQuery): Promise<Page<StoredAuditItem>>;
  /** Sequenced entries of one `bySequence` partition from `fromSequence` on, in order. */
  querySequenceBucket(
    bucket: number,
    fromSequence: number,
    limit: number,
  ): Promise<{ items: StoredAuditItem[]; more: boolean }>;
}

export type AuditStore = ChainStore & CheckpointStore & AuditReader;

export interface AuditRecordWriter {
  /** Writes one audit draft on its own (a report was generated). */
  recordDraft(draft: AuditEntryDraft): Promise<void>;
  /** Writes the `export.made` draft and the export record with the idempotency record. */
  recordExport(write: {
    readonly draft: AuditEntryDraft;
    readonly record: Readonly<Record<string, unknown>>;
    readonly principal: string;
    readonly idempotencyKey: string;
    readonly requestHash: string;
    readonly now: Date;
    readonly response: { readonly status: number; readonly body: unknown };
  }): Promise<{ status: number; body: unknown; replayed: boolean }>;
}

// ============================================================== sequencer

/** The largest batch: TransactWriteItems takes 100 items, one of which is the head. */
export const MAX_BATCH = 99;

export interface SequencerOptions {
  /** Entries per transaction, 1–99 (default 99). */
  readonly batchSize?: number;
  /** Whether another batch fits in the time left (Lambda: remaining time above a margin). */
  readonly hasTime: () => boolean;
  /** Failed batch writes tolerated in one run before it gives up (default 5). */
  readonly maxConflicts?: number;
}

export interface SequencingResult {
  readonly sequenced: number;
  readonly batches: number;
  readonly conflicts: number;
  readonly head: ChainHead;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Chains every pending draft after the head, batch by batch, until none is left or
 * the time is used. Each batch is one conditional transaction (entries + head), so a
 * crash or a second instance can never fork the chain; a failed batch is redone from
 * the stored head. Index rows that turn out to be sequenced or expired already (the
 * pending index is eventually consistent) are skipped for the rest of the run.
 */
export async function sequencePending(
  store: ChainStore,
  options: SequencerOptions,
): Promise<SequencingResult> {
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? MAX_BATCH));
  const maxConflicts = options.maxConflicts ?? 5;
  let head = await store.readHead();
  const done = new Set<string>();
  let sequenced = 0;
  let batches = 0;
  let conflicts = 0;
  while (options.hasTime()) {
    const ids = await store.pendingDraftIds(batchSize, done);
    if (ids.length === 0) break;
    const drafts = await store.loadPendingDrafts(ids);
    const pending = new Set(drafts.map((d) => d.entryId));
    for (const id of ids) if (!pending.has(id)) done.add(id);
    if (drafts.length === 0) continue;
    const { entries, head: next } = sequenceDrafts(head, drafts);
    const outcome = await store.appendBatch(head, entries, next);
    if (outcome.ok) {
      head = next;
      for (const entry of entries) done.add(entry.entryId);
      sequenced += entries.length;
      batches++;
      continue;
    }
    conflicts++;
    if (conflicts > maxConflicts) break;
    if (outcome.reason === 'head-moved') head = await store.readHead();
    else if (outcome.reason === 'drafts-gone') for (const id of outcome.entryIds) done.add(id);
    else await sleep(20 * 2 ** conflicts * Math.random());
  }
  return { sequenced, batches, conflicts, head };
}

/** The log's name in its checkpoints, and by convention the signing key's name. */
export function checkpointOrigin(deploymentId: string, stage: string): string {
  return `referral-exchange/${deploymentId}/${stage}`;
}

/**
 * Signs and stores a checkpoint of `head` when it moved past the latest checkpoint.
 * The checkpoint item carries the Merkle compact range, so that any checkpoint can
 * serve as the anchor of a verification after retention (docs/audit-format.md §8).
 */
export async function checkpointIfMoved(
  store: CheckpointStore,
  head: ChainHead,
  signer: CheckpointSigner,
  origin: string,
  clock: Clock = systemClock,
): Promise<StoredCheckpoint | undefined> {
  if (head.sequence === 0) return undefined;
  const latest = await store.latestCheckpoint();
  if (latest && latest.treeSize >= head.sequence) return undefined;
  const checkpoint = checkpointOfHead(origin, head, clock.now());
  const stored: StoredCheckpoint = {
    ...checkpoint,
    note: await signCheckpoint(checkpoint, signer),
    keyName: signer.keyName,
    verifierKey: await verifierKeyOf(signer),
    merkleFrontier: head.frontier as MerkleFrontierJson,
  };
  return (await store.putCheckpoint(stored)) ? stored : undefined;
}

export interface SequencerRun extends SequencingResult {
  readonly checkpoint: StoredCheckpoint | undefined;
}

/** One scheduled run: sequence what is pending, then sign a checkpoint if the head moved. */
export async function runSequencer(
  deps: {
    readonly store: ChainStore & CheckpointStore;
    readonly signer: () => Promise<CheckpointSigner>;
    readonly origin: string;
    readonly clock?: Clock;
  },
  options: SequencerOptions,
): Promise<SequencerRun> {
  const result = await sequencePending(deps.store, options);
  const checkpoint = await checkpointIfMoved(
    deps.store,
    result.head,
    await deps.signer(),
    deps.origin,
    deps.clock,
  );
  return { ...result, checkpoint };
}

// ============================================================== cursors

const CURSOR_FIELD = 'query.cursor';

export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function badCursor(): InvalidRequest {
  return new InvalidRequest([{ field: CURSOR_FIELD, reason: 'is not a cursor of this query' }]);
}

function decodeCursorObject(cursor: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badCursor();
  return value as Record<string, unknown>;
}

const INDEX_ATTRIBUTE: Readonly<
  Record<AuditIndexName, 'subjectId' | 'serviceOfficeId' | 'authorityId' | 'event'>
> = {
  bySubject: 'subjectId',
  byOffice: 'serviceOfficeId',
  byAuthority: 'authorityId',
  byEvent: 'event',
};

/** A LastEvaluatedKey of an index query, checked to belong to that index and key value. */
export function decodeIndexCursor(
  cursor: string,
  index: AuditIndexName,
  keyValue: string,
): Record<string, unknown> {
  const key = decodeCursorObject(cursor);
  const attribute = INDEX_ATTRIBUTE[index];
  const expected = ['pk', 'sk', attribute, 'indexedAt'];
  const names = Object.keys(key);
  if (names.length !== expected.length || !expected.every((n) => typeof key[n] === 'string'))
    throw badCursor();
  if (key[attribute] !== keyValue || key.sk !== 'ENTRY' || !String(key.pk).startsWith('ENTRY#'))
    throw badCursor();
  if (String(key.pk).length > 200 || String(key.indexedAt).length > 200) throw badCursor();
  return key;
}

function decodeCheckpointCursor(cursor: string): Record<string, unknown> {
  const key = decodeCursorObject(cursor);
  if (Object.keys(key).length !== 2 || key.pk !== 'CHECKPOINT') throw badCursor();
  if (typeof key.sk !== 'string' || !/^[0-9]{16}$/.test(key.sk)) throw badCursor();
  return key;
}

function decodeSequenceCursor(cursor: string): number {
  const key = decodeCursorObject(cursor);
  const s = key.s;
  if (Object.keys(key).length !== 1 || typeof s !== 'number' || !Number.isSafeInteger(s) || s < 1)
    throw badCursor();
  return s;
}

// ============================================================== access report

/** Display names of directory entries, for the report; undefined when unknown. */
export interface DirectoryNames {
  office(id: string): { readonly name: string; readonly providerName: string | null } | undefined;
  authority(id: string): string | undefined;
}

const byTime = (a: StoredAuditItem, b: StoredAuditItem): number =>
  a.entry.time < b.entry.time
    ? -1
    : a.entry.time > b.entry.time
      ? 1
      : a.entry.entryId < b.entry.entryId
        ? -1
        : 1;

export function eventItem(item: StoredAuditItem): AuditEventItem {
  return { sequenced: item.sequenced, entry: item.entry };
}

/**
 * The Art. 15 report from a subject's entries (pure). Recipients are the service
 * offices that actually received the data: `referral.received` is when a transfer
 * completes (receipt before decryption, docs/referrals.md), so accepted or queued
 * referrals that were revoked before receipt name no recipient.
 */
export function buildAccessReport(input: {
  readonly reportId: string;
  readonly subjectId: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly items: readonly StoredAuditItem[];
  readonly names: DirectoryNames;
  readonly signedTreeSize: number;
}): AccessReport {
  const items = [...input.items].sort(byTime);
  const recipients: AccessReport['recipients'] = [];
  const consents = new Map<string, AccessReport['consents'][number]>();
  const consentOf = (id: string) => {
    let c = consents.get(id);
    if (!c) {
      c = {
        consentId: id,
        status: 'active',
        recordedAt: null,
        authorityId: null,
        dataCategories: [],
        purpose: null,
        withdrawnAt: null,
        withdrawalReason: null,
        expiredAt: null,
      };
      consents.set(id, c);
    }
    return c;
  };
  for (const { entry } of items) {
    const consentId = entry.legalBasis?.consentId ?? null;
    if (entry.event === 'referral.received') {
      const office = entry.serviceOfficeId ? input.names.office(entry.serviceOfficeId) : undefined;
      recipients.push({
        serviceOfficeId: entry.serviceOfficeId,
        serviceOfficeName: office?.name ?? null,
        providerName: office?.providerName ?? null,
        authorityId: entry.authorityId,
        referralId: entry.referralId,
        receivedAt: entry.time,
        dataCategories: [...entry.dataCategories],
        consentId,
        purpose: entry.purpose,
        sequence: 'sequence' in entry ? entry.sequence : null,
      });
    } else if (consentId && entry.event === 'consent.recorded') {
      const c = consentOf(consentId);
      c.recordedAt = entry.time;
      c.authorityId = entry.authorityId;
      c.dataCategories = [...entry.dataCategories];
      c.purpose = entry.purpose;
    } else if (consentId && entry.event === 'consent.withdrawn') {
      const c = consentOf(consentId);
      c.status = 'withdrawn';
      c.withdrawnAt = entry.time;
      c.withdrawalReason = entry.reason;
    } else if (consentId && entry.event === 'consent.expired') {
      const c = consentOf(consentId);
      if (c.status !== 'withdrawn') c.status = 'expired';
      c.expiredAt = entry.time;
    }
  }
  return {
    reportId: input.reportId,
    subjectId: input.subjectId,
    generatedAt: input.generatedAt,
    generatedBy: input.generatedBy,
    recipients,
    consents: [...consents.values()],
    events: items.map(eventItem),
    signedTreeSize: input.signedTreeSize,
  };
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STATUS_LABEL: Readonly<Record<string, string>> = {
  active: 'aktiv / active',
  withdrawn: 'widerrufen / withdrawn',
  expired: 'abgelaufen / expired',
};

function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  empty: string,
) {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((cell) => `<td>${escapeHtml(cell === null ? '—' : cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * The report as one printable, self-contained HTML page: German and English
 * headings, no scripts and no external assets, every value escaped.
 */
export function renderAccessReportHtml(report: AccessReport): string {
  const recipients = table(
    'Empfänger / Recipients',
    [
      'Empfangen am / Received at (UTC)',
      'Beratungsstelle / Service office',
      'Träger / Provider',
      'Datenkategorien / Data categories',
      'Einwilligung / Consent',
      'Zweck / Purpose',
      'Vorgang / Referral',
    ],
    report.recipients.map((r) => [
      r.receivedAt,
      r.serviceOfficeName ? `${r.serviceOfficeName} (${r.serviceOfficeId})` : r.serviceOfficeId,
      r.providerName,
      r.dataCategories.join(', '),
      r.consentId,
      r.purpose,
      r.referralId,
    ]),
    'Keine Übermittlung erfolgt. / No data was passed on.',
  );
  const consents = table(
    'Einwilligungen / Consents',
    [
      'Einwilligung / Consent',
      'Status',
      'Erfasst am / Recorded at (UTC)',
      'Behörde / Authority',
      'Datenkategorien / Data categories',
      'Widerrufen am / Withdrawn at',
      'Abgelaufen am / Expired at',
    ],
    report.consents.map((c) => [
      c.consentId,
      STATUS_LABEL[c.status] ?? c.status,
      c.recordedAt,
      c.authorityId,
      c.dataCategories.join(', '),
      c.withdrawnAt,
      c.expiredAt,
    ]),
    'Keine Einwilligung erfasst. / No consent recorded.',
  );
  const events = table(
    'Protokolleinträge / Log entries',
    ['Zeit / Time (UTC)', 'Ereignis / Event', 'Handelnd / Actor', 'Stelle / Office', 'Nr. / Sequence'],
    report.events.map(({ entry, sequenced }) => [
      entry.time,
      entry.event,
      entry.actor,
      entry.serviceOfficeId,
      sequenced && 'sequence' in entry ? entry.sequence : 'ausstehend / pending',
    ]),
    'Keine Einträge. / No entries.',
  );
  return `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Auskunft nach Art. 15 DSGVO / Access report (GDPR Art. 15)</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;line-height:1.4}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #555;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:bold}
code{word-break:break-all}
@media print{body{margin:0}a{color:inherit}}
</style>
</head>
<body>
<main>
<h1>Auskunft nach Art. 15 DSGVO <span lang="en">/ Access report under Art. 15 GDPR</span></h1>
<dl>
<dt>Person (Pseudonym) / Subject (pseudonym)</dt><dd><code>${escapeHtml(report.subjectId)}</code></dd>
<dt>Erstellt am / Generated at (UTC)</dt><dd>${escapeHtml(report.generatedAt)}</dd>
<dt>Erstellt von / Generated by</dt><dd>${escapeHtml(report.generatedBy)}</dd>
<dt>Bericht-Nr. / Report id</dt><dd><code>${escapeHtml(report.reportId)}</code></dd>
</dl>
<section aria-labelledby="h-recipients">
<h2 id="h-recipients">Empfänger Ihrer Daten <span lang="en">/ Recipients of your data</span></h2>
${recipients}
</section>
<section aria-labelledby="h-consents">
<h2 id="h-consents">Einwilligungen <span lang="en">/ Consents</span></h2>
${consents}
</section>
<section aria-labelledby="h-events">
<h2 id="h-events">Protokoll <span lang="en">/ Log</span></h2>
${events}
</section>
<section aria-labelledby="h-about">
<h2 id="h-about">Über diesen Bericht <span lang="en">/ About this report</span></h2>
<p>Grundlage ist das manipulationssichere Übermittlungsprotokoll. Einträge bis Nr. ${escapeHtml(report.signedTreeSize)} sind durch einen signierten Prüfpunkt gesichert.</p>
<p lang="en">Based on the tamper-evident transfer log. Entries up to sequence ${escapeHtml(report.signedTreeSize)} are covered by a signed checkpoint.</p>
</section>
</main>
</body>
</html>
`;
}

// ============================================================== verifier key

export interface VerifierKeyDocument {
  readonly keyName: string;
  readonly signatureType: 'ed25519' | 'ecdsa-p256-sha256';
  readonly verifierKey: string;
  readonly publicKeyPem: string;
  readonly publicKeyJwk: JsonWebKey;
}

/** The signer's public key in the three forms a DPO may pin. */
export async function verifierKeyDocument(signer: CheckpointSigner): Promise<VerifierKeyDocument> {
  const raw = Buffer.from(await signer.publicKeyRaw());
  const publicKey =
    signer.signatureType === SIGNATURE_TYPE_ED25519
      ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' })
      : createPublicKey({ key: raw, format: 'der', type: 'spki' });
  return {
    keyName: signer.keyName,
    signatureType: signer.signatureType === SIGNATURE_TYPE_ED25519 ? 'ed25519' : 'ecdsa-p256-sha256',
    verifierKey: verifierKeyString(signer.keyName, signer.signatureType, raw),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyJwk: publicKey.export({ format: 'jwk' }),
  };
}

// ============================================================== the DPO service

/** Entries read for one report at most; a subject has a handful in practice. */
export const MAX_REPORT_ENTRIES = 10_000;
/** `bySequence` partitions read for one page of the export feed at most. */
const MAX_BUCKETS_PER_PAGE = 20;

export interface AuditServiceDependencies {
  readonly store: AuditStore;
  readonly writer: AuditRecordWriter;
  readonly signer: () => Promise<CheckpointSigner>;
  readonly secret: () => Promise<Uint8Array>;
  readonly names: () => DirectoryNames;
  readonly sequenceBucketSize: number;
  readonly clock?: Clock;
}

export class AuditService {
  readonly #deps: AuditServiceDependencies;
  readonly #clock: Clock;

  constructor(deps: AuditServiceDependencies) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
  }

  #live(now: Date) {
    return (item: StoredAuditItem) => !isExpired(item.expiresAt, now);
  }

  /**
   * Entries (sequenced or not) from one index, by event time. The first of subjectId,
   * serviceOfficeId, authorityId, event selects the index; the others filter.
   * Entries past their retention are left out even before TTL has removed them.
   */
  async queryEvents(query: AuditEventsQuery): Promise<{ items: AuditEventItem[]; nextCursor?: string }> {
    const [index, keyValue] = query.subjectId
      ? (['bySubject', query.subjectId] as const)
      : query.serviceOfficeId
        ? (['byOffice', query.serviceOfficeId] as const)
        : query.authorityId
          ? (['byAuthority', query.authorityId] as const)
          : (['byEvent', query.event ?? ''] as const);
    const attribute = INDEX_ATTRIBUTE[index];
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
      items: page.items.filter(this.#live(now)).map(eventItem),
      ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
    };
  }

  /**
   * The export feed: consecutive sequenced entries in chain order, up to the head
   * read at the start. A page never spans a hole: when a sequence is missing after
   * the first entry of the page (an index not yet caught up, or an entry removed by
   * retention in the middle), the page ends there and the cursor points at it; a
   * hole at the start of a page (retention) is passed over.
   */
  async entries(
    query: AuditEntriesQuery,
  ): Promise<{ items: AuditEntry[]; headSequence: number; nextCursor?: string }> {
    const size = this.#deps.sequenceBucketSize;
    const limit = query.limit ?? DEFAULT_PAGE;
    const start = query.cursor ? decodeSequenceCursor(query.cursor) : (query.fromSequence ?? 1);
    const head = await this.#deps.store.readHead();
    const now = this.#clock.now();
    const items: AuditEntry[] = [];
    let next = start;
    let bucket = Math.floor(start / size);
    let ended = false;
    for (let reads = 0; reads < MAX_BUCKETS_PER_PAGE && !ended; reads++) {
      if (items.length >= limit || next > head.sequence) break;
      const { items: rows, more } = await this.#deps.store.querySequenceBucket(
        bucket,
        next,
        limit - items.length,
      );
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
      const bucketEnd = (bucket + 1) * size;
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

  /** The subject id of a person; the identity is used for the computation only. */
  async lookupSubject(identity: SubjectIdentityInput): Promise<{ subjectId: string }> {
    return { subjectId: subjectIdFor(identity, await this.#deps.secret()) };
  }

  /**
   * The access report of a subject; generating it is itself logged
   * (`report.generated`, before the report is handed out).
   */
  async accessReport(subjectId: string, actor: string): Promise<AccessReport> {
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
      items.push(...page.items.filter(this.#live(now)));
      startKey = page.lastKey;
    } while (startKey && items.length < MAX_REPORT_ENTRIES);
    const latest = await this.#deps.store.latestCheckpoint();
    const reportId = randomUUID();
    const report = buildAccessReport({
      reportId,
      subjectId,
      generatedAt: now.toISOString(),
      generatedBy: actor,
      items,
      names: this.#deps.names(),
      signedTreeSize: latest?.treeSize ?? 0,
    });
    await this.#deps.writer.recordDraft(
      auditDraft({ event: 'report.generated', actor, subjectId, entryId: reportId, time: now }),
    );
    return report;
  }

  async checkpoints(query: { limit?: number | undefined; cursor?: string | undefined }) {
    const startKey = query.cursor ? decodeCheckpointCursor(query.cursor) : undefined;
    const page = await this.#deps.store.listCheckpoints(query.limit ?? DEFAULT_PAGE, startKey);
    return { items: page.items, ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
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
    actor: string,
    idempotencyKey: string,
  ): Promise<{ status: number; body: unknown; replayed: boolean }> {
    const now = this.#clock.now();
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
        actor,
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
