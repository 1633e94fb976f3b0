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

/**
 * The deployment's retention: `REX_AUDIT_RETENTION_YEARS` (whole years after the year
 * of the event, 1–30; default 1 = end of the following year). The stack and the local
 * platform set it from the directory's deployment settings when given.
 */
export function retentionFromEnvironment(env: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const raw = env.REX_AUDIT_RETENTION_YEARS;
  if (raw === undefined || raw === '') return defaultRetention;
  const years = Number(raw);
  if (!Number.isInteger(years) || years < 1 || years > 30) {
    throw new Error('REX_AUDIT_RETENTION_YEARS must be a whole number of years from 1 to 30.');
  }
  return { ...defaultRetention, auditYearsAfter: years };
}

/** The last instant of the year `yearsAfter` years after `time`'s year (UTC), in epoch seconds. */
export function endOfYearAfter(time: Date, yearsAfter: number): number {
  return Math.floor(Date.UTC(time.getUTCFullYear() + yearsAfter + 1, 0, 1) / 1000) - 1;
}

export function auditExpiry(time: Date, policy: RetentionPolicy = retentionFromEnvironment()): number {
  return endOfYearAfter(time, policy.auditYearsAfter);
}

/**
 * The expiry of the entries of a retention epoch (docs/audit-format.md §8): the end of
 * the year `auditYearsAfter` years after the epoch's year, and never before the expiry
 * of the epoch before it (`previous`), so that a shorter retention configured later
 * cannot delete a later epoch before an earlier one.
 */
export function auditEpochExpiry(
  epoch: number,
  policy: RetentionPolicy = retentionFromEnvironment(),
  previous?: number,
): number {
  const own = endOfYearAfter(new Date(Date.UTC(epoch, 0, 1)), policy.auditYearsAfter);
  return previous === undefined ? own : Math.max(previous, own);
}

export function idempotencyExpiry(time: Date, policy: RetentionPolicy = defaultRetention): number {
  return Math.floor(time.getTime() / 1000) + policy.idempotencyHours * 3600;
}

/** Whether an item whose TTL attribute says `expiresAt` counts as gone at `now` (TTL deletion lags). */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt <= Math.floor(now.getTime() / 1000);
}
