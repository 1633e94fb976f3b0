import { Conflict } from '#shared/domain/errors.ts';
import type { ReferralStatus } from '#shared/schemas/referral.ts';

/**
 * The referral lifecycle (docs/referrals.md, Lifecycle): accepted → queued → received → contacted →
 * closed, with declined, revoked (consent withdrawn before receipt) and expired (not
 * received in time). `received` is reachable from `accepted` too: the relay may have
 * delivered the notification but not yet recorded it when the office acknowledges.
 */
export const TRANSITIONS: Readonly<Record<ReferralStatus, readonly ReferralStatus[]>> = {
  accepted: ['queued', 'received', 'revoked', 'expired'],
  queued: ['received', 'revoked', 'expired'],
  received: ['contacted', 'declined', 'closed'],
  contacted: ['closed', 'declined'],
  closed: [],
  declined: [],
  revoked: [],
  expired: [],
};

/** Statuses in which a referral still counts against the one-open-referral rule. */
export const OPEN_STATUSES: readonly ReferralStatus[] = ['accepted', 'queued', 'received', 'contacted'];
/** Statuses before receipt: what a consent withdrawal revokes. */
export const NOT_RECEIVED: readonly ReferralStatus[] = ['accepted', 'queued'];

export function isOpen(status: ReferralStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

export class TransitionRefused extends Conflict {
  override readonly code = 'transition-refused';
  constructor(from: ReferralStatus, to: ReferralStatus) {
    super(`A referral that is ${from} cannot become ${to}.`, {
      currentStatus: from,
      allowedNext: TRANSITIONS[from],
    });
  }
}

export function assertTransition(from: ReferralStatus, to: ReferralStatus): void {
  if (!TRANSITIONS[from].includes(to)) throw new TransitionRefused(from, to);
}
