import { Conflict, Gone, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { transition } from '#shared/domain/referral/change.ts';
import { NOT_RECEIVED, type ReferralStatus } from '#shared/domain/referral/lifecycle.ts';
import { actorOf, type Principal } from '#shared/identity/principal.ts';
import type { ReferralCiphertext, ReferralView, ReportStatusRequest } from '#shared/schemas/referral.ts';
import { declineAndForward, type ForwardingDependencies } from './forwarding.ts';
import { referralView } from './referrals.ts';
import { retryOnConflict } from './retry.ts';

export type ServiceSideDependencies = ForwardingDependencies;

type Office = Principal & { kind: 'service' };

/** The office's own referral and whether its consent is withdrawn; others' referrals are 404. */
async function ownReferral(deps: ServiceSideDependencies, office: Office, referralId: string) {
  const referral = await deps.referrals.get(referralId);
  if (!referral || referral.serviceOfficeId !== office.id) throw new NotFound('referral');
  return referral;
}

export class ReferralGone extends Gone {
  constructor(status: ReferralStatus) {
    super(`The referral was ${status}; discard the notification unread.`, { currentStatus: status });
  }
}

/**
 * Receipt before decryption: the office acknowledges a notification before it decrypts
 * it. A referral revoked or expired meanwhile answers 410 and the client discards the
 * message unread; a consent withdrawn but not yet processed revokes the referral here.
 * Recording the receipt completes the transfer (audit `referral.received`). Idempotent.
 */
export function acknowledgeReceipt(
  deps: ServiceSideDependencies,
  office: Office,
  referralId: string,
): Promise<ReferralView> {
  const actor = actorOf(office);
  return retryOnConflict(async () => {
    const referral = await ownReferral(deps, office, referralId);
    if (referral.status === 'revoked' || referral.status === 'expired')
      throw new ReferralGone(referral.status);
    if (!NOT_RECEIVED.includes(referral.status))
      return referralView(deps.directory, referral, deps.deadlines);
    const now = deps.clock.now();
    if (await deps.referrals.consentWithdrawn(referral.consentId)) {
      await deps.referrals.apply(transition(referral, 'revoked', actor, now, { deadlines: deps.deadlines }));
      throw new ReferralGone('revoked');
    }
    const change = transition(referral, 'received', actor, now, { deadlines: deps.deadlines });
    await deps.referrals.apply(change);
    return referralView(deps.directory, change.to, deps.deadlines);
  });
}

/**
 * The JWE of a received referral, for an office that reads its referrals without its
 * queue (the web page). Receipt first: before the receipt it is refused (409, reason
 * `not-received`), so the transfer is logged as completed before anything can be
 * decrypted. Revoked or expired: 410 as for the receipt; deleted after its deadline:
 * 410 with reason `ciphertext-deleted`. Reading it changes nothing.
 */
export async function referralCiphertext(
  deps: ServiceSideDependencies,
  office: Office,
  referralId: string,
): Promise<ReferralCiphertext> {
  const referral = await ownReferral(deps, office, referralId);
  if (referral.status === 'revoked' || referral.status === 'expired') throw new ReferralGone(referral.status);
  if (NOT_RECEIVED.includes(referral.status)) {
    throw new Conflict('Acknowledge the receipt first (POST /v1/referrals/{id}/receipt).', {
      reason: 'not-received',
      currentStatus: referral.status,
    });
  }
  if (referral.ciphertext === undefined || referral.kid === undefined) {
    throw new Gone('The encrypted data was deleted after its deadline.', {
      reason: 'ciphertext-deleted',
      currentStatus: referral.status,
    });
  }
  return { referralId: referral.referralId, kid: referral.kid, jwe: referral.ciphertext };
}

export type StatusReport = ReportStatusRequest;

/**
 * The office reports back: first contact made (the authority's feedback), closed, or
 * declined with a reason code — optionally forwarded to another office (forwarding.ts).
 * Transitions that make no sense are refused with 409 and the allowed next states.
 * Reporting the current status again changes nothing.
 */
export async function reportStatus(
  deps: ServiceSideDependencies,
  office: Office,
  referralId: string,
  report: StatusReport,
): Promise<ReferralView> {
  if (report.status === 'declined' && report.forwardTo !== undefined) {
    if (report.person === undefined) {
      throw new InvalidRequest([{ field: 'person', reason: 'is required with forwardTo' }]);
    }
    return declineAndForward(deps, office, referralId, {
      ...report,
      forwardTo: report.forwardTo,
      person: report.person,
    });
  }
  const actor = actorOf(office);
  const reason = 'reason' in report ? report.reason : undefined;
  return retryOnConflict(async () => {
    const referral = await ownReferral(deps, office, referralId);
    if (referral.status === report.status) return referralView(deps.directory, referral, deps.deadlines);
    const change = transition(referral, report.status, actor, deps.clock.now(), {
      reason,
      deadlines: deps.deadlines,
    });
    await deps.referrals.apply(change);
    return referralView(deps.directory, change.to, deps.deadlines);
  });
}
