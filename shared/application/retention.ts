import type { Clock } from '#shared/domain/clock.ts';
import { officeStateExpiry, type RetentionPolicy } from '#shared/domain/retention.ts';

/**
 * What DynamoDB's TTL cannot decide alone: an office's state (its published keys, retired
 * ones included, and its open-referral counter) has no end of its own — it ends when the
 * office leaves the directory. The retention run (part of the scheduled deadline job)
 * compares the stored office states with the directory: the state of an office that is
 * gone is marked to expire (`officeStateDaysAfterRemoval` after the run that found it
 * gone; TTL deletes it), one of an office that is in the directory again is unmarked.
 * Every other change of an office's state unmarks it too, so the period counts from the
 * office's removal and its state's last change, whichever is later.
 */
export interface OfficeStateRetention {
  /** Every stored office state, and whether it is marked to expire. */
  list(): Promise<{ readonly officeId: string; readonly expiring: boolean }[]>;
  /** Marks it to expire at `expiresAt` (nothing if it changed or went meanwhile). */
  expire(officeId: string, expiresAt: number): Promise<void>;
  /** Unmarks it. */
  keep(officeId: string): Promise<void>;
}

export interface RetentionDependencies {
  readonly offices: OfficeStateRetention;
  /** The ids of the offices in the deployment's directory. */
  readonly directoryOfficeIds: ReadonlySet<string>;
  readonly clock: Clock;
  readonly retention: RetentionPolicy;
}

export interface RetentionRun {
  /** Office states of offices gone from the directory, marked to expire in this run. */
  readonly officeStatesMarked: number;
  /** Office states whose office is in the directory again, unmarked in this run. */
  readonly officeStatesKept: number;
}

export async function runRetention(deps: RetentionDependencies): Promise<RetentionRun> {
  const expiresAt = officeStateExpiry(deps.clock.now(), deps.retention);
  let officeStatesMarked = 0;
  let officeStatesKept = 0;
  for (const { officeId, expiring } of await deps.offices.list()) {
    const listed = deps.directoryOfficeIds.has(officeId);
    if (listed && expiring) {
      await deps.offices.keep(officeId);
      officeStatesKept++;
    } else if (!listed && !expiring) {
      await deps.offices.expire(officeId, expiresAt);
      officeStatesMarked++;
    }
  }
  return { officeStatesMarked, officeStatesKept };
}
