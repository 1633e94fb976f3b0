import {
  type Actor,
  type AuditEntryDraft,
  type AuditEvent,
  actorFields,
  auditDraft,
} from '#shared/domain/audit/entry.ts';

/** What every audit entry about a referral states, taken from the referral itself. */
export interface ReferralFacts {
  readonly referralId: string;
  readonly subjectId: string;
  readonly authorityId: string;
  readonly serviceOfficeId: string;
  readonly dataCategories: readonly string[];
  readonly consentId: string;
  readonly purpose: string;
}

/** The audit entry draft of an event in a referral's life (no personal data: ids and codes). */
export function referralAuditDraft(
  event: AuditEvent,
  by: Actor,
  r: ReferralFacts,
  at: Date,
  reason?: string,
): AuditEntryDraft {
  return auditDraft({
    event,
    ...actorFields(by),
    time: at,
    subjectId: r.subjectId,
    authorityId: r.authorityId,
    serviceOfficeId: r.serviceOfficeId,
    dataCategories: r.dataCategories,
    consentId: r.consentId,
    purpose: r.purpose,
    referralId: r.referralId,
    reason: reason ?? null,
  });
}
