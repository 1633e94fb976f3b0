import { describe, expect, it } from 'vitest';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import { fromHex } from '#shared/domain/audit/crypto.ts';
import {
  consistencyProofRanges,
  type LeafRange,
  nodeHash,
  perfectSubtrees,
  rangeHash,
} from '#shared/domain/audit/proofs.ts';
import { drafts } from '#test/unit/audit/fixtures.ts';
import {
  type CheckpointStore,
  checkRemembered,
  type FetchConsistency,
  forgetCheckpoints,
  MAX_REMEMBERED,
  rememberCheckpoint,
  rememberedCheckpoints,
  STORAGE_PREFIX,
} from '#web/dpo/remembered.ts';

/** An in-memory Web Storage. */
function memoryStore(): CheckpointStore & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    get length() {
      return map.size;
    },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

const ORIGIN = 'rex.example/audit';
const signer = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 7));
const key = [signer.verifierKey()];
const log = sequenceDrafts(null, drafts(120));
const leaves = log.entries.map((e) => fromHex(e.hash)!);

/** RFC 9162 MTH, written out. */
function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 1) return d[0]!;
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
const proofHex = (from: number, to: number) =>
  consistencyProofRanges(from, to).map((r: LeafRange) =>
    Buffer.from(
      rangeHash(perfectSubtrees(r).map((s) => mth(leaves.slice(s.start, s.start + 2 ** s.level)))),
    ).toString('hex'),
  );

async function checkpointAt(n: number, entries = drafts(n), by = signer, origin = ORIGIN) {
  const head = sequenceDrafts(null, entries).head;
  return signCheckpoint(checkpointOfHead(origin, head, '2026-11-03T00:00:00.000Z'), by);
}

/** The platform's proofs, as the API hands them out, and which were asked for. */
function honestApi() {
  const asked: [number, number][] = [];
  const fetchProof: FetchConsistency = async (from, to) => {
    asked.push([from, to]);
    return proofHex(from, to);
  };
  return { asked, fetchProof };
}

describe("the DPO page's remembered checkpoints", () => {
  it('keeps verified notes per log origin, one per size, ordered, and forgets them all', async () => {
    const store = memoryStore();
    const [a, b, c] = [await checkpointAt(40), await checkpointAt(7), await checkpointAt(90)];
    rememberCheckpoint(store, a);
    rememberCheckpoint(store, b);
    rememberCheckpoint(store, c);
    rememberCheckpoint(store, a);
    expect(rememberedCheckpoints(store, ORIGIN).map((k) => k.treeSize)).toEqual([7, 40, 90]);
    expect([...store.map.keys()]).toEqual([`${STORAGE_PREFIX}${ORIGIN}`]);
    // The first kept of a size wins: a second one of that size is for the check to judge.
    const other = await checkpointAt(40, drafts(40, 1000));
    rememberCheckpoint(store, other);
    expect(rememberedCheckpoints(store, ORIGIN).find((k) => k.treeSize === 40)!.note).toBe(a);
    // Another log is kept apart; nothing else in the storage is touched.
    rememberCheckpoint(store, await checkpointAt(3, drafts(3), signer, 'other.example/audit'));
    store.setItem('unrelated', 'x');
    expect(rememberedCheckpoints(store, 'other.example/audit')).toHaveLength(1);
    expect(forgetCheckpoints(store)).toBe(4);
    expect([...store.map.keys()]).toEqual(['unrelated']);
    expect(() => rememberCheckpoint(store, 'not a note')).toThrow(RangeError);
  });

  it('reads a damaged memory as none, and keeps at most the newest MAX_REMEMBERED', async () => {
    const store = memoryStore();
    store.setItem(`${STORAGE_PREFIX}${ORIGIN}`, '{not json');
    expect(rememberedCheckpoints(store, ORIGIN)).toEqual([]);
    store.setItem(`${STORAGE_PREFIX}${ORIGIN}`, JSON.stringify([1, 'x', null]));
    expect(rememberedCheckpoints(store, ORIGIN)).toEqual([]);
    const note = await checkpointAt(5);
    const many = Array.from({ length: MAX_REMEMBERED }, (_, i) =>
      note.replace(/^(.*)\n5\n/, `$1\n${1000 + i}\n`),
    );
    store.setItem(`${STORAGE_PREFIX}${ORIGIN}`, JSON.stringify(many));
    expect(rememberedCheckpoints(store, ORIGIN)).toHaveLength(MAX_REMEMBERED);
    // An older one than all kept is not kept; a newer one pushes out the oldest.
    expect(rememberCheckpoint(store, note).map((k) => k.treeSize)).not.toContain(5);
    const after = rememberCheckpoint(store, note.replace(/^(.*)\n5\n/, '$1\n5000\n'));
    expect(after).toHaveLength(MAX_REMEMBERED);
    expect(after[0]!.treeSize).toBe(1001);
    expect(after[after.length - 1]!.treeSize).toBe(5000);
  });

  it('passes when the newest extends every remembered checkpoint, with proofs from each remembered size', async () => {
    const store = memoryStore();
    for (const n of [1, 8, 33, 120]) rememberCheckpoint(store, await checkpointAt(n));
    const api = honestApi();
    const check = await checkRemembered({
      remembered: rememberedCheckpoints(store, ORIGIN),
      newest: await checkpointAt(120),
      verifierKey: key,
      fetchProof: api.fetchProof,
    });
    expect(check).toEqual({ ok: true, extended: 4, skipped: 0 });
    // The equal size needs no proof from the platform.
    expect(api.asked).toEqual([
      [1, 120],
      [8, 120],
      [33, 120],
    ]);
    expect(
      await checkRemembered({
        remembered: [],
        newest: await checkpointAt(3),
        verifierKey: key,
        fetchProof: api.fetchProof,
      }),
    ).toEqual({ ok: true, extended: 0, skipped: 0 });
  });

  it('catches a rewritten history, a changed proof, a shrunk log and a checkpoint the platform disowns', async () => {
    const newest = await checkpointAt(120);
    const forkedDrafts = drafts(33).map((d, i) => (i === 4 ? { ...d, purpose: 'other' } : d));
    const forked = { treeSize: 33, note: await checkpointAt(33, forkedDrafts) };
    const api = honestApi();
    expect(
      await checkRemembered({ remembered: [forked], newest, verifierKey: key, fetchProof: api.fetchProof }),
    ).toMatchObject({ ok: false, treeSize: 33, reason: 'bad-proof' });

    const kept = { treeSize: 33, note: await checkpointAt(33) };
    const changed: FetchConsistency = async (from, to) =>
      proofHex(from, to).map((h, i) => (i === 0 ? `${h[0] === '0' ? '1' : '0'}${h.slice(1)}` : h));
    expect(
      await checkRemembered({ remembered: [kept], newest, verifierKey: key, fetchProof: changed }),
    ).toMatchObject({ ok: false, treeSize: 33, reason: 'bad-proof' });

    const later = { treeSize: 121, note: await checkpointAt(121, drafts(121)) };
    expect(
      await checkRemembered({ remembered: [later], newest, verifierKey: key, fetchProof: api.fetchProof }),
    ).toMatchObject({ ok: false, treeSize: 121, reason: 'shrunk' });

    expect(
      await checkRemembered({ remembered: [kept], newest, verifierKey: key, fetchProof: async () => 'gone' }),
    ).toMatchObject({ ok: false, treeSize: 33, reason: 'gone' });

    // Same size, other content: two signed checkpoints disagree.
    const sameSize = { treeSize: 120, note: await checkpointAt(120, drafts(120, 5000)) };
    expect(
      await checkRemembered({ remembered: [sameSize], newest, verifierKey: key, fetchProof: api.fetchProof }),
    ).toMatchObject({ ok: false, treeSize: 120, reason: 'checkpoint-mismatch' });
  });

  it('skips remembered notes no trusted key verifies, and uses the rest', async () => {
    const retired = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 8));
    const remembered = [
      { treeSize: 10, note: await checkpointAt(10, drafts(10), retired) },
      { treeSize: 20, note: await checkpointAt(20) },
    ];
    const api = honestApi();
    expect(
      await checkRemembered({
        remembered,
        newest: await checkpointAt(120),
        verifierKey: key,
        fetchProof: api.fetchProof,
      }),
    ).toEqual({ ok: true, extended: 1, skipped: 1 });
    expect(api.asked).toEqual([[20, 120]]);
  });
});
