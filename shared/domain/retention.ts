import * as z from 'zod';

/**
 * How long the platform keeps what it keeps (docs/data-model.md, retention). Transfer
 * logs in German law are deleted at the end of the year after they were written (§ 76
 * BDSG as the model); the default retention of audit entries follows that rule, and the
 * consent evidence is kept as long as the log entries of the transfers it justified.
 * Items carry the instant as epoch seconds in their TTL attribute `expiresAt`; DynamoDB
 * deletes them some time after it. Pure: the instants are computed here, the writers
 * put them on the items.
 */
export interface RetentionPolicy {
  /** Years after the year of the event; 1 = end of the following year. */
  readonly auditYearsAfter: number;
  /** Idempotency records answer retries for this long. */
  readonly idempotencyHours: number;
  /** A referral's metadata (ids, status, history, erasure) is kept this long after its lifecycle ended. */
  readonly referralDaysAfterEnd: number;
  /** An outbox item not delivered in this time is removed (delivered ones are removed at once). */
  readonly outboxDays: number;
  /** An office's state (keys, counter) is removed this long after the office left the directory. */
  readonly officeStateDaysAfterRemoval: number;
}

/** The defaults, in one place; every setting of `deployment.retention` overrides one. */
export const defaultRetention: RetentionPolicy = {
  auditYearsAfter: 1,
  idempotencyHours: 24,
  referralDaysAfterEnd: 90,
  outboxDays: 30,
  officeStateDaysAfterRemoval: 30,
};

/**
 * The directory's `deployment.retention` (docs/directory.md): every member optional,
 * absent ones take the default. `auditYears` is the older `deployment.auditRetentionYears`
 * under its new name; either may be given (the same value if both).
 */
export const RetentionSettingsSchema = z.strictObject({
  /** Years after an event's year that its audit entry (and the consent evidence) is kept. */
  auditYears: z.int().min(1).max(30).optional(),
  /** Hours an idempotency record answers a retried creating request. */
  idempotencyHours: z.int().min(1).max(720).optional(),
  /** Days a referral's metadata is kept after it ended (closed, declined, revoked, expired). */
  referralDaysAfterEnd: z.int().min(1).max(3650).optional(),
  /** Days after which an undelivered outbox item is removed. */
  outboxDays: z.int().min(1).max(365).optional(),
  /** Days an office's state is kept after the office left the directory. */
  officeStateDaysAfterRemoval: z.int().min(1).max(3650).optional(),
});
export type RetentionSettings = z.infer<typeof RetentionSettingsSchema>;

/** The retention of a deployment: its settings over the defaults. */
export function retentionOf(deployment: {
  readonly auditRetentionYears?: number | undefined;
  readonly retention?: RetentionSettings | undefined;
}): RetentionPolicy {
  const s = deployment.retention ?? {};
  return {
    auditYearsAfter: s.auditYears ?? deployment.auditRetentionYears ?? defaultRetention.auditYearsAfter,
    idempotencyHours: s.idempotencyHours ?? defaultRetention.idempotencyHours,
    referralDaysAfterEnd: s.referralDaysAfterEnd ?? defaultRetention.referralDaysAfterEnd,
    outboxDays: s.outboxDays ?? defaultRetention.outboxDays,
    officeStateDaysAfterRemoval:
      s.officeStateDaysAfterRemoval ?? defaultRetention.officeStateDaysAfterRemoval,
  };
}

/**
 * The deployment's retention as the functions see it: `REX_AUDIT_RETENTION_YEARS` (whole
 * years after the year of the event, 1–30; default 1 = end of the following year) and
 * `REX_RETENTION` (the directory's `deployment.retention` as JSON). The stack and the
 * local platform set both from the directory's deployment settings when given.
 */
export function retentionFromEnvironment(env: NodeJS.ProcessEnv = process.env): RetentionPolicy {
  const raw = env.REX_AUDIT_RETENTION_YEARS;
  let auditRetentionYears: number | undefined;
  if (raw !== undefined && raw !== '') {
    const years = Number(raw);
    if (!Number.isInteger(years) || years < 1 || years > 30) {
      throw new Error('REX_AUDIT_RETENTION_YEARS must be a whole number of years from 1 to 30.');
    }
    auditRetentionYears = years;
  }
  let retention: RetentionSettings | undefined;
  const json = env.REX_RETENTION;
  if (json !== undefined && json !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error('REX_RETENTION must be the JSON of deployment.retention.');
    }
    const result = RetentionSettingsSchema.safeParse(parsed);
    if (!result.success) throw new Error('REX_RETENTION must be the JSON of deployment.retention.');
    retention = result.data;
  }
  return retentionOf({ auditRetentionYears, retention });
}

const DAY_S = 86_400;
const seconds = (time: Date) => Math.floor(time.getTime() / 1000);

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

export function idempotencyExpiry(time: Date, policy: RetentionPolicy = retentionFromEnvironment()): number {
  return seconds(time) + policy.idempotencyHours * 3600;
}

/**
 * The expiry of a consent's evidence: it justified transfers until it ended (withdrawn,
 * or its validity over, whichever came first), and it is kept as long as the log entries
 * of those transfers — the end of the year `auditYearsAfter` years after the year of its
 * end. The end is counted one day later, so that a transfer in the last moments of a year,
 * sequenced into the next year's retention epoch, stays covered. A consent still in force
 * (neither withdrawn nor limited) has no expiry: it may still justify transfers.
 */
export function consentExpiry(
  consent: { readonly withdrawnAt?: string | undefined; readonly validUntil?: string | undefined },
  policy: RetentionPolicy = retentionFromEnvironment(),
): number | undefined {
  const ends = [consent.withdrawnAt, consent.validUntil]
    .filter((t): t is string => t !== undefined)
    .map((t) => Date.parse(t));
  if (ends.length === 0) return undefined;
  const end = Math.min(...ends);
  return endOfYearAfter(new Date(end + DAY_S * 1000), policy.auditYearsAfter);
}

/**
 * The expiry of a referral's metadata after a change: `referralDaysAfterEnd` after the
 * change that left it ended — no longer open, no deadline pending (the ciphertext's
 * deletion, a reminder of an unconfirmed erasure) — and none while it is open or
 * something is still due, so that nothing the lifecycle still needs is deleted.
 */
export function referralExpiry(
  referral: { readonly open: boolean; readonly erasurePending: boolean; readonly updatedAt: string },
  hasDeadline: boolean,
  policy: RetentionPolicy = retentionFromEnvironment(),
): number | undefined {
  if (referral.open || referral.erasurePending || hasDeadline) return undefined;
  return seconds(new Date(referral.updatedAt)) + policy.referralDaysAfterEnd * DAY_S;
}

/** The expiry of an outbox item written at `createdAt` (it is deleted at once when delivered). */
export function outboxExpiry(
  createdAt: string,
  policy: RetentionPolicy = retentionFromEnvironment(),
): number {
  return seconds(new Date(createdAt)) + policy.outboxDays * DAY_S;
}

/** The expiry of the state of an office that left the directory, found gone at `now`. */
export function officeStateExpiry(now: Date, policy: RetentionPolicy = retentionFromEnvironment()): number {
  return seconds(now) + policy.officeStateDaysAfterRemoval * DAY_S;
}

/** Whether an item whose TTL attribute says `expiresAt` counts as gone at `now` (TTL deletion lags). */
export function isExpired(expiresAt: number | undefined, now: Date): boolean {
  return expiresAt !== undefined && expiresAt <= seconds(now);
}
