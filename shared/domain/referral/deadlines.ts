import type { ReferralStatus } from './lifecycle.ts';

/**
 * Deadlines of a referral, after FIT-Connect: an unreceived notification is announced
 * again on days 3 and 9, the referral expires on day 14 and its ciphertext is deleted on
 * day 21; a received referral's ciphertext is deleted 7 days after receipt. A revoked
 * referral's ciphertext is deleted at revocation (the consent is gone).
 */
export interface DeadlinePolicy {
  readonly reAnnounceDays: readonly number[];
  readonly expireDays: number;
  readonly deleteCiphertextDays: number;
  readonly deleteAfterReceiptDays: number;
  /** Days after an erasure request on which it is reminded while unconfirmed (default 3, 7, 14). */
  readonly erasureReminderDays?: readonly number[];
  /** After the last of those, reminded every so many days until confirmed (default 14). */
  readonly erasureRepeatDays?: number;
}

export const defaultDeadlines: DeadlinePolicy = {
  reAnnounceDays: [3, 9],
  expireDays: 14,
  deleteCiphertextDays: 21,
  deleteAfterReceiptDays: 7,
};

export type DeadlineKind = 're-announce' | 'expire' | 'delete-ciphertext' | 'erasure-reminder';

export interface Deadline {
  readonly kind: DeadlineKind;
  readonly at: Date;
  /** For re-announcements and erasure reminders: which one (1, 2, …). */
  readonly step?: number;
}

export interface DeadlineFacts {
  readonly status: ReferralStatus;
  readonly createdAt: string;
  readonly receivedAt?: string | undefined;
  readonly reAnnouncements: number;
  readonly hasCiphertext: boolean;
  /** An erasure asked of the office (erasure.ts): reminded until confirmed. */
  readonly erasure?:
    | { readonly requestedAt: string; readonly reminders: number; readonly confirmedAt?: string }
    | undefined;
}

const DAY_MS = 86_400_000;
const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * DAY_MS);

/** Days after the request on which an unconfirmed erasure is reminded; then every `erasureRepeatDays`. */
export const DEFAULT_ERASURE_REMINDER_DAYS: readonly number[] = [3, 7, 14];
export const DEFAULT_ERASURE_REPEAT_DAYS = 14;

/** When the next reminder of an unconfirmed erasure request is due. */
export function erasureReminderAt(
  erasure: { readonly requestedAt: string; readonly reminders: number },
  policy: Pick<DeadlinePolicy, 'erasureReminderDays' | 'erasureRepeatDays'> = defaultDeadlines,
): Date {
  const days = policy.erasureReminderDays ?? DEFAULT_ERASURE_REMINDER_DAYS;
  const repeat = policy.erasureRepeatDays ?? DEFAULT_ERASURE_REPEAT_DAYS;
  const listed = days[erasure.reminders];
  const last = days.at(-1) ?? 0;
  const day = listed ?? last + repeat * (erasure.reminders - days.length + 1);
  return plusDays(erasure.requestedAt, day);
}

/** The next thing that is due for a referral, or undefined when nothing ever will be. */
export function nextDeadline(
  r: DeadlineFacts,
  policy: DeadlinePolicy = defaultDeadlines,
): Deadline | undefined {
  if (r.status === 'accepted' || r.status === 'queued') {
    const step = r.reAnnouncements + 1;
    const day = policy.reAnnounceDays[r.reAnnouncements];
    if (day !== undefined && day < policy.expireDays)
      return { kind: 're-announce', at: plusDays(r.createdAt, day), step };
    return { kind: 'expire', at: plusDays(r.createdAt, policy.expireDays) };
  }
  // An erasure asked of the office (the ciphertext went with the request): remind until confirmed.
  if (r.erasure && r.erasure.confirmedAt === undefined) {
    return {
      kind: 'erasure-reminder',
      at: erasureReminderAt(r.erasure, policy),
      step: r.erasure.reminders + 1,
    };
  }
  if (!r.hasCiphertext) return undefined;
  if (r.status === 'expired')
    return { kind: 'delete-ciphertext', at: plusDays(r.createdAt, policy.deleteCiphertextDays) };
  if (r.receivedAt)
    return { kind: 'delete-ciphertext', at: plusDays(r.receivedAt, policy.deleteAfterReceiptDays) };
  return undefined;
}

/** The index bucket of a due instant: one partition per UTC day. */
export function dueBucket(at: Date): string {
  return at.toISOString().slice(0, 10);
}
