import type { ReferralStatus } from './lifecycle.ts';
import type { HistoryEntry, ReferralRecord } from './referral.ts';

/**
 * The events an authority receives on its own queue (docs/referrals.md, "The closed
 * loop"): one per status change of a referral it sent, and a reminder each time an
 * unread referral is announced to its office again. Ids, codes and times only — never
 * personal data, never the case reference. The intake's own `accepted` is no event: the
 * authority has the 202 answer; a referral made by forwarding is (`referral.forwarded`).
 */
export const AUTHORITY_EVENT_TYPES = [
  'referral.forwarded',
  'referral.queued',
  'referral.received',
  'referral.contacted',
  'referral.closed',
  'referral.declined',
  'referral.revoked',
  'referral.expired',
  'referral.unread-reminder',
] as const;
export type AuthorityEventType = (typeof AUTHORITY_EVENT_TYPES)[number];

export interface AuthorityEvent {
  readonly type: AuthorityEventType;
  readonly schemaVersion: 1;
  /** Unique and stable: the referral and its version after the change (`eventIdOf`). */
  readonly eventId: string;
  readonly referralId: string;
  readonly authorityId: string;
  readonly serviceOfficeId: string;
  /** The referral's status after the event. */
  readonly status: ReferralStatus;
  /** When it happened (the history entry's time, or the reminder's). */
  readonly at: string;
  /** The reason code of the history entry, if any (e.g. a decline's). */
  readonly reason?: string;
  /** A decline that forwarded: the new referral. */
  readonly forwardedTo?: string;
  /** A referral made by forwarding: the declined one it replaces. */
  readonly forwardedFrom?: string;
  /** A reminder: which announcement again (1, 2, …). */
  readonly reminder?: number;
}

/** The event id of a referral's change: deterministic, so a retried send is deduplicated. */
export function eventIdOf(referralId: string, version: number): string {
  return `evt_${referralId.slice('ref_'.length)}_${version}`;
}

export const EVENT_ID_PATTERN = /^evt_[0-9a-z]{26}_[1-9][0-9]{0,9}$/;

const TYPE_OF_STATUS: Readonly<Record<ReferralStatus, AuthorityEventType | undefined>> = {
  accepted: undefined,
  queued: 'referral.queued',
  received: 'referral.received',
  contacted: 'referral.contacted',
  closed: 'referral.closed',
  declined: 'referral.declined',
  revoked: 'referral.revoked',
  expired: 'referral.expired',
};

function base(r: ReferralRecord, at: string) {
  return {
    schemaVersion: 1 as const,
    eventId: eventIdOf(r.referralId, r.version),
    referralId: r.referralId,
    authorityId: r.authorityId,
    serviceOfficeId: r.serviceOfficeId,
    status: r.status,
    at,
  };
}

/**
 * The event of a status change, given the referral as it becomes and the history entry
 * appended; undefined for the intake's `accepted` (no event).
 */
export function statusEvent(next: ReferralRecord, entry: HistoryEntry): AuthorityEvent | undefined {
  const forwarded = entry.status === 'accepted' && next.forwardedFrom !== undefined;
  const type = forwarded ? 'referral.forwarded' : TYPE_OF_STATUS[entry.status];
  if (!type) return undefined;
  return {
    type,
    ...base(next, entry.at),
    ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    ...(entry.forwardedTo !== undefined ? { forwardedTo: entry.forwardedTo } : {}),
    ...(forwarded ? { forwardedFrom: next.forwardedFrom } : {}),
  };
}

/** The reminder that an unread referral was announced to its office again. */
export function reminderEvent(next: ReferralRecord, at: Date): AuthorityEvent {
  return {
    type: 'referral.unread-reminder',
    ...base(next, at.toISOString()),
    reminder: next.reAnnouncements,
  };
}
