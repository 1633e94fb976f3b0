import { describe, expect, it } from 'vitest';
import { AuditService } from '#shared/application/audit/dpo-service.ts';
import { MAX_PROOF_READS } from '#shared/application/audit/proofs.ts';
import { checkpointOrigin, runSequencer } from '#shared/application/audit/sequencer.ts';
import { Ed25519Signer } from '#shared/domain/audit/checkpoint.ts';
import { verifyCheckpointConsistency, verifyEntryInclusion } from '#shared/domain/audit/proofs.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { DependencyUnavailable, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { auditExpiry, defaultRetention } from '#shared/domain/retention.ts';
import { ConsistencyProofQuery, InclusionProofQuery } from '#shared/schemas/audit.ts';
import { draft } from '#test/unit/audit/fixtures.ts';
import { MemoryAuditStore } from './audit-fakes.ts';

const ORIGIN = checkpointOrigin('lk-test', 'unit');
const signer = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 9));
const key = signer.verifierKey();
const clock = new FixedClock('2027-06-10T12:00:00.000Z');

function service(store: MemoryAuditStore, bucketSize = 16) {
  store.bucketSize = bucketSize;
  return new AuditService({
    store,
    writer: store,
    signer: async () => signer,
    secret: async () => Buffer.alloc(32, 1),
    names: () => ({ office: () => undefined, authority: () => undefined }),
    sequenceBucketSize: bucketSize,
    clock,
  });
}

/** A log sequenced in runs of the given sizes (a checkpoint after each), times from `start`. */
async function logOf(runs: readonly number[], start = Date.parse('2027-01-05T00:00:00Z')) {
  const store = new MemoryAuditStore();
  let i = 0;
  for (const n of runs) {
    for (let k = 0; k < n; k++, i++) {
      const d = draft(i, { time: new Date(start + i * 60_000).toISOString() });
      store.addDraft(d, auditExpiry(new Date(d.time), defaultRetention));
    }
    await runSequencer(
      { store, signer: async () => signer, origin: ORIGIN, clock, retention: defaultRetention },
      { hasTime: () => true, batchSize: 7 },
    );
  }
  return store;
}

describe('inclusion and consistency proofs from the audit store', () => {
  it('proves every entry against every checkpoint, and every pair of checkpoints consistent', async () => {
    const store = await logOf([5, 12, 1, 30, 16]);
    const svc = service(store);
    const sizes = [...store.checkpointsBySize.keys()].sort((a, b) => a - b);
    expect(sizes).toEqual([5, 17, 18, 48, 64]);
    for (const treeSize of sizes) {
      for (let sequence = 1; sequence <= treeSize; sequence++) {
        const proof = await svc.inclusionProof({ sequence, treeSize });
        const result = await verifyEntryInclusion({
          ...proof,
          checkpoint: proof.checkpoint.note,
          verifierKey: key,
        });
        expect(result, `entry ${sequence} in ${treeSize}`).toMatchObject({ ok: true });
      }
    }
    for (const from of sizes) {
      for (const to of sizes.filter((s) => s >= from)) {
        const proof = await svc.consistencyProof({ fromTreeSize: from, toTreeSize: to });
        const result = await verifyCheckpointConsistency({
          from: proof.from.note,
          to: proof.to.note,
          hashes: proof.hashes,
          verifierKey: key,
        });
        expect(result, `${from} → ${to}`).toMatchObject({ ok: true });
      }
    }
    // Defaults: the newest checkpoint.
    expect(await svc.inclusionProof({ sequence: 3 })).toMatchObject({ treeSize: 64, leafIndex: 2 });
    expect(await svc.consistencyProof({ fromTreeSize: 17 })).toMatchObject({ toTreeSize: 64 });
  });

  it('proves what remains after retention from the checkpoints that seal the deleted epochs', async () => {
    // 2026 entries, then 2027 ones: the seal at the last 2026 entry holds the deleted subtrees.
    const store = await logOf([9, 13], Date.parse('2026-12-31T23:50:00Z'));
    const before = [...store.checkpointsBySize.keys()].sort((a, b) => a - b);
    const sealed = store.entriesInOrder().filter((e) => e.time.startsWith('2026')).length;
    expect(before).toContain(sealed);
    for (const [id, row] of store.rows)
      if (row.expiresAt! <= Date.parse('2028-01-01T00:00:00Z') / 1000) store.rows.delete(id);
    expect(store.entriesInOrder()[0]?.sequence).toBe(sealed + 1);
    const svc = service(store);
    for (let sequence = sealed + 1; sequence <= 22; sequence++) {
      const proof = await svc.inclusionProof({ sequence, treeSize: 22 });
      expect(
        await verifyEntryInclusion({ ...proof, checkpoint: proof.checkpoint.note, verifierKey: key }),
      ).toMatchObject({
        ok: true,
      });
    }
    const proof = await svc.consistencyProof({ fromTreeSize: sealed, toTreeSize: 22 });
    expect(
      await verifyCheckpointConsistency({
        from: proof.from.note,
        to: proof.to.note,
        hashes: proof.hashes,
        verifierKey: key,
      }),
    ).toMatchObject({ ok: true });
    await expect(svc.inclusionProof({ sequence: 1, treeSize: 22 })).rejects.toBeInstanceOf(NotFound);
  });

  it('computes the subtrees of entries stored without them, within a budget of reads', async () => {
    const store = await logOf([40]);
    for (const row of store.rows.values()) delete row.merkleNodes;
    const proof = await service(store).inclusionProof({ sequence: 13, treeSize: 40 });
    expect(
      await verifyEntryInclusion({ ...proof, checkpoint: proof.checkpoint.note, verifierKey: key }),
    ).toMatchObject({
      ok: true,
    });
    // An index that has not caught up: the proof is not made up, the caller is told to retry.
    store.hiddenFromSequenceIndex.add(7);
    await expect(service(store).inclusionProof({ sequence: 13, treeSize: 40 })).rejects.toBeInstanceOf(
      DependencyUnavailable,
    );
    expect(MAX_PROOF_READS).toBeGreaterThan(128);
  });

  it('refuses sizes that are no signed checkpoint, and entries beyond it, naming the field', async () => {
    const store = await logOf([5, 5]);
    const svc = service(store);
    const field = async (p: Promise<unknown>) => {
      const error = await p.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequest);
      return (error as InvalidRequest).issues.map((i) => i.field);
    };
    expect(await field(svc.inclusionProof({ sequence: 2, treeSize: 7 }))).toEqual(['query.treeSize']);
    expect(await field(svc.inclusionProof({ sequence: 11 }))).toEqual(['query.sequence']);
    expect(await field(svc.consistencyProof({ fromTreeSize: 4 }))).toEqual(['query.fromTreeSize']);
    expect(await field(svc.consistencyProof({ fromTreeSize: 5, toTreeSize: 9 }))).toEqual([
      'query.toTreeSize',
    ]);
    // The query schemas name the fields of impossible combinations and bad numbers.
    const issues = (schema: typeof InclusionProofQuery | typeof ConsistencyProofQuery, q: object) =>
      schema.safeParse(q).error?.issues.map((i) => i.path.join('.'));
    expect(issues(InclusionProofQuery, { sequence: '9', treeSize: '5' })).toEqual(['sequence']);
    expect(issues(InclusionProofQuery, { sequence: '0' })).toEqual(['sequence']);
    expect(issues(InclusionProofQuery, {})).toEqual(['sequence']);
    expect(issues(ConsistencyProofQuery, { fromTreeSize: '10', toTreeSize: '5' })).toEqual(['fromTreeSize']);
    expect(issues(ConsistencyProofQuery, { fromTreeSize: 'x' })).toEqual(['fromTreeSize']);
    expect(await svc.checkpoints({ maxTreeSize: 9 })).toMatchObject({ items: [{ treeSize: 5 }] });
  });
});
