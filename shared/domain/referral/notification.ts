import { type DeadlinePolicy, defaultDeadlines } from './deadlines.ts';
import type { ReferralRecord } from './referral.ts';

/**
 * The e-mail an office's contact address gets so that nobody has to watch the inbox page
 * (docs/notifications.md): when a referral arrives in its queue, each time an unread
 * one is announced again (days 3 and 9), and when the office is asked to erase a referral
 * it received (a withdrawal after receipt, an erasure request) and reminded of it. It
 * says that something waits and where — never
 * who: the referral id is the only fact of the referral in it (no name, no case
 * reference, no municipality, no data category). Offices only; the authority has its
 * events.
 */
export type OfficeNotificationKind = 'new-referral' | 'reminder' | 'erasure-request';

export interface OfficeNotification {
  readonly kind: OfficeNotificationKind;
  readonly schemaVersion: 1;
  /** Unique and stable: the referral and its version after the change (`notificationIdOf`). */
  readonly notificationId: string;
  readonly referralId: string;
  readonly serviceOfficeId: string;
  /** When the change happened that calls for the mail. */
  readonly at: string;
  /** A reminder: which announcement again (1, 2, …); an erasure request: which reminder (absent at first). */
  readonly reminder?: number;
  /** A reminder: when the unread referral expires. */
  readonly expiresAt?: string;
}

/** The notification id of a referral's change: deterministic, so a retried send can be recognised. */
export function notificationIdOf(referralId: string, version: number): string {
  return `ntf_${referralId.slice('ref_'.length)}_${version}`;
}

export const NOTIFICATION_ID_PATTERN = /^ntf_[0-9a-z]{26}_[1-9][0-9]{0,9}$/;

const DAY_MS = 86_400_000;

function base(next: ReferralRecord, at: string) {
  return {
    schemaVersion: 1 as const,
    notificationId: notificationIdOf(next.referralId, next.version),
    referralId: next.referralId,
    serviceOfficeId: next.serviceOfficeId,
    at,
  };
}

/** The referral is in the office's queue (accepted → queued): a new referral waits. */
export function arrivalNotification(next: ReferralRecord, at: string): OfficeNotification {
  return { kind: 'new-referral', ...base(next, at) };
}

/** The unread referral was announced again: a reminder, with the day it expires unread. */
export function reminderNotification(
  next: ReferralRecord,
  at: Date,
  policy: DeadlinePolicy = defaultDeadlines,
): OfficeNotification {
  return {
    kind: 'reminder',
    ...base(next, at.toISOString()),
    reminder: next.reAnnouncements,
    expiresAt: new Date(Date.parse(next.createdAt) + policy.expireDays * DAY_MS).toISOString(),
  };
}

/**
 * The office is asked to erase a referral it received, or reminded of it (`reminders` > 0):
 * it erases its copies and confirms on the page or with `rex` (docs/consent.md, "Erasure
 * after receipt").
 */
export function erasureNotification(next: ReferralRecord, at: Date, reminders: number): OfficeNotification {
  return {
    kind: 'erasure-request',
    ...base(next, at.toISOString()),
    ...(reminders > 0 ? { reminder: reminders } : {}),
  };
}
