import { describe, expect, it } from 'vitest';
import { sequenceDrafts } from '#shared/domain/audit/chain.ts';
import {
  checkpointOfHead,
  Ed25519Signer,
  signCheckpoint,
  verifyCheckpoint,
} from '#shared/domain/audit/checkpoint.ts';
import {
  cosignatureMessage,
  parseCosignerKey,
  verifyCosignatures,
} from '#shared/domain/audit/cosignature.ts';
import { consistencyProofRanges, perfectSubtrees, rangeHash } from '#shared/domain/audit/proofs.ts';
import { WitnessKey, witnessCheckpoint } from '#shared/domain/audit/witness.ts';
import { drafts } from './fixtures.ts';

const ORIGIN = 'rex.example/audit';
const log = Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 1));
const w1 = WitnessKey.generate('lfd.example/witness');
const w2 = WitnessKey.generate('district-b.example/witness');
const TIME = 1_795_000_000;

async function checkpoint(n: number, changed?: number) {
  const list = drafts(n).map((d, i) => (i === changed ? { ...d, purpose: 'other' } : d));
  const { head, entries } = sequenceDrafts(null, list);
  return {
    note: await signCheckpoint(checkpointOfHead(ORIGIN, head, '2026-11-03T00:00:00.000Z'), log),
    entries,
  };
}

function consistency(entries: readonly { hash: string }[], from: number, to: number): string[] {
  const leaves = entries.map((e) => new Uint8Array(Buffer.from(e.hash, 'hex')));
  const mth = (start: number, level: number): Uint8Array => {
    if (level === 0) return leaves[start]!;
    const half = 2 ** (level - 1);
    return rangeHash([mth(start, level - 1), mth(start + half, level - 1)]);
  };
  return consistencyProofRanges(from, to).map((r) =>
    Buffer.from(rangeHash(perfectSubtrees(r).map((s) => mth(s.start, s.level)))).toString('hex'),
  );
}

describe('witness cosignatures (C2SP tlog-cosignature)', () => {
  it('sign the cosignature/v1 message; the log key still verifies the note; changes are refused', async () => {
    const { note } = await checkpoint(9);
    const cosigned = w2.cosign(w1.cosign(note, TIME), TIME + 5);
    expect(verifyCheckpoint(cosigned, log.verifierKey())).toMatchObject({ ok: true });
    expect(await verifyCosignatures(cosigned, [w1.verifierKey(), w2.verifierKey()])).toEqual({
      ok: true,
      witnesses: ['lfd.example/witness', 'district-b.example/witness'],
      timestamps: { 'lfd.example/witness': TIME, 'district-b.example/witness': TIME + 5 },
    });
    expect(await verifyCosignatures(note, [w1.verifierKey()])).toMatchObject({ ok: true, witnesses: [] });
    expect(new TextDecoder().decode(cosignatureMessage('a\n', 7))).toBe('cosignature/v1\ntime 7\na\n');

    // Every single-byte change of the witness's signature bytes (time or signature) is refused.
    const line = cosigned.split('\n').find((l) => l.includes('lfd.example/witness'))!;
    const bytes = Buffer.from(line.split(' ')[2]!, 'base64');
    for (let i = 4; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const changed = Buffer.from(bytes);
        changed[i] = changed[i]! ^ flip;
        const forged = cosigned.replace(
          line,
          `${line.split(' ').slice(0, 2).join(' ')} ${changed.toString('base64')}`,
        );
        const result = await verifyCosignatures(forged, [w1.verifierKey()]);
        if (result.ok) throw new Error(`a changed cosignature verified (byte ${i})`);
      }
    }
    // Another checkpoint text under the same cosignature line.
    const other = (await checkpoint(10)).note;
    expect(await verifyCosignatures(other + line.slice(0) + '\n', [w1.verifierKey()])).toMatchObject({
      ok: false,
    });
  });

  it('parse only cosigner keys whose id matches', () => {
    const key = w1.verifierKey();
    expect(parseCosignerKey(key)?.name).toBe('lfd.example/witness');
    expect(parseCosignerKey(key.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toBeUndefined();
    expect(parseCosignerKey(log.verifierKey())).toBeUndefined();
  });

  it('cosign only a checkpoint that extends the one cosigned before', async () => {
    const first = await checkpoint(10);
    const later = await checkpoint(25);
    const start = await witnessCheckpoint({
      note: first.note,
      logKeys: [log.verifierKey()],
      witness: w1,
      timestamp: TIME,
    });
    expect(start).toMatchObject({ ok: true, treeSize: 10 });
    const next = await witnessCheckpoint({
      note: later.note,
      logKeys: [log.verifierKey()],
      previous: first.note,
      proof: consistency(later.entries, 10, 25),
      witness: w1,
      timestamp: TIME + 60,
    });
    expect(next).toMatchObject({ ok: true, treeSize: 25 });

    const forked = await checkpoint(25, 3);
    expect(
      await witnessCheckpoint({
        note: forked.note,
        logKeys: [log.verifierKey()],
        previous: first.note,
        proof: consistency(forked.entries, 10, 25),
        witness: w1,
        timestamp: TIME + 60,
      }),
    ).toMatchObject({ ok: false });
    expect(
      await witnessCheckpoint({
        note: first.note,
        logKeys: [log.verifierKey()],
        previous: later.note,
        witness: w1,
        timestamp: TIME,
      }),
    ).toMatchObject({ ok: false, detail: 'the log is smaller than the checkpoint cosigned before' });
    const foreign = await signCheckpoint(
      checkpointOfHead(ORIGIN, sequenceDrafts(null, drafts(3)).head, '2026-11-03T00:00:00.000Z'),
      Ed25519Signer.fromSeed(ORIGIN, Buffer.alloc(32, 2)),
    );
    expect(
      await witnessCheckpoint({ note: foreign, logKeys: [log.verifierKey()], witness: w1, timestamp: TIME }),
    ).toMatchObject({ ok: false });
  });
});
