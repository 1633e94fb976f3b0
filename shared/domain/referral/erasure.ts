/**
 * Erasure after receipt (GDPR Arts. 17, 19). When a person withdraws consent after an
 * office received their referral, or an authority or a data-protection officer records
 * the person's erasure request, every office that received the data under that consent
 * is asked to erase it and confirms that it did. The request lives on the referral the
 * office received (one recipient, one referral; a forwarded referral is a referral of its
 * own), so it travels through the same transaction, outbox, deadline index and feed as
 * every other change of the referral. Pure: no I/O.
 */
import type { Actor } from '#shared/domain/audit/entry.ts';
import { principalOf } from '#shared/domain/audit/entry.ts';
import { Conflict } from '#shared/domain/errors.ts';
import { referralAuditDraft } from './audit.ts';
import type { ReferralChange } from './change.ts';
import { type DeadlinePolicy, defaultDeadlines, nextDeadline } from './deadlines.ts';
import { erasureNotification } from './notification.ts';

export {
  DEFAULT_ERASURE_REMINDER_DAYS,
  DEFAULT_ERASURE_REPEAT_DAYS,
  erasureReminderAt,
} from './deadlines.ts';

import type { ReferralRecord } from './referral.ts';

/** Why erasure was requested: the consent was withdrawn, or the person asked for erasure. */
export const ERASURE_REASONS = ['consent-withdrawn', 'erasure-requested'] as const;
export type ErasureReason = (typeof ERASURE_REASONS)[number];

/** The erasure request addressed to the office holding a referral. Ids, codes and times only. */
export interface ErasureRequest {
  readonly requestedAt: string;
  /** The principal behind the request (`authority:<id>`, `dpo:<id>`, `service:<id>`, `system:<job>`). */
  readonly requestedBy: string;
  readonly reason: ErasureReason;
  /** How many reminders were sent since (0 at first). */
  readonly reminders: number;
  readonly confirmedAt?: string;
  readonly confirmedBy?: string;
}

/** Whether the office received the referral, i.e. ever held the person's data in clear. */
export function wasReceived(r: Pick<ReferralRecord, 'receivedAt'>): boolean {
  return r.receivedAt !== undefined;
}

/** Whether an erasure is asked of the office and not yet confirmed. */
export function erasurePending(r: Pick<ReferralRecord, 'erasure'>): boolean {
  return r.erasure !== undefined && r.erasure.confirmedAt === undefined;
}

function withoutCiphertext(r: ReferralRecord): ReferralRecord {
  const { ciphertext: _dropped, ...rest } = r;
  return rest;
}

const dueOf = (r: ReferralRecord, policy: DeadlinePolicy) =>
  nextDeadline({ ...r, hasCiphertext: r.ciphertext !== undefined }, policy);

/** The outbox event of the first request and of each reminder (a new message each time). */
export function erasureOutboxEvent(reminders: number): string {
  return reminders === 0 ? 'erasure-request' : `erasure-reminder-${reminders}`;
}

/**
 * Asks the office that received a referral to erase it: the request is stored on the
 * referral, the platform's ciphertext is deleted at once, a message goes to the office's
 * queue (outbox), a mail to its contact address (where the deployment sends mail) and the
 * authority's feed, and the audit log records to whom the erasure
 * was communicated (Art. 19). Undefined when there is nothing to ask: the office never
 * received it, or was asked already.
 */
export function requestErasure(
  r: ReferralRecord,
  by: Actor,
  at: Date,
  reason: ErasureReason,
  policy: DeadlinePolicy = defaultDeadlines,
): ReferralChange | undefined {
  if (!wasReceived(r) || r.erasure !== undefined) return undefined;
  const iso = at.toISOString();
  const next = withoutCiphertext({
    ...r,
    version: r.version + 1,
    updatedAt: iso,
    erasure: { requestedAt: iso, requestedBy: principalOf(by), reason, reminders: 0 },
  });
  return {
    from: r,
    to: next,
    due: dueOf(next, policy),
    releasesOpenReferral: false,
    outbox: erasureOutboxEvent(0),
    officeNotification: erasureNotification(next, at, 0),
    audit: referralAuditDraft('referral.erasure-requested', by, r, at, reason),
  };
}

/** A reminder of an unconfirmed erasure request: a new message to the office's queue. */
export function erasureReminder(
  r: ReferralRecord,
  by: Actor,
  at: Date,
  policy: DeadlinePolicy = defaultDeadlines,
): ReferralChange {
  if (!r.erasure || r.erasure.confirmedAt !== undefined) throw new NoErasureRequest();
  const reminders = r.erasure.reminders + 1;
  const next: ReferralRecord = {
    ...r,
    version: r.version + 1,
    updatedAt: at.toISOString(),
    erasure: { ...r.erasure, reminders },
  };
  return {
    from: r,
    to: next,
    due: dueOf(next, policy),
    releasesOpenReferral: false,
    outbox: erasureOutboxEvent(reminders),
    officeNotification: erasureNotification(next, at, reminders),
    audit: referralAuditDraft('referral.erasure-reminded', by, r, at, `erasure-reminder-${reminders}`),
  };
}

/** Confirming an erasure nobody asked for (409 `no-erasure-request`). */
export class NoErasureRequest extends Conflict {
  override readonly code = 'no-erasure-request';
  constructor() {
    super('No erasure was requested for this referral.');
  }
}

/**
 * The office confirms that it erased the referral's data: recorded once (a second
 * confirmation changes nothing: undefined), with its audit entry; reminders stop.
 */
export function confirmErasure(
  r: ReferralRecord,
  by: Actor,
  at: Date,
  policy: DeadlinePolicy = defaultDeadlines,
): ReferralChange | undefined {
  if (!r.erasure) throw new NoErasureRequest();
  if (r.erasure.confirmedAt !== undefined) return undefined;
  const iso = at.toISOString();
  const next: ReferralRecord = {
    ...r,
    version: r.version + 1,
    updatedAt: iso,
    erasure: { ...r.erasure, confirmedAt: iso, confirmedBy: principalOf(by) },
  };
  return {
    from: r,
    to: next,
    due: dueOf(next, policy),
    releasesOpenReferral: false,
    audit: referralAuditDraft('referral.erasure-confirmed', by, r, at, r.erasure.reason),
  };
}

/**
 * What a withdrawal or an erasure request does to one referral under the consent, by
 * how far it got: not yet received → revoke (the office never reads it); received → ask
 * the office to erase it; ended unread with its ciphertext still kept → delete it now.
 */
export type ErasureStep = 'revoke' | 'request-erasure' | 'delete-ciphertext' | 'none';

export function erasureStepOf(
  r: Pick<ReferralRecord, 'status' | 'receivedAt' | 'erasure' | 'ciphertext'>,
): ErasureStep {
  if (r.status === 'accepted' || r.status === 'queued') return 'revoke';
  if (wasReceived(r)) return r.erasure === undefined ? 'request-erasure' : 'none';
  return r.ciphertext !== undefined ? 'delete-ciphertext' : 'none';
}

/**
 * Deletes the ciphertext of a referral that ended unread (expired, declined before
 * receipt) at once, when its consent is withdrawn or erasure requested, instead of at its
 * deadline. Not a status change. Undefined when there is none left.
 */
export function ciphertextDeletion(
  r: ReferralRecord,
  by: Actor,
  at: Date,
  reason: ErasureReason,
  policy: DeadlinePolicy = defaultDeadlines,
): ReferralChange | undefined {
  if (r.ciphertext === undefined) return undefined;
  const next = withoutCiphertext({ ...r, version: r.version + 1, updatedAt: at.toISOString() });
  return {
    from: r,
    to: next,
    due: dueOf(next, policy),
    releasesOpenReferral: false,
    audit: referralAuditDraft('referral.ciphertext-deleted', by, r, at, reason),
  };
}
