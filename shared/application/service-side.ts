import { type ReferralRecord, type ReferralStore, StaleReferral } from '#shared/adapters/referral-store.ts';
import type { AuditEvent } from '#shared/domain/audit/entry.ts';
import { Gone, InvalidRequest, NotFound } from '#shared/domain/errors.ts';
import { referralAuditDraft } from '#shared/domain/referral/audit.ts';
import { defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import { assertTransition, NOT_RECEIVED } from '#shared/domain/referral/lifecycle.ts';
import { formatPrincipal, type Principal } from '#shared/identity/principal.ts';
import type { ReferralStatus, ReferralView, ReportStatusRequest } from '#shared/schemas/referral.ts';
import { type DeliveryDependencies, revokeOne } from './delivery.ts';
import { declineAndForward, type ForwardingDependencies } from './forwarding.ts';
import { referralView } from './referrals.ts';

export interface ServiceSideDependencies extends Omit<ForwardingDependencies, 'store'> {
  readonly store: Pick<ReferralStore, 'get' | 'transition' | 'consentWithdrawn'> &
    ForwardingDependencies['store'];
  readonly delivery: Pick<DeliveryDependencies, 'store' | 'clock' | 'queueNameFor'>;
}

type Office = Principal & { kind: 'service' };

/** The office's own referral and whether its consent is withdrawn; others' referrals are 404. */
async function ownReferral(deps: ServiceSideDependencies, office: Office, referralId: string) {
  const referral = await deps.store.get(referralId);
  if (!referral || referral.serviceOfficeId !== office.id) throw new NotFound('referral');
  const consentWithdrawn = await deps.store.consentWithdrawn(referral.consentId);
  return { referral, consentWithdrawn };
}

function draftFor(
  deps: ServiceSideDependencies,
  event: AuditEvent,
  actor: string,
  r: ReferralRecord,
  reason?: string,
) {
  return referralAuditDraft(event, actor, r, deps.clock, reason);
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
export async function acknowledgeReceipt(
  deps: ServiceSideDependencies,
  office: Office,
  referralId: string,
): Promise<ReferralView> {
  const actor = formatPrincipal(office);
  for (let attempt = 0; attempt < 5; attempt++) {
    const { referral, consentWithdrawn } = await ownReferral(deps, office, referralId);
    if (referral.status === 'revoked' || referral.status === 'expired')
      throw new ReferralGone(referral.status);
    if (!NOT_RECEIVED.includes(referral.status)) return referralView(deps.directory, referral);
    try {
      if (consentWithdrawn) {
        await revokeOne(deps.delivery, referral, actor);
        throw new ReferralGone('revoked');
      }
      const now = deps.clock.now();
      const receivedAt = now.toISOString();
      await deps.store.transition({
        from: referral,
        to: 'received',
        history: { status: 'received', at: receivedAt, by: actor },
        due: nextDeadline(
          { ...referral, status: 'received', receivedAt, hasCiphertext: referral.ciphertext !== undefined },
          deps.deadlines ?? defaultDeadlines,
        ),
        set: { receivedAt },
        releaseOpenGuard: false,
        draft: draftFor(deps, 'referral.received', actor, referral),
      });
      const updated = await deps.store.get(referralId);
      return referralView(deps.directory, updated!);
    } catch (error) {
      if (!(error instanceof StaleReferral)) throw error;
    }
  }
  throw new StaleReferral();
}

export type StatusReport = ReportStatusRequest;

const EVENT_OF: Record<StatusReport['status'], AuditEvent> = {
  contacted: 'referral.contacted',
  closed: 'referral.closed',
  declined: 'referral.declined',
};

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
  const actor = formatPrincipal(office);
  const reason = 'reason' in report ? report.reason : undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const { referral } = await ownReferral(deps, office, referralId);
    if (referral.status === report.status) return referralView(deps.directory, referral);
    assertTransition(referral.status, report.status);
    const now = deps.clock.now();
    const terminal = report.status !== 'contacted';
    try {
      await deps.store.transition({
        from: referral,
        to: report.status,
        history: {
          status: report.status,
          at: now.toISOString(),
          by: actor,
          ...(reason !== undefined ? { reason } : {}),
        },
        due: nextDeadline(
          { ...referral, status: report.status, hasCiphertext: referral.ciphertext !== undefined },
          deps.deadlines ?? defaultDeadlines,
        ),
        releaseOpenGuard: terminal,
        draft: draftFor(deps, EVENT_OF[report.status], actor, referral, reason),
      });
      return referralView(deps.directory, (await deps.store.get(referralId))!);
    } catch (error) {
      if (!(error instanceof StaleReferral)) throw error;
    }
  }
  throw new StaleReferral();
}
