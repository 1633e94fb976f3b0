import { describe, expect, it } from 'vitest';
import { epochOfTime, nextEpochBatch } from '#shared/domain/audit/epochs.ts';
import { draft } from './fixtures.ts';

const at = (i: number, time: string) => draft(i, { time });

describe('retention epochs', () => {
  it('are the UTC year of the entry time', () => {
    expect(epochOfTime('2026-12-31T23:59:59.999Z')).toBe(2026);
    expect(epochOfTime('2027-01-01T00:00:00.000Z')).toBe(2027);
    expect(() => epochOfTime('not a time')).toThrow(RangeError);
  });

  it('cut a batch at the new year and say that the later part opens an epoch', () => {
    const ordered = [
      at(1, '2026-12-31T23:59:58.000Z'),
      at(2, '2026-12-31T23:59:59.000Z'),
      at(3, '2027-01-01T00:00:00.000Z'),
      at(4, '2028-01-01T00:00:00.000Z'),
    ];
    const first = nextEpochBatch(2026, ordered);
    expect(first).toMatchObject({ epoch: 2026, opensEpoch: false });
    expect(first.drafts.map((d) => d.entryId)).toEqual(['e-000001', 'e-000002']);
    const second = nextEpochBatch(2026, ordered.slice(2));
    expect(second).toMatchObject({ epoch: 2027, opensEpoch: true });
    expect(second.drafts).toHaveLength(1);
    expect(nextEpochBatch(2027, ordered.slice(3))).toMatchObject({ epoch: 2028, opensEpoch: true });
  });

  it('never decrease: a late entry of last year joins the epoch of the head', () => {
    const late = [at(1, '2026-12-31T23:59:59.900Z'), at(2, '2027-01-01T00:00:02.000Z')];
    const batch = nextEpochBatch(2027, late);
    expect(batch).toMatchObject({ epoch: 2027, opensEpoch: false });
    expect(batch.drafts).toHaveLength(2);
  });

  it('open an epoch after a head without one (an empty log, or a head written before epochs)', () => {
    expect(nextEpochBatch(undefined, [at(1, '2026-05-01T00:00:00.000Z')])).toMatchObject({
      epoch: 2026,
      opensEpoch: true,
    });
    expect(nextEpochBatch(2026, [])).toEqual({ epoch: 2026, drafts: [], opensEpoch: false });
  });
});
