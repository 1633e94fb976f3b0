/**
 * Retention removes whole epochs from the start of the log, and what remains starts
 * right after a signed checkpoint (docs/audit-format.md §8). Retention here is what
 * DynamoDB's TTL does: every item whose `expiresAt` has passed is deleted, in no
 * particular order.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpointOrigin, runSequencer, sequencePending } from '#shared/application/audit/sequencer.ts';
import { Ed25519Signer } from '#shared/domain/audit/checkpoint.ts';
import type { AuditEntryDraft } from '#shared/domain/audit/entry.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { auditEpochExpiry, auditExpiry, defaultRetention } from '#shared/domain/retention.ts';
import { draft } from '#test/unit/audit/fixtures.ts';
import { MemoryAuditStore } from './audit-fakes.ts';

const ORIGIN = checkpointOrigin('lk-test', 'unit');
const signer = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 7));
const clock = new FixedClock('2027-01-10T12:00:00.000Z');
const always = { hasTime: () => true, retention: defaultRetention };
const deps = (store: MemoryAuditStore) => ({
  store,
  signer: async () => signer,
  origin: ORIGIN,
  clock,
  retention: defaultRetention,
});
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

const at = (i: number, time: string): AuditEntryDraft => draft(i, { time });

/** A draft as the business transactions write it: with the TTL of its own time (audit-drafts.ts). */
function add(store: MemoryAuditStore, d: AuditEntryDraft) {
  store.addDraft(d, auditExpiry(new Date(d.time), defaultRetention));
}

/** TTL at `instant`: every row whose expiry has passed is gone. */
function expireAt(store: MemoryAuditStore, instant: string) {
  for (const [id, row] of store.rows) {
    if (row.expiresAt !== undefined && row.expiresAt <= seconds(instant)) store.rows.delete(id);
  }
}

/** What an export after retention finds: the remaining entries and the anchor before them. */
async function verifyRemainder(store: MemoryAuditStore) {
  const rest = store.entriesInOrder();
  const notes = [...store.checkpointsBySize.values()].map((c) => c.note);
  const first = rest[0]?.sequence ?? store.head.sequence + 1;
  const anchor = store.checkpointsBySize.get(first - 1);
  return {
    rest,
    anchor,
    result: await verifyLog(rest, {
      checkpoints: notes,
      verifierKey: signer.verifierKey(),
      ...(anchor
        ? {
            anchor: {
              sequence: anchor.treeSize,
              hash: anchor.headHash,
              merkleFrontier: anchor.merkleFrontier,
            },
          }
        : {}),
    }),
  };
}

describe('retention by epoch', () => {
  it('signs a checkpoint at the new year inside one run, so the remainder of a run across it verifies', async () => {
    const store = new MemoryAuditStore();
    for (const d of [
      at(1, '2026-12-31T23:59:58.000Z'),
      at(2, '2026-12-31T23:59:59.000Z'),
      at(3, '2027-01-01T00:00:00.500Z'),
      at(4, '2027-01-01T00:00:01.000Z'),
    ])
      add(store, d);
    const run = await runSequencer(deps(store), always);
    expect(run).toMatchObject({ sequenced: 4, batches: 2 });
    // The last entry of 2026 is sealed, and the run's own checkpoint follows.
    expect([...store.checkpointsBySize.keys()].sort()).toEqual([2, 4]);
    const expiries = store.entriesInOrder().map((e) => store.rows.get(e.entryId)!.expiresAt);
    expect(expiries).toEqual([
      seconds('2027-12-31T23:59:59Z'),
      seconds('2027-12-31T23:59:59Z'),
      seconds('2028-12-31T23:59:59Z'),
      seconds('2028-12-31T23:59:59Z'),
    ]);

    expireAt(store, '2028-01-01T00:00:00Z');
    const { rest, anchor, result } = await verifyRemainder(store);
    expect(rest.map((e) => e.sequence)).toEqual([3, 4]);
    expect(anchor?.treeSize).toBe(2);
    expect(result).toMatchObject({ ok: true, firstSequence: 3, lastSequence: 4, checkpointsMatched: 2 });
  });

  it('keeps a late entry of last year as long as its neighbours: no hole inside what remains', async () => {
    const store = new MemoryAuditStore();
    for (const d of [at(1, '2026-12-31T23:59:50.000Z'), at(2, '2027-01-01T00:00:01.000Z')]) add(store, d);
    await runSequencer(deps(store), always);
    // A transaction of 2026 that committed late is sequenced after the 2027 entries.
    for (const d of [at(3, '2026-12-31T23:59:59.900Z'), at(4, '2027-01-01T00:00:03.000Z')]) add(store, d);
    await runSequencer(deps(store), always);
    const late = store.rows.get('e-000003')!;
    expect((late.entry as { sequence: number }).sequence).toBe(3);
    expect(late.expiresAt).toBe(seconds('2028-12-31T23:59:59Z'));
    expect(store.head).toMatchObject({ epoch: 2027, expiresAt: seconds('2028-12-31T23:59:59Z') });

    expireAt(store, '2028-01-01T00:00:00Z');
    const { rest, result } = await verifyRemainder(store);
    expect(rest.map((e) => e.sequence)).toEqual([2, 3, 4]);
    expect(result).toMatchObject({ ok: true, firstSequence: 2, lastSequence: 4 });
    expireAt(store, '2029-01-01T00:00:00Z');
    expect(store.entriesInOrder()).toEqual([]);
  });

  it('does not open a new epoch when it cannot sign the seal, and seals a head written before epochs', async () => {
    const store = new MemoryAuditStore();
    add(store, at(1, '2026-12-31T23:59:59.000Z'));
    await sequencePending(store, always);
    add(store, at(2, '2027-01-01T00:00:00.000Z'));
    expect((await sequencePending(store, always)).sequenced).toBe(0);
    expect(store.head.sequence).toBe(1);

    const legacy = new MemoryAuditStore();
    add(legacy, at(1, '2026-06-01T00:00:00.000Z'));
    await sequencePending(legacy, always);
    const { epoch: _e, expiresAt: _x, ...withoutEpoch } = legacy.head;
    legacy.head = withoutEpoch;
    add(legacy, at(2, '2026-06-02T00:00:00.000Z'));
    await runSequencer(deps(legacy), always);
    expect([...legacy.checkpointsBySize.keys()].sort()).toEqual([1, 2]);
    expect(legacy.head.epoch).toBe(2026);
  });

  it('seals before the first batch of the epoch, so a crash in that batch leaves the seal, signed once', async () => {
    const store = new MemoryAuditStore();
    add(store, at(1, '2026-12-31T23:59:59.000Z'));
    await sequencePending(store, always);
    expect(store.checkpointsBySize.size).toBe(0);
    add(store, at(2, '2027-01-01T00:00:00.000Z'));
    store.beforeAppend = () => {
      store.beforeAppend = undefined;
      throw new Error('the function was stopped');
    };
    await expect(runSequencer(deps(store), always)).rejects.toThrow('stopped');
    expect([...store.checkpointsBySize.keys()]).toEqual([1]);
    const puts: number[] = [];
    const put = store.putCheckpoint.bind(store);
    store.putCheckpoint = async (cp) => {
      puts.push(cp.treeSize);
      return put(cp);
    };
    expect((await runSequencer(deps(store), always)).sequenced).toBe(1);
    expect(puts).toEqual([2]);
    expect((await verifyRemainder(store)).result).toMatchObject({ ok: true, checkpointsMatched: 2 });
  });

  const YEAR_ENDS = [
    '2027-01-01T00:00:00Z',
    '2028-01-01T00:00:00Z',
    '2029-01-01T00:00:00Z',
    '2030-01-01T00:00:00Z',
  ];
  const START = Date.parse('2026-09-01T00:00:00Z');
  const SPAN = Date.parse('2029-03-01T00:00:00Z') - START;

  it('leaves, at any instant, a log that starts right after a signed checkpoint and verifies (random arrivals)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Drafts arrive in runs; a later run may carry earlier times (late transactions).
        fc.array(fc.array(fc.integer({ min: 0, max: SPAN }), { minLength: 1, maxLength: 12 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
        async (runs, batchSize, yearEnd) => {
          const store = new MemoryAuditStore();
          let i = 0;
          for (const times of runs) {
            for (const t of times) add(store, at(i++, new Date(START + t).toISOString()));
            await runSequencer(deps(store), { ...always, batchSize });
          }
          expect(store.head.sequence).toBe(i);
          // Expiries never decrease along the sequence.
          const expiries = store.entriesInOrder().map((e) => store.rows.get(e.entryId)!.expiresAt!);
          for (let k = 1; k < expiries.length; k++)
            expect(expiries[k]!).toBeGreaterThanOrEqual(expiries[k - 1]!);

          expireAt(store, YEAR_ENDS[yearEnd]!);
          const { rest, anchor, result } = await verifyRemainder(store);
          if (rest.length === 0) return;
          const first = rest[0]!.sequence;
          expect(rest.map((e) => e.sequence)).toEqual(
            Array.from({ length: i - first + 1 }, (_, k) => first + k),
          );
          if (first > 1) expect(anchor?.treeSize).toBe(first - 1);
          expect(result).toMatchObject({ ok: true, lastSequence: i });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps the expiry of an epoch for all its entries, even when retention is configured shorter mid-epoch', async () => {
    const store = new MemoryAuditStore();
    add(store, at(1, '2026-03-01T00:00:00.000Z'));
    await runSequencer({ ...deps(store), retention: { ...defaultRetention, auditYearsAfter: 3 } }, always);
    add(store, at(2, '2026-04-01T00:00:00.000Z'));
    add(store, at(3, '2027-04-01T00:00:00.000Z'));
    await runSequencer({ ...deps(store), retention: defaultRetention }, always);
    const expiries = store.entriesInOrder().map((e) => store.rows.get(e.entryId)!.expiresAt);
    const threeYears = auditEpochExpiry(2026, { ...defaultRetention, auditYearsAfter: 3 });
    expect(expiries).toEqual([threeYears, threeYears, threeYears]);
  });
});
