/**
 * How long the platform keeps what it keeps. Transfer logs in German law are deleted at
 * the end of the year after they were written (§ 76 BDSG as the model); the default
 * retention of audit entries follows that rule. Items carry the instant as epoch
 * seconds in their TTL attribute; DynamoDB deletes them some time after it.
 */
export interface RetentionPolicy {
  /** Years after the year of the event; 1 = end of the following year. */
  readonly auditYearsAfter: number;
  /** Idempotency records answer retries for this long. */
  readonly idempotencyHours: number;
}

export const defaultRetention: RetentionPolicy = { auditYearsAfter: 1, idempotencyHours: 24 };

/** The last instant of the year `yearsAfter` years after `time`'s year (UTC), in epoch seconds. */
export function endOfYearAfter(time: Date, yearsAfter: number): number {
  return Math.floor(Date.UTC(time.getUTCFullYear() + yearsAfter + 1, 0, 1) / 1000) - 1;
}

export function auditExpiry(time: Date, policy: RetentionPolicy = defaultRetention): number {
  return endOfYearAfter(time, policy.auditYearsAfter);
}

export function idempotencyExpiry(time: Date, policy: RetentionPolicy = defaultRetention): number {
  return Math.floor(time.getTime() / 1000) + policy.idempotencyHours * 3600;
}

/** Whether an item whose TTL attribute says `expiresAt` counts as gone at `now` (TTL deletion lags). */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt <= Math.floor(now.getTime() / 1000);
}
