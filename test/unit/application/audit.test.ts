import { describe, expect, it } from 'vitest';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { encodeCursor } from '#shared/application/audit/cursors.ts';
import { AuditService } from '#shared/application/audit/dpo-service.ts';
import type { DirectoryNames } from '#shared/application/audit/ports.ts';
import {
  checkpointIfMoved,
  checkpointOrigin,
  runSequencer,
  sequencePending,
} from '#shared/application/audit/sequencer.ts';
import { verifierKeyDocument } from '#shared/application/audit/verifier-key.ts';
import { Ed25519Signer, verifyCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import { type AuditEntryDraft, auditDraft } from '#shared/domain/audit/entry.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { subjectIdFor } from '#shared/domain/pseudonym.ts';
import { AccessReport } from '#shared/schemas/audit.ts';
import { draft, drafts } from '#test/unit/audit/fixtures.ts';
import { MemoryAuditStore } from './audit-fakes.ts';

const ORIGIN = checkpointOrigin('lk-test', 'unit');
const signer = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 7));
const always = { hasTime: () => true };
const clock = new FixedClock('2027-01-10T12:00:00.000Z');
const SECRET = Buffer.alloc(32, 0x5a);

async function verifyStore(store: MemoryAuditStore) {
  return verifyLog(store.entriesInOrder(), {
    checkpoints: [...store.checkpointsBySize.values()].map((c) => c.note),
    verifierKey: signer.verifierKey(),
  });
}

describe('sequencePending', () => {
  it('chains every pending draft in batches of at most 99, oldest first, and the log verifies', async () => {
    const store = new MemoryAuditStore();
    // Added in reverse so that insertion order is not the sequencing order.
    for (const d of drafts(250).reverse()) store.addDraft(d);
    const run = await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, always);
    expect(run.sequenced).toBe(250);
    expect(run.batches).toBe(3);
    expect(run.head.sequence).toBe(250);
    const entries = store.entriesInOrder();
    expect(entries.map((e) => e.entryId)).toEqual(drafts(250).map((d) => d.entryId));
    expect(run.checkpoint?.treeSize).toBe(250);
    const result = await verifyStore(store);
    expect(result).toMatchObject({ ok: true, entries: 250, checkpointsMatched: 1, signedTreeSize: 250 });
  });

  it('changes nothing when run again', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(10)) store.addDraft(d);
    await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, always);
    const before = JSON.stringify([...store.rows.values()]);
    const again = await runSequencer({ store, signer: async () => signer, origin: ORIGIN, clock }, always);
    expect(again).toMatchObject({ sequenced: 0, batches: 0, checkpoint: undefined });
    expect(JSON.stringify([...store.rows.values()])).toBe(before);
    expect(store.checkpointsBySize.size).toBe(1);
  });

  it('re-reads the head and redoes the batch when another writer moved it', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(5)) store.addDraft(d);
    store.failNext.push({ ok: false, reason: 'head-moved' });
    const run = await sequencePending(store, always);
    expect(run).toMatchObject({ sequenced: 5, conflicts: 1 });
    expect(store.appendCalls).toBe(2);
  });

  it('leaves out a draft that expired between reading and writing, without a gap', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(5)) store.addDraft(d);
    store.beforeAppend = () => {
      store.rows.delete('e-000002');
      store.beforeAppend = undefined;
    };
    const run = await sequencePending(store, always);
    expect(run.sequenced).toBe(4);
    expect(store.entriesInOrder().map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(
      (await verifyLog(store.entriesInOrder(), { checkpoints: [], verifierKey: signer.verifierKey() })).ok,
    ).toBe(true);
  });

  it('skips index rows of drafts that are sequenced already or gone, and stops', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(3)) store.addDraft(d);
    await sequencePending(store, always);
    for (const id of ['e-000000', 'e-000001', 'vanished-entry']) store.staleIndex.add(id);
    store.addDraft(draft(3));
    const run = await sequencePending(store, always);
    expect(run.sequenced).toBe(1);
    expect(store.head.sequence).toBe(4);
  });

  it('gives up after too many conflicts and does nothing without time', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(3)) store.addDraft(d);
    expect((await sequencePending(store, { hasTime: () => false })).sequenced).toBe(0);
    for (let i = 0; i < 4; i++) store.failNext.push({ ok: false, reason: 'conflict' });
    const run = await sequencePending(store, { ...always, maxConflicts: 2 });
    expect(run).toMatchObject({ sequenced: 0, conflicts: 3 });
  });

  it('respects a smaller batch size', async () => {
    const store = new MemoryAuditStore();
    for (const d of drafts(7)) store.addDraft(d);
    expect((await sequencePending(store, { ...always, batchSize: 3 })).batches).toBe(3);
  });
});

describe('checkpointIfMoved', () => {
  it('signs only when the head moved, and any checkpoint serves as an anchor', async () => {
    const store = new MemoryAuditStore();
    expect(await checkpointIfMoved(store, store.head, signer, ORIGIN, clock)).toBeUndefined();
    for (const d of drafts(6)) store.addDraft(d);
    const first = await sequencePending(store, always);
    const cp1 = await checkpointIfMoved(store, first.head, signer, ORIGIN, clock);
    expect(cp1?.treeSize).toBe(6);
    expect(verifyCheckpoint(cp1!.note, cp1!.verifierKey)).toMatchObject({ ok: true });
    expect(cp1?.verifierKey).toBe(signer.verifierKey());
    expect(await checkpointIfMoved(store, first.head, signer, ORIGIN, clock)).toBeUndefined();

    for (const d of drafts(4, 6)) store.addDraft(d);
    const second = await sequencePending(store, always);
    const cp2 = await checkpointIfMoved(store, second.head, signer, ORIGIN, clock);
    expect(cp2?.treeSize).toBe(10);
    // Retention removed entries 1..6: what remains verifies from checkpoint 6 as anchor.
    const rest = store.entriesInOrder().slice(6);
    const result = await verifyLog(rest, {
      checkpoints: [cp1!.note, cp2!.note],
      verifierKey: signer.verifierKey(),
      anchor: { sequence: cp1!.treeSize, hash: cp1!.headHash, merkleFrontier: cp1!.merkleFrontier },
    });
    expect(result).toMatchObject({ ok: true, firstSequence: 7, lastSequence: 10 });
  });
});

const names: DirectoryNames = {
  office: (id) =>
    id === 'mbe-caritas-karlsruhe'
      ? { name: 'MBE Caritas <Karlsruhe> & Co', providerName: 'Caritas' }
      : undefined,
  authority: () => undefined,
};

function service(store: MemoryAuditStore, bucketSize = 10_000) {
  store.bucketSize = bucketSize;
  return new AuditService({
    store,
    writer: store,
    signer: async () => signer,
    secret: async () => SECRET,
    names: () => names,
    sequenceBucketSize: bucketSize,
    clock,
  });
}

const NOW_S = Math.floor(clock.now().getTime() / 1000);

describe('AuditService.entries (the export feed)', () => {
  async function sequenced(n: number) {
    const store = new MemoryAuditStore();
    for (const d of drafts(n)) store.addDraft(d, NOW_S + 1000);
    await sequencePending(store, always);
    return store;
  }

  it('pages through partitions in chain order with a cursor, to the head', async () => {
    const store = await sequenced(35);
    const svc = service(store, 10);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await svc.entries({ limit: 8, ...(cursor ? { cursor } : {}) });
      expect(page.headSequence).toBe(35);
      seen.push(...page.items.map((e) => e.sequence));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    expect(pages).toBe(5);
  });

  it('starts at fromSequence, passes over a hole at the start, ends a page before a hole', async () => {
    const store = await sequenced(30);
    const svc = service(store, 10);
    store.hiddenFromSequenceIndex.add(3);
    store.hiddenFromSequenceIndex.add(4);
    store.hiddenFromSequenceIndex.add(15);
    const first = await svc.entries({ fromSequence: 3, limit: 100 });
    expect(first.items.map((e) => e.sequence)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(first.nextCursor).toBe(encodeCursor({ s: 15 }));
    store.hiddenFromSequenceIndex.delete(15);
    const second = await svc.entries({ cursor: first.nextCursor!, limit: 100 });
    expect(second.items[0]?.sequence).toBe(15);
    expect(second.items.at(-1)?.sequence).toBe(30);
    expect(second.nextCursor).toBeUndefined();
  });

  it('leaves out entries past their retention', async () => {
    const store = await sequenced(5);
    for (const id of ['e-000000', 'e-000001']) store.rows.get(id)!.expiresAt = NOW_S - 1;
    const page = await service(store).entries({});
    expect(page.items.map((e) => e.sequence)).toEqual([3, 4, 5]);
  });

  it('refuses a cursor that is not one of its own', async () => {
    const svc = service(await sequenced(1));
    for (const cursor of [
      'bm90LWpzb24',
      encodeCursor({ s: 0 }),
      encodeCursor({ s: 1, x: 2 }),
      encodeCursor([1]),
    ]) {
      await expect(svc.entries({ cursor })).rejects.toBeInstanceOf(InvalidRequest);
    }
  });
});

describe('AuditService.queryEvents', () => {
  const subject = 'sub_'.padEnd(68, 'a');
  function store() {
    const s = new MemoryAuditStore();
    for (let i = 0; i < 12; i++) {
      s.addDraft(
        draft(i, { subjectId: i % 2 === 0 ? subject : 'sub_'.padEnd(68, 'b') }),
        i === 0 ? NOW_S - 10 : NOW_S + 1000,
      );
    }
    // The DPO indexes hold entries once the sequencer has chained them.
    for (const row of s.rows.values()) row.pending = false;
    return s;
  }

  it('serves a subject from its index, with further filters, time window and pagination', async () => {
    const svc = service(store());
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.queryEvents({ subjectId: subject, limit: 2, ...(cursor ? { cursor } : {}) });
      all.push(...page.items.map((i) => i.entry.entryId));
      expect(page.items.every((i) => i.sequenced === true)).toBe(true);
      cursor = page.nextCursor;
    } while (cursor);
    // e-000000 is past its retention.
    expect(all).toEqual(['e-000002', 'e-000004', 'e-000006', 'e-000008', 'e-000010']);

    const withOffice = await svc.queryEvents({
      subjectId: subject,
      serviceOfficeId: 'mbe-caritas-karlsruhe',
    });
    expect(withOffice.items.map((i) => i.entry.entryId)).toEqual([
      'e-000002',
      'e-000004',
      'e-000008',
      'e-000010',
    ]);

    const window = await svc.queryEvents({
      subjectId: subject,
      from: '2026-11-02T08:00:04.000Z',
      to: '2026-11-02T09:00:08+01:00',
    });
    expect(window.items.map((i) => i.entry.entryId)).toEqual(['e-000004', 'e-000006']);

    const newestFirst = await svc.queryEvents({ subjectId: subject, order: 'desc', limit: 1 });
    expect(newestFirst.items[0]?.entry.entryId).toBe('e-000010');
  });

  it('refuses a cursor of another query', async () => {
    const svc = service(store());
    const page = await svc.queryEvents({ subjectId: subject, limit: 1 });
    await expect(
      svc.queryEvents({ subjectId: 'sub_'.padEnd(68, 'b'), cursor: page.nextCursor! }),
    ).rejects.toBeInstanceOf(InvalidRequest);
    await expect(
      svc.queryEvents({ event: 'consent.recorded', cursor: page.nextCursor! }),
    ).rejects.toBeInstanceOf(InvalidRequest);
    await expect(svc.queryEvents({ subjectId: subject, cursor: '%%%' })).rejects.toBeInstanceOf(
      InvalidRequest,
    );
  });
});

describe('access report', () => {
  const subject = 'sub_'.padEnd(68, 'c');
  const at = (m: number) => new Date(Date.parse('2026-11-02T08:00:00.000Z') + m * 60_000);
  const base = {
    actor: 'authority:abh-karlsruhe',
    subjectId: subject,
    authorityId: 'abh-karlsruhe',
  } as const;
  function history(): AuditEntryDraft[] {
    return [
      auditDraft({
        ...base,
        event: 'consent.recorded',
        time: at(0),
        consentId: 'c-1',
        dataCategories: ['identity', 'contact'],
        purpose: 'migration-counselling',
      }),
      auditDraft({
        ...base,
        event: 'referral.accepted',
        time: at(1),
        consentId: 'c-1',
        serviceOfficeId: 'mbe-caritas-karlsruhe',
        referralId: 'r-1',
        dataCategories: ['contact'],
      }),
      auditDraft({
        ...base,
        actor: 'service:mbe-caritas-karlsruhe',
        event: 'referral.received',
        time: at(5),
        consentId: 'c-1',
        serviceOfficeId: 'mbe-caritas-karlsruhe',
        referralId: 'r-1',
        dataCategories: ['contact', 'identity'],
        purpose: 'migration-counselling',
      }),
      auditDraft({
        ...base,
        event: 'consent.recorded',
        time: at(10),
        consentId: 'c-2',
        dataCategories: ['contact'],
      }),
      auditDraft({
        ...base,
        event: 'referral.accepted',
        time: at(11),
        consentId: 'c-2',
        serviceOfficeId: 'jmd-ib-bruchsal',
        referralId: 'r-2',
      }),
      auditDraft({
        ...base,
        event: 'consent.withdrawn',
        time: at(12),
        consentId: 'c-2',
        reason: 'subject-request',
      }),
      auditDraft({
        ...base,
        event: 'referral.revoked',
        time: at(12),
        consentId: 'c-2',
        serviceOfficeId: 'jmd-ib-bruchsal',
        referralId: 'r-2',
      }),
      auditDraft({ ...base, event: 'consent.expired', time: at(20), consentId: 'c-1' }),
    ];
  }

  it('names only actual recipients, every consent with its status, and logs report.generated', async () => {
    const store = new MemoryAuditStore();
    for (const d of history()) store.addDraft(d);
    await sequencePending(store, always);
    const svc = service(store);
    const report = await svc.accessReport(subject, 'dpo:lk-test');
    expect(AccessReport.parse(report)).toEqual(report);
    expect(report.recipients).toEqual([
      {
        serviceOfficeId: 'mbe-caritas-karlsruhe',
        serviceOfficeName: 'MBE Caritas <Karlsruhe> & Co',
        providerName: 'Caritas',
        authorityId: 'abh-karlsruhe',
        referralId: 'r-1',
        receivedAt: at(5).toISOString(),
        dataCategories: ['contact', 'identity'],
        consentId: 'c-1',
        purpose: 'migration-counselling',
        sequence: 3,
      },
    ]);
    expect(report.consents).toEqual([
      expect.objectContaining({
        consentId: 'c-1',
        status: 'expired',
        recordedAt: at(0).toISOString(),
        expiredAt: at(20).toISOString(),
      }),
      expect.objectContaining({
        consentId: 'c-2',
        status: 'withdrawn',
        withdrawnAt: at(12).toISOString(),
        withdrawalReason: 'subject-request',
      }),
    ]);
    expect(report.events).toHaveLength(8);
    const logged = [...store.rows.values()].find((r) => r.entry.event === 'report.generated');
    expect(logged?.entry).toMatchObject({
      entryId: report.reportId,
      actor: 'dpo:lk-test',
      subjectId: subject,
    });
  });
});

describe('AuditService, other operations', () => {
  it('looks up the subject id exactly as subjectIdFor computes it', async () => {
    const svc = service(new MemoryAuditStore());
    const identity = {
      familyName: 'Müller',
      givenNames: 'Ana',
      dateOfBirth: '1990-01-02',
      nationality: 'SYR',
    };
    expect((await svc.lookupSubject(identity)).subjectId).toBe(subjectIdFor(identity, SECRET));
    expect((await svc.lookupSubject({ azrNumber: '123456789012' })).subjectId).toBe(
      subjectIdFor({ azrNumber: '123456789012' }, SECRET),
    );
  });

  it('lists checkpoints newest first with a cursor; latest is 404 before the first', async () => {
    const store = new MemoryAuditStore();
    const svc = service(store);
    await expect(svc.latestCheckpoint()).rejects.toBeInstanceOf(NotFound);
    for (let i = 0; i < 3; i++) {
      store.addDraft(draft(i));
      const { head } = await sequencePending(store, always);
      await checkpointIfMoved(store, head, signer, ORIGIN, clock);
    }
    const first = await svc.checkpoints({ limit: 2 });
    expect(first.items.map((c) => c.treeSize)).toEqual([3, 2]);
    const second = await svc.checkpoints({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((c) => c.treeSize)).toEqual([1]);
    expect(second.nextCursor).toBeUndefined();
    expect((await svc.latestCheckpoint()).treeSize).toBe(3);
    await expect(
      svc.checkpoints({ cursor: encodeCursor({ pk: 'ENTRY#x', sk: 'ENTRY' }) }),
    ).rejects.toBeInstanceOf(InvalidRequest);
  });

  it('publishes the verifier key with PEM and JWK of the same key', async () => {
    const doc = await verifierKeyDocument(signer);
    expect(doc).toMatchObject({
      keyName: ORIGIN,
      signatureType: 'ed25519',
      verifierKey: signer.verifierKey(),
    });
    expect(doc.publicKeyPem).toBe(signer.publicKeyPem());
    expect(doc.publicKeyJwk).toEqual(signer.publicKeyJwk());
  });

  it('records an export with export.made whose entry id is the export id', async () => {
    const store = new MemoryAuditStore();
    const result = await service(store).recordExport(
      { format: 'ndjson', fromSequence: 5 },
      'dpo:lk-test',
      'key-12345678',
    );
    expect(result.status).toBe(201);
    const body = result.body as { exportId: string };
    expect(body).toMatchObject({ format: 'ndjson', fromSequence: 5, toSequence: null, subjectId: null });
    expect(store.rows.get(body.exportId)?.entry).toMatchObject({
      event: 'export.made',
      actor: 'dpo:lk-test',
    });
  });
});

describe('the audit operations in the API description', () => {
  it('build into the OpenAPI document', () => {
    const doc = buildOpenApiDocument(operations, { version: 'test' });
    for (const path of ['/v1/audit/events', '/v1/audit/entries', '/v1/audit/subjects/{subjectId}/report']) {
      expect(doc.paths?.[path]).toBeDefined();
    }
  });
});
