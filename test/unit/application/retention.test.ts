/**
 * The retention job (shared/application/retention.ts) with an injected clock and an
 * in-memory office state store: states of offices gone from the directory get their
 * expiry once, from the run that first found them gone; returning offices lose it;
 * the others are left alone.
 */
import { describe, expect, it } from 'vitest';
import { type OfficeStateRetention, runRetention } from '#shared/application/retention.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { defaultRetention } from '#shared/domain/retention.ts';

class MemoryOfficeStates implements OfficeStateRetention {
  readonly expiry = new Map<string, number | undefined>();
  constructor(ids: readonly string[]) {
    for (const id of ids) this.expiry.set(id, undefined);
  }
  async officeIds() {
    return [...this.expiry.keys()];
  }
  async expire(officeId: string, expiresAt: number) {
    if (this.expiry.has(officeId) && this.expiry.get(officeId) === undefined)
      this.expiry.set(officeId, expiresAt);
  }
  async keep(officeId: string) {
    const had = this.expiry.get(officeId) !== undefined;
    this.expiry.set(officeId, undefined);
    return had;
  }
}

const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('the retention job', () => {
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
      officeStatesExpiring: 1,
      officeStatesKept: 0,
    });
    expect(offices.expiry.get('mbe-gone')).toBe(seconds('2026-05-20T03:00:00Z'));
    expect(offices.expiry.get('mbe-a')).toBeUndefined();
    expect(offices.expiry.get('jmd-b')).toBeUndefined();

    // A day later: the first run's expiry counts.
    clock.advance(86_400_000);
    await runRetention(deps(['mbe-a', 'jmd-b']));
    expect(offices.expiry.get('mbe-gone')).toBe(seconds('2026-05-20T03:00:00Z'));

    // Back in the directory: kept again.
    expect(await runRetention(deps(['mbe-a', 'jmd-b', 'mbe-gone']))).toEqual({
      officeStatesExpiring: 0,
      officeStatesKept: 1,
    });
    expect([...offices.expiry.values()]).toEqual([undefined, undefined, undefined]);
  });
});
