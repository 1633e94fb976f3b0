/**
 * The retention run (shared/application/retention.ts) with an injected clock and an
 * in-memory office state store: the state of an office gone from the directory is
 * marked once, from the run that first found it gone; a returning office's is unmarked;
 * the others are left alone (no write at all).
 */
import { describe, expect, it } from 'vitest';
import { type OfficeStateRetention, runRetention } from '#shared/application/retention.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { defaultRetention } from '#shared/domain/retention.ts';

class MemoryOfficeStates implements OfficeStateRetention {
  readonly expiry = new Map<string, number | undefined>();
  writes = 0;
  constructor(ids: readonly string[]) {
    for (const id of ids) this.expiry.set(id, undefined);
  }
  async list() {
    return [...this.expiry].map(([officeId, at]) => ({ officeId, expiring: at !== undefined }));
  }
  async expire(officeId: string, expiresAt: number) {
    this.writes++;
    this.expiry.set(officeId, expiresAt);
  }
  async keep(officeId: string) {
    this.writes++;
    this.expiry.set(officeId, undefined);
  }
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('the retention run', () => {
  it('marks the state of a removed office once, and unmarks it when the office returns', async () => {
    const offices = new MemoryOfficeStates(['mbe-a', 'mbe-gone', 'jmd-b']);
    const clock = new FixedClock('2026-05-10T03:00:00Z');
    const deps = (ids: string[]) => ({
      offices,
      directoryOfficeIds: new Set(ids),
      clock,
      retention: { ...defaultRetention, officeStateDaysAfterRemoval: 10 },
    });

    expect(await runRetention(deps(['mbe-a', 'jmd-b']))).toEqual({
      officeStatesMarked: 1,
      officeStatesKept: 0,
    });
    expect(offices.expiry.get('mbe-gone')).toBe(seconds('2026-05-20T03:00:00Z'));
    expect(offices.expiry.get('mbe-a')).toBeUndefined();
    expect(offices.expiry.get('jmd-b')).toBeUndefined();
    expect(offices.writes).toBe(1);

    // Later runs: the first run's expiry counts, nothing is written.
    clock.advance(86_400_000);
    expect(await runRetention(deps(['mbe-a', 'jmd-b']))).toEqual({
      officeStatesMarked: 0,
      officeStatesKept: 0,
    });
    expect(offices.expiry.get('mbe-gone')).toBe(seconds('2026-05-20T03:00:00Z'));
    expect(offices.writes).toBe(1);

    // Back in the directory: kept again.
    expect(await runRetention(deps(['mbe-a', 'jmd-b', 'mbe-gone']))).toEqual({
      officeStatesMarked: 0,
      officeStatesKept: 1,
    });
    expect([...offices.expiry.values()]).toEqual([undefined, undefined, undefined]);
  });
});
