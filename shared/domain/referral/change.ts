import {
  type Actor,
  type AuditEntryDraft,
  type AuditEvent,
  principalOf,
} from '#shared/domain/audit/entry.ts';
import { referralAuditDraft } from './audit.ts';
import { type Deadline, type DeadlinePolicy, defaultDeadlines, nextDeadline } from './deadlines.ts';
import { erasureReminder } from './erasure.ts';
import { type AuthorityEvent, reminderEvent, statusEvent } from './events.ts';
import { assertTransition, isOpen, type ReferralStatus } from './lifecycle.ts';
import { arrivalNotification, type OfficeNotification, reminderNotification } from './notification.ts';
import type { HistoryEntry, ReferralRecord } from './referral.ts';

/**
 * Everything that follows from one change of a referral, computed by the domain and
 * written by the repository in one transaction: the referral as it becomes, the history
 * entry, the next deadline, whether the subject's open-referral guard (and the office's
 * counter) is released, the message for the office's queue, and the audit entry.
 */
export interface ReferralChange {
  /** The referral as read: the write is conditional on its status and version. */
  readonly from: ReferralRecord;
  /** The referral as it becomes (history appended, version incremented). */
  readonly to: ReferralRecord;
  /** The history entry appended; absent for changes that are not status changes. */
  readonly history?: HistoryEntry;
  /** The next deadline of the referral as it becomes (drives the deadline index). */
  readonly due: Deadline | undefined;
  /** The referral stops being open: the subject's guard and the office's counter are released. */
  readonly releasesOpenReferral: boolean;
  /** A message the outbox relay sends to the office's queue (e.g. `revoke`). */
  readonly outbox?: string;
  /** The event the outbox relay sends to the authority's queue (events.ts). */
  readonly authorityEvent?: AuthorityEvent;
  /** The e-mail to the office's contact address (notification.ts): on arrival and on each reminder. */
  readonly officeNotification?: OfficeNotification;
  readonly audit: AuditEntryDraft;
}

/** A new referral (intake or forwarding), with its first deadline and audit entry. */
export interface ReferralCreation {
  readonly referral: ReferralRecord;
  readonly due: Deadline | undefined;
  /** A referral made by forwarding is an event for the authority; the intake's is not. */
  readonly authorityEvent?: AuthorityEvent;
  readonly audit: AuditEntryDraft;
}

const EVENT_OF: Readonly<Record<ReferralStatus, AuditEvent>> = {
  accepted: 'referral.accepted',
  queued: 'referral.queued',
  received: 'referral.received',
  contacted: 'referral.contacted',
  closed: 'referral.closed',
  declined: 'referral.declined',
  revoked: 'referral.revoked',
  expired: 'referral.expired',
};

/** The reason a status records when nobody gives one. */
const DEFAULT_REASON: Partial<Record<ReferralStatus, string>> = {
  revoked: 'consent-withdrawn',
  expired: 'not-received-in-time',
};

const dueOf = (r: ReferralRecord, policy: DeadlinePolicy) =>
  nextDeadline({ ...r, hasCiphertext: r.ciphertext !== undefined }, policy);

function withoutCiphertext(r: ReferralRecord): ReferralRecord {
  const { ciphertext: _dropped, ...rest } = r;
  return rest;
}

export interface TransitionOptions {
  /** A reason code (a decline's reason); revoked and expired have their own by default. */
  readonly reason?: string | undefined;
  /** A decline that forwards: the new referral and its office. */
  readonly forwardedTo?: { readonly referralId: string; readonly serviceOfficeId: string };
  readonly deadlines?: DeadlinePolicy | undefined;
}

/**
 * The one way a referral's status changes: checked against the lifecycle table
 * (TransitionRefused otherwise), and returned with all that follows from it.
 */
export function transition(
  r: ReferralRecord,
  to: ReferralStatus,
  by: Actor,
  at: Date,
  options: TransitionOptions = {},
): ReferralChange {
  assertTransition(r.status, to);
  const iso = at.toISOString();
  const reason = options.reason ?? DEFAULT_REASON[to];
  const history: HistoryEntry = {
    status: to,
    at: iso,
    by: principalOf(by),
    ...(reason !== undefined ? { reason } : {}),
    ...(options.forwardedTo ? { forwardedTo: options.forwardedTo.referralId } : {}),
  };
  let next: ReferralRecord = {
    ...r,
    status: to,
    version: r.version + 1,
    updatedAt: iso,
    history: [...r.history, history],
  };
  if (to === 'received') next = { ...next, receivedAt: iso };
  // A revoked referral's ciphertext goes at once: the consent it rested on is gone.
  if (to === 'revoked') next = withoutCiphertext(next);
  if (options.forwardedTo) {
    next = {
      ...next,
      forwardedTo: options.forwardedTo.referralId,
      forwardedToOfficeId: options.forwardedTo.serviceOfficeId,
    };
  }
  const event = statusEvent(next, history);
  return {
    from: r,
    to: next,
    history,
    due: dueOf(next, options.deadlines ?? defaultDeadlines),
    releasesOpenReferral: isOpen(r.status) && !isOpen(to),
    // The office's client drops a notification it holds for a referral that ended unread.
    ...(to === 'revoked' || to === 'expired' ? { outbox: 'revoke' } : {}),
    ...(event ? { authorityEvent: event } : {}),
    // In the office's queue now: its contact address hears that a referral waits.
    ...(to === 'queued' ? { officeNotification: arrivalNotification(next, iso) } : {}),
    audit: referralAuditDraft(EVENT_OF[to], by, r, at, reason),
  };
}

/** A new referral, accepted: by intake, or by forwarding (`forwarded`). */
export function createReferral(
  fields: Omit<
    ReferralRecord,
    'status' | 'history' | 'reAnnouncements' | 'version' | 'createdAt' | 'updatedAt'
  >,
  by: Actor,
  at: Date,
  options: { readonly forwarded?: boolean; readonly deadlines?: DeadlinePolicy | undefined } = {},
): ReferralCreation {
  const createdAt = at.toISOString();
  const reason = options.forwarded ? 'forwarded' : undefined;
  const referral: ReferralRecord = {
    ...fields,
    status: 'accepted',
    createdAt,
    updatedAt: createdAt,
    history: [{ status: 'accepted', at: createdAt, by: principalOf(by), ...(reason ? { reason } : {}) }],
    reAnnouncements: 0,
    version: 1,
  };
  const event = statusEvent(referral, referral.history[0]!);
  return {
    referral,
    due: dueOf(referral, options.deadlines ?? defaultDeadlines),
    ...(event ? { authorityEvent: event } : {}),
    audit: referralAuditDraft(
      options.forwarded ? 'referral.forwarded' : 'referral.accepted',
      by,
      referral,
      at,
      reason,
    ),
  };
}

/**
 * What a passed deadline does to a referral: announce it again, expire it, or delete its
 * ciphertext. Re-announcing and deleting are not status changes (no history entry).
 */
export function deadlineChange(
  r: ReferralRecord,
  due: Deadline,
  by: Actor,
  at: Date,
  policy: DeadlinePolicy = defaultDeadlines,
): ReferralChange {
  switch (due.kind) {
    case 'expire':
      return transition(r, 'expired', by, at, { deadlines: policy });
    case 're-announce': {
      const reAnnouncements = r.reAnnouncements + 1;
      const next = { ...r, reAnnouncements, version: r.version + 1, updatedAt: at.toISOString() };
      return {
        from: r,
        to: next,
        due: dueOf(next, policy),
        releasesOpenReferral: false,
        outbox: `re-announce-${reAnnouncements}`,
        authorityEvent: reminderEvent(next, at),
        officeNotification: reminderNotification(next, at, policy),
        audit: referralAuditDraft('referral.re-announced', by, r, at, `re-announcement-${reAnnouncements}`),
      };
    }
    case 'erasure-reminder':
      return erasureReminder(r, by, at, policy);
    case 'delete-ciphertext': {
      const next = withoutCiphertext({ ...r, version: r.version + 1, updatedAt: at.toISOString() });
      return {
        from: r,
        to: next,
        due: undefined,
        releasesOpenReferral: false,
        audit: referralAuditDraft('referral.ciphertext-deleted', by, r, at, 'deadline'),
      };
    }
  }
}

/** The deadline of a referral that has passed at `now`, if any. */
export function passedDeadline(
  r: ReferralRecord,
  now: Date,
  policy: DeadlinePolicy = defaultDeadlines,
): Deadline | undefined {
  const due = dueOf(r, policy);
  return due && due.at.getTime() <= now.getTime() ? due : undefined;
}
