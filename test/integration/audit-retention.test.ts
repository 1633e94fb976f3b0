/**
 * Retention by epoch against DynamoDB Local (docs/audit-format.md §8): a sequencer run
 * across a new year and a late entry of the old year leave, once the old year's epoch
 * has expired, a log that starts right after a signed checkpoint and verifies from it.
 * Years are counted back from today: the older year's entries have expired already
 * (one year of retention), the newer year's have not.
 */
import type { Context, ScheduledEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '#local/lambda-context.ts';
import { scheduledEvent } from '#local/scheduler.ts';
import { sweepExpired } from '#local/ttl-sweeper.ts';
import { auditKeys, putAuditDraft } from '#shared/adapters/audit-drafts.ts';
import { commit } from '#shared/adapters/transactions.ts';
import {
  getAuditConsistencyProof,
  getAuditInclusionProof,
  listAuditCheckpoints,
  listAuditEntries,
} from '#shared/api/audit.ts';
import { type AuditEntry, type AuditEntryDraft, auditDraft } from '#shared/domain/audit/entry.ts';
import { verifyCheckpointConsistency, verifyEntryInclusion } from '#shared/domain/audit/proofs.ts';
import { verifyLog } from '#shared/domain/audit/verify.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import type { OperationSpec } from '#shared/http/operation.ts';
import { auditTable } from '#shared/resources.ts';
import type { CheckpointView } from '#shared/schemas/audit.ts';
import { apiEvent, invoke, type ProxyHandler } from '#test/support/api-events.ts';
import { ACCOUNT_ID, REGION, TEST_CHECKPOINT_KEY, useEmulators } from '#test/support/emulators.ts';

const emu = useEmulators();
const DPO = 'dpo:lk-karlsruhe';
const OLD = new Date().getUTCFullYear() - 2;
const NEW = OLD + 1;
const endOfYear = (year: number) => Math.floor(Date.UTC(year + 1, 0, 1) / 1000) - 1;

let sequencer: (event: ScheduledEvent, context: Context) => Promise<{ sequenced: number; treeSize: number }>;
let api: ProxyHandler;
let auditTableName: string;

const runSequencer = () =>
  sequencer(
    scheduledEvent('AuditSequencerFunction', REGION, ACCOUNT_ID, new Date()),
    lambdaContext('AuditSequencerFunction', REGION, ACCOUNT_ID),
  );

const call = (operation: OperationSpec, query?: Record<string, string>) =>
  invoke(api, apiEvent(operation, { principal: DPO, stage: emu.stage, ...(query ? { query } : {}) }));

function at(n: number, time: string): AuditEntryDraft {
  return auditDraft({
    entryId: `ret-${n}`,
    time,
    event: 'referral.accepted',
    actor: 'authority:abh-bruchsal',
    authorityId: 'abh-bruchsal',
    serviceOfficeId: 'mbe-caritas-bruchsal',
    subjectId: `sub_${String(n).padStart(64, '0')}`,
    referralId: `ref-${n}`,
    consentId: `con-${n}`,
    dataCategories: ['contact', 'identity'],
  });
}

async function exportLog(): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const res = await call(listAuditEntries, { limit: '3', ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    entries.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return entries;
}

async function checkpoints(): Promise<CheckpointView[]> {
  const res = await call(listAuditCheckpoints, { limit: '500' });
  expect(res.status).toBe(200);
  return res.body.items;
}

/** Verifies what the export feed serves from the checkpoint right before its first entry. */
async function verifyRemainder(entries: AuditEntry[]) {
  const all = await checkpoints();
  const anchor = all.find((cp) => cp.treeSize === entries[0]!.sequence - 1);
  expect(anchor).toBeDefined();
  return verifyLog(entries, {
    checkpoints: all.map((cp) => cp.note),
    verifierKey: all[0]!.verifierKey,
    anchor: { sequence: anchor!.treeSize, hash: anchor!.headHash, merkleFrontier: anchor!.merkleFrontier },
  });
}

beforeAll(async () => {
  await emu.createTables();
  Object.assign(process.env, emu.env(), { REX_CHECKPOINT_PRIVATE_KEY: TEST_CHECKPOINT_KEY });
  delete process.env.REX_AUDIT_RETENTION_YEARS;
  auditTableName = `rex-${emu.stage}-audit`;
  sequencer = (await import('#functions/audit-sequencer.ts')).handler as never;
  api = (await import('#functions/audit-api.ts')).handler as unknown as ProxyHandler;
});

describe('retention by epoch against DynamoDB Local', () => {
  it('seals the old year in a run across the new year; a late entry stays with its neighbours; the rest verifies', async () => {
    const first = [
      at(1, `${OLD}-12-31T23:59:58.000Z`),
      at(2, `${OLD}-12-31T23:59:59.000Z`),
      at(3, `${NEW}-01-01T00:00:00.500Z`),
      at(4, `${NEW}-01-01T00:00:01.000Z`),
    ];
    for (const d of first) await commit([putAuditDraft(auditTableName, d)]);
    expect(await runSequencer()).toMatchObject({ sequenced: 4, treeSize: 4 });
    // A transaction of the old year that committed late.
    for (const d of [at(5, `${OLD}-12-31T23:59:59.900Z`), at(6, `${NEW}-01-01T00:00:03.000Z`)])
      await commit([putAuditDraft(auditTableName, d)]);
    expect(await runSequencer()).toMatchObject({ sequenced: 2, treeSize: 6 });

    expect((await checkpoints()).map((cp) => cp.treeSize)).toEqual([6, 4, 2]);
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const { marshall, unmarshall } = await import('@aws-sdk/util-dynamodb');
    const item = async (key: Record<string, string>) =>
      unmarshall(
        (await emu.dynamodb.send(new GetItemCommand({ TableName: auditTableName, Key: marshall(key) })))
          .Item!,
      );
    const expiries: Record<string, number> = {};
    for (let n = 1; n <= 6; n++) {
      const row = await item(auditKeys.entry(`ret-${n}`));
      expiries[row.entry.sequence] = row.expiresAt;
      expect(row.retentionEpoch).toBe(row.entry.sequence <= 2 ? OLD : NEW);
    }
    expect(expiries).toEqual({
      1: endOfYear(OLD + 1),
      2: endOfYear(OLD + 1),
      3: endOfYear(NEW + 1),
      4: endOfYear(NEW + 1),
      5: endOfYear(NEW + 1),
      6: endOfYear(NEW + 1),
    });
    const head = await item(auditKeys.head());
    expect(head).toMatchObject({ sequence: 6, epoch: NEW, epochExpiresAt: endOfYear(NEW + 1) });
    expect(head.expiresAt).toBeUndefined();

    // The old year has expired: the feed leaves it out even before TTL deletes it.
    const served = await exportLog();
    expect(served.map((e) => e.sequence)).toEqual([3, 4, 5, 6]);
    expect(served.find((e) => e.entryId === 'ret-5')?.sequence).toBe(5);
    expect(await verifyRemainder(served)).toMatchObject({ ok: true, firstSequence: 3, lastSequence: 6 });

    // TTL (the local sweeper, by today's clock) deletes the old year's entries and nothing
    // else — not the head, not a checkpoint —; nothing changes for the export.
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const keys = async () =>
      ((await emu.dynamodb.send(new ScanCommand({ TableName: auditTableName }))).Items ?? [])
        .map((i) => unmarshall(i))
        .map((i) => `${i.pk}/${i.sk}`)
        .sort();
    const before = await keys();
    expect(await sweepExpired(emu.dynamodb, auditTable, auditTableName, new FixedClock(new Date()))).toBe(2);
    const gone = ['ENTRY#ret-1/ENTRY', 'ENTRY#ret-2/ENTRY'];
    expect(await keys()).toEqual(before.filter((k) => !gone.includes(k)));
    expect(before).toEqual(expect.arrayContaining([...gone, 'CHAIN/HEAD']));
    const afterTtl = await exportLog();
    expect(afterTtl).toEqual(served);
    expect(await verifyRemainder(afterTtl)).toMatchObject({ ok: true, checkpointsMatched: 3 });
  });

  it('serves inclusion and consistency proofs of what remains, which verify; and refuses what it cannot prove', async () => {
    const verifierKey = (await checkpoints())[0]!.verifierKey;
    for (const sequence of [3, 4, 5, 6]) {
      for (const treeSize of [4, 6].filter((t) => t >= sequence)) {
        const res = await call(getAuditInclusionProof, {
          sequence: String(sequence),
          treeSize: String(treeSize),
        });
        expect(res.status).toBe(200);
        const result = await verifyEntryInclusion({
          ...res.body,
          checkpoint: res.body.checkpoint.note,
          verifierKey,
        });
        expect(result, `entry ${sequence} in ${treeSize}`).toMatchObject({ ok: true });
      }
    }
    for (const [from, to] of [
      [2, 4],
      [2, 6],
      [4, 6],
    ]) {
      const res = await call(getAuditConsistencyProof, {
        fromTreeSize: String(from),
        toTreeSize: String(to),
      });
      expect(res.status).toBe(200);
      const result = await verifyCheckpointConsistency({
        from: res.body.from.note,
        to: res.body.to.note,
        hashes: res.body.hashes,
        verifierKey,
      });
      expect(result, `${from} → ${to}`).toMatchObject({ ok: true });
    }
    const gone = await call(getAuditInclusionProof, { sequence: '1' });
    expect(gone.status).toBe(404);
    const notSigned = await call(getAuditInclusionProof, { sequence: '3', treeSize: '5' });
    expect(notSigned.status).toBe(400);
    expect(notSigned.body.errors).toEqual([
      { field: 'query.treeSize', reason: 'is not the tree size of a signed checkpoint' },
    ]);
    const bad = await call(getAuditConsistencyProof, { fromTreeSize: 'one' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toMatch(/fromTreeSize/);
  });
});
