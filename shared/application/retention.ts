import type { Clock } from '#shared/domain/clock.ts';
import { officeStateExpiry, type RetentionPolicy } from '#shared/domain/retention.ts';

/**
 * What DynamoDB's TTL cannot decide alone: an office's state (its published keys, retired
 * ones included, and its open-referral counter) has no end of its own — it ends when the
 * office leaves the directory. The scheduled retention job compares the stored office
 * states with the directory: a state of an office that is gone gets its `expiresAt`
 * (`officeStateDaysAfterRemoval` from the first run that found it gone; TTL deletes it),
 * one of an office that is (again) in the directory loses it.
 */
export interface OfficeStateRetention {
  /** The ids of every stored office state. */
  officeIds(): Promise<string[]>;
  /** Sets `expiresAt` unless it is set already (the first run that found the office gone counts). */
  expire(officeId: string, expiresAt: number): Promise<void>;
  /** Removes `expiresAt`; true if there was one. */
  keep(officeId: string): Promise<boolean>;
}

export interface RetentionDependencies {
  readonly offices: OfficeStateRetention;
  /** The ids of the offices in the deployment's directory. */
  readonly directoryOfficeIds: ReadonlySet<string>;
  readonly clock: Clock;
  readonly retention: RetentionPolicy;
}

export interface RetentionRun {
  /** Office states of offices gone from the directory, marked to expire (or marked before). */
  readonly officeStatesExpiring: number;
  /** Office states whose office came back, no longer expiring. */
  readonly officeStatesKept: number;
}

export async function runRetention(deps: RetentionDependencies): Promise<RetentionRun> {
  const expiresAt = officeStateExpiry(deps.clock.now(), deps.retention);
  let officeStatesExpiring = 0;
  let officeStatesKept = 0;
  for (const officeId of await deps.offices.officeIds()) {
    if (deps.directoryOfficeIds.has(officeId)) {
      if (await deps.offices.keep(officeId)) officeStatesKept++;
    } else {
      await deps.offices.expire(officeId, expiresAt);
      officeStatesExpiring++;
    }
  }
  return { officeStatesExpiring, officeStatesKept };
}
