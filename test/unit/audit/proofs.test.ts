import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headRoot, MerkleFrontier, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { checkpointOfHead, Ed25519Signer, signCheckpoint } from '#shared/domain/audit/checkpoint.ts';
import {
  consistencyProofRanges,
  inclusionProofRanges,
  type LeafRange,
  perfectSubtrees,
  rangeHash,
  verifyCheckpointConsistency,
  verifyConsistencyProof,
  verifyEntryInclusion,
  verifyInclusionProof,
} from '#shared/domain/audit/proofs.ts';
import { WitnessKey } from '#shared/domain/audit/witness.ts';
import { bundleOptions, PROJECT_ROOT } from '#web/build.ts';
import { drafts } from './fixtures.ts';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const leaf = (i: number) => sha(Uint8Array.of(0), new TextEncoder().encode(`leaf ${i}`));
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leaf(i));

/** RFC 9162 MTH written out as the RFC defines it: the reference the proofs are held to. */
function mth(d: readonly Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0]!;
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return sha(Uint8Array.of(1), mth(d.slice(0, k)), mth(d.slice(k)));
}

/** A proof as the platform assembles it: each range from its perfect subtrees. */
function proofOf(d: readonly Uint8Array[], ranges: readonly LeafRange[]): Uint8Array[] {
  return ranges.map((r) =>
    rangeHash(perfectSubtrees(r).map((s) => mth(d.slice(s.start, s.start + 2 ** s.level)))),
  );
}

/** Every single-byte change of a proof: each byte of each hash, to each of the 255 other values. */
function* singleByteChanges(proof: readonly Uint8Array[]): Generator<Uint8Array[]> {
  for (let h = 0; h < proof.length; h++) {
    for (let b = 0; b < 32; b++) {
      for (let v = 1; v < 256; v++) {
        const changed = proof.map((x) => Uint8Array.from(x));
        const bytes = changed[h]!;
        bytes[b] = bytes[b]! ^ v;
        yield changed;
      }
    }
  }
}

describe('RFC 9162 proofs', () => {
  it('give, for every leaf and every pair of sizes up to 40, proofs that verify against MTH', () => {
    const all = leaves(40);
    for (let n = 1; n <= 40; n++) {
      const d = all.slice(0, n);
      const root = mth(d);
      for (let m = 0; m < n; m++) {
        const proof = proofOf(d, inclusionProofRanges(m, n));
        expect(verifyInclusionProof(m, n, d[m]!, proof, root)).toBe(true);
        expect(verifyInclusionProof(m, n, d[(m + 1) % n]!, proof, root)).toBe(n === 1);
      }
      for (let m = 1; m <= n; m++) {
        const proof = proofOf(d, consistencyProofRanges(m, n));
        expect(verifyConsistencyProof(m, n, mth(d.slice(0, m)), root, proof)).toBe(true);
        if (m < n) expect(verifyConsistencyProof(m, n, mth(all.slice(1, m + 1)), root, proof)).toBe(false);
      }
    }
  });

  it('agree with the compact range of the chain (MerkleFrontier) at random sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(), fc.nat(), (n, a, b) => {
        const d = leaves(n);
        const frontier = new MerkleFrontier();
        for (const l of d) frontier.append(l);
        const root = new Uint8Array(frontier.root());
        const m = a % n;
        expect(verifyInclusionProof(m, n, d[m]!, proofOf(d, inclusionProofRanges(m, n)), root)).toBe(true);
        const from = 1 + (b % n);
        const older = new MerkleFrontier();
        for (const l of d.slice(0, from)) older.append(l);
        const proof = proofOf(d, consistencyProofRanges(from, n));
        expect(verifyConsistencyProof(from, n, new Uint8Array(older.root()), root, proof)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('refuse every single-byte change of an inclusion proof, and a wrong index, size, leaf or length', () => {
    const d = leaves(1000);
    const root = mth(d);
    const proof = proofOf(d, inclusionProofRanges(617, 1000));
    expect(proof).toHaveLength(10);
    expect(verifyInclusionProof(617, 1000, d[617]!, proof, root)).toBe(true);
    let tried = 0;
    for (const changed of singleByteChanges(proof)) {
      tried++;
      if (verifyInclusionProof(617, 1000, d[617]!, changed, root))
        throw new Error('a changed proof verified');
    }
    expect(tried).toBe(10 * 32 * 255);
    // (The tree size is bound by the signed checkpoint, not by the proof: the same hashes
    // may fit a neighbouring size with the same root. verifyEntryInclusion checks it.)
    for (const [m, n] of [
      [616, 1000],
      [618, 1000],
      [1000, 1000],
      [-1, 1000],
    ] as const)
      expect(verifyInclusionProof(m, n, d[617]!, proof, root)).toBe(false);
    expect(verifyInclusionProof(617, 1000, d[618]!, proof, root)).toBe(false);
    expect(verifyInclusionProof(617, 1000, d[617]!, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusionProof(617, 1000, d[617]!, [...proof, proof[0]!], root)).toBe(false);
    expect(
      verifyInclusionProof(617, 1000, d[617]!, [...proof.slice(0, 3), proof[3]!.slice(0, 31)], root),
    ).toBe(false);
  }, 60_000);

  it('refuse every single-byte change of a consistency proof, and wrong sizes, roots or length', () => {
    const d = leaves(1000);
    for (const from of [300, 512, 999]) {
      const proof = proofOf(d, consistencyProofRanges(from, 1000));
      const fromRoot = mth(d.slice(0, from));
      const toRoot = mth(d);
      expect(verifyConsistencyProof(from, 1000, fromRoot, toRoot, proof)).toBe(true);
      for (const changed of singleByteChanges(proof)) {
        if (verifyConsistencyProof(from, 1000, fromRoot, toRoot, changed))
          throw new Error(`a changed proof from ${from} verified`);
      }
      expect(verifyConsistencyProof(from - 1, 1000, fromRoot, toRoot, proof)).toBe(false);
      expect(verifyConsistencyProof(from, 1000, toRoot, toRoot, proof)).toBe(false);
      expect(verifyConsistencyProof(from, 1000, fromRoot, fromRoot, proof)).toBe(false);
      expect(verifyConsistencyProof(from, 1000, fromRoot, toRoot, proof.slice(1))).toBe(false);
      expect(verifyConsistencyProof(from, 1000, fromRoot, toRoot, [...proof, proof[0]!])).toBe(false);
    }
    // Equal sizes: an empty proof and equal roots; the empty proof proves nothing else.
    expect(verifyConsistencyProof(7, 7, mth(d.slice(0, 7)), mth(d.slice(0, 7)), [])).toBe(true);
    expect(verifyConsistencyProof(7, 7, mth(d.slice(0, 7)), mth(d.slice(1, 8)), [])).toBe(false);
    expect(verifyConsistencyProof(7, 8, mth(d.slice(0, 7)), mth(d.slice(0, 8)), [])).toBe(false);
    expect(verifyConsistencyProof(0, 8, sha(), mth(d.slice(0, 8)), [])).toBe(false);
  }, 60_000);

  it('refuse ranges that no proof consists of', () => {
    expect(() => perfectSubtrees({ start: 3, end: 7 })).toThrow(/aligned/);
    expect(() => inclusionProofRanges(5, 5)).toThrow(RangeError);
    expect(() => consistencyProofRanges(0, 5)).toThrow(RangeError);
    expect(perfectSubtrees({ start: 8, end: 13 })).toEqual([
      { start: 8, level: 2 },
      { start: 12, level: 0 },
    ]);
  });
});

// ------------------------------------------------------------ what a DPO checks

const ORIGIN = 'rex.example/audit';
const signer = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 3));
const other = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 4));
const log = sequenceDrafts(null, drafts(300));
const hashesOf = (n: number) =>
  log.entries.slice(0, n).map((e) => new Uint8Array(Buffer.from(e.hash, 'hex')));
const hex = (proof: Uint8Array[]) => proof.map((p) => Buffer.from(p).toString('hex'));

async function checkpointAt(n: number, by = signer) {
  const head = sequenceDrafts(null, drafts(n)).head;
  expect(headRoot(head).toString('hex')).toBe(Buffer.from(mth(hashesOf(n))).toString('hex'));
  return signCheckpoint(checkpointOfHead(ORIGIN, head, '2026-11-03T00:00:00.000Z'), by);
}

const inclusion = (sequence: number, n: number) =>
  hex(proofOf(hashesOf(n), inclusionProofRanges(sequence - 1, n)));
const consistency = (from: number, to: number) =>
  hex(proofOf(hashesOf(to), consistencyProofRanges(from, to)));

/** Every single-character change of hex proof hashes, to another hex digit or a non-hex character. */
function* hexChanges(hashes: readonly string[]): Generator<string[]> {
  for (let h = 0; h < hashes.length; h++) {
    for (let c = 0; c < 64; c++) {
      for (const digit of '0123456789abcdefX') {
        if (digit === hashes[h]![c]) continue;
        const changed = [...hashes];
        changed[h] = changed[h]!.slice(0, c) + digit + changed[h]!.slice(c + 1);
        yield changed;
      }
    }
  }
}

describe('verifyEntryInclusion and verifyCheckpointConsistency', () => {
  it('accept an entry with its proof against the signed checkpoint, and refuse any change', async () => {
    const note = await checkpointAt(300);
    const entry = log.entries[122]!;
    const input = {
      entry,
      treeSize: 300,
      hashes: inclusion(123, 300),
      checkpoint: note,
      verifierKey: signer.verifierKey(),
    };
    expect(await verifyEntryInclusion(input)).toMatchObject({ ok: true, checkpoint: { treeSize: 300 } });
    for (const hashes of hexChanges(input.hashes)) {
      const result = await verifyEntryInclusion({ ...input, hashes });
      if (result.ok) throw new Error('a changed proof verified');
    }
    expect(await verifyEntryInclusion({ ...input, verifierKey: other.verifierKey() })).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await verifyEntryInclusion({ ...input, entry: log.entries[123]! })).toMatchObject({
      reason: 'bad-proof',
    });
    expect(await verifyEntryInclusion({ ...input, entry: { ...entry, purpose: 'other' } })).toMatchObject({
      reason: 'bad-proof',
      detail: 'the entry hash does not match its content',
    });
    expect(await verifyEntryInclusion({ ...input, entry: { ...entry, purpose: 'Free text' } })).toMatchObject(
      {
        reason: 'malformed',
      },
    );
    expect(await verifyEntryInclusion({ ...input, treeSize: 299 })).toMatchObject({ reason: 'bad-proof' });
    expect(await verifyEntryInclusion({ ...input, origin: 'another/log' })).toMatchObject({
      reason: 'bad-signature',
    });
    // The last entry of the checkpoint: its proof and the head line.
    const last = { ...input, entry: log.entries[299]!, hashes: inclusion(300, 300) };
    expect(await verifyEntryInclusion(last)).toMatchObject({ ok: true });
  }, 60_000);

  it('accept an older checkpoint as a prefix of a newer one, and refuse any change or a forked history', async () => {
    const older = await checkpointAt(77);
    const newer = await checkpointAt(300);
    const input = { from: older, to: newer, hashes: consistency(77, 300), verifierKey: signer.verifierKey() };
    expect(await verifyCheckpointConsistency(input)).toMatchObject({
      ok: true,
      from: { treeSize: 77 },
      checkpoint: { treeSize: 300 },
    });
    for (const hashes of hexChanges(input.hashes)) {
      if ((await verifyCheckpointConsistency({ ...input, hashes })).ok)
        throw new Error('a changed proof verified');
    }
    // A re-signed history: the same size 77, other entries.
    const forkedDrafts = drafts(77).map((d, i) => (i === 5 ? { ...d, purpose: 'other' } : d));
    const forked = await signCheckpoint(
      checkpointOfHead(ORIGIN, sequenceDrafts(null, forkedDrafts).head, '2026-11-03T00:00:00.000Z'),
      signer,
    );
    expect(await verifyCheckpointConsistency({ ...input, from: forked })).toMatchObject({
      reason: 'bad-proof',
    });
    expect(
      await verifyCheckpointConsistency({ ...input, from: forked, to: older, hashes: [] }),
    ).toMatchObject({
      reason: 'checkpoint-mismatch',
    });
    expect(
      await verifyCheckpointConsistency({
        from: older,
        to: older,
        hashes: [],
        verifierKey: signer.verifierKey(),
      }),
    ).toMatchObject({ ok: true });
    expect(
      await verifyCheckpointConsistency({ ...input, from: await checkpointAt(77, other) }),
    ).toMatchObject({ reason: 'bad-signature' });
  }, 60_000);
});

describe('the proof verifier in a browser bundle', () => {
  let dir = '';
  let web: typeof import('#shared/domain/audit/proofs.ts') &
    Pick<typeof import('#shared/domain/audit/cosignature.ts'), 'checkWitnesses'>;
  beforeAll(async () => {
    const result = await build({
      ...bundleOptions,
      stdin: {
        contents:
          "export * from './shared/domain/audit/proofs.ts'; export { checkWitnesses } from './shared/domain/audit/cosignature.ts';",
        resolveDir: PROJECT_ROOT,
        loader: 'ts',
        sourcefile: 'proofs-under-test.ts',
      },
      write: false,
    });
    const text = result.outputFiles[0]!.text;
    expect(text).not.toMatch(/node:crypto|require\("crypto"\)/);
    dir = mkdtempSync(join(tmpdir(), 'rex-proofs-'));
    const file = join(dir, 'proofs.mjs');
    writeFileSync(file, text);
    web = await import(pathToFileURL(file).href);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies with WebCrypto what the node verifier verifies, and refuses the same changes', async () => {
    const note = await checkpointAt(300);
    const input = {
      entry: log.entries[40]!,
      treeSize: 300,
      hashes: inclusion(41, 300),
      checkpoint: note,
      verifierKey: signer.verifierKey(),
    };
    expect(await web.verifyEntryInclusion(input)).toMatchObject({ ok: true });
    const changed = [...input.hashes];
    changed[2] = `${changed[2]!.slice(0, 10)}${changed[2]![10] === '0' ? '1' : '0'}${changed[2]!.slice(11)}`;
    expect(await web.verifyEntryInclusion({ ...input, hashes: changed })).toMatchObject({
      reason: 'bad-proof',
    });
    const older = await checkpointAt(100);
    expect(
      await web.verifyCheckpointConsistency({
        from: older,
        to: note,
        hashes: consistency(100, 300),
        verifierKey: signer.verifierKey(),
      }),
    ).toMatchObject({ ok: true });
    const witness = WitnessKey.generate('witness.example/w1');
    const cosigned = witness.cosign(note, 1_795_000_000);
    expect(await web.checkWitnesses([note, cosigned], [witness.verifierKey()], 1)).toMatchObject({
      ok: true,
      witnessedTreeSize: 300,
    });
    expect(await web.checkWitnesses([note], [witness.verifierKey()], 1)).toMatchObject({ ok: false });
  });
});
