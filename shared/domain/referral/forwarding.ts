import { coverage } from '#shared/domain/consent/coverage.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentStatus } from '#shared/domain/consent/status.ts';
import type { DataCategory } from '#shared/domain/data-categories.ts';
import type { Directory, ServiceOffice } from '#shared/domain/directory/index.ts';
import { officeById } from '#shared/domain/directory/index.ts';
import { Conflict, type FieldIssue, UnprocessableContent } from '#shared/domain/errors.ts';
import type { ReferralPerson } from '#shared/schemas/referral.ts';
import { purposeFor, uncoveredFields } from './referral.ts';

/**
 * Forwarding a declined referral to another office (`forwardTo`): the checks intake makes,
 * made again for the new recipient. The declining office chooses the recipient (it knows
 * why it is not responsible), so the routing rules' order does not apply; what still
 * applies is that the recipient serves the person's municipality and that the consent
 * covers it: its type or provider, the purpose of its type, every data category sent.
 */
export interface ForwardingFacts {
  /** The referral being declined. */
  readonly referral: {
    readonly serviceOfficeId: string;
    readonly subjectId: string;
  };
  readonly forwardTo: string;
  /** The pseudonym computed from the re-submitted person. */
  readonly subjectId: string;
  readonly person: ReferralPerson;
  readonly note: string | undefined;
  readonly dataCategories: readonly DataCategory[];
  readonly consent: ConsentRecord | undefined;
  /** Whether the recipient has published a current encryption key. */
  readonly recipientHasKey: boolean;
  readonly now: Date;
}

export interface ForwardingRefusal {
  readonly status: 409 | 422;
  readonly reason: string;
  readonly detail: string;
  readonly errors?: readonly FieldIssue[];
  /** The recipient, when it is a known office (for the audit entry). */
  readonly serviceOfficeId?: string;
}

export type ForwardingDecision =
  | { readonly ok: true; readonly office: ServiceOffice; readonly consent: ConsentRecord }
  | { readonly ok: false; readonly refusal: ForwardingRefusal };

const refused = (refusal: ForwardingRefusal): ForwardingDecision => ({ ok: false, refusal });

/** The first rule a forwarding breaks, in a fixed order, or the office and consent it rests on. */
export function checkForwarding(facts: ForwardingFacts, directory: Directory): ForwardingDecision {
  const office = officeById(directory, facts.forwardTo);
  if (!office) {
    return refused({
      status: 422,
      reason: 'unknown-office',
      detail: 'There is no service office with this id in the directory.',
      errors: [{ field: 'forwardTo', reason: 'no service office with this id' }],
    });
  }
  const serviceOfficeId = office.id;
  if (office.id === facts.referral.serviceOfficeId) {
    return refused({
      status: 422,
      reason: 'forward-to-self',
      detail: 'A referral cannot be forwarded to the office that declines it.',
      errors: [{ field: 'forwardTo', reason: 'is the declining office itself' }],
      serviceOfficeId,
    });
  }
  if (facts.subjectId !== facts.referral.subjectId) {
    return refused({
      status: 422,
      reason: 'subject-mismatch',
      detail: 'The re-submitted person is not the person of this referral.',
      errors: [{ field: 'person', reason: 'belongs to another person than the one referred' }],
      serviceOfficeId,
    });
  }
  const consent = facts.consent;
  if (!consent) {
    return refused({
      status: 422,
      reason: 'consent-not-found',
      detail: 'The consent of this referral no longer exists.',
      serviceOfficeId,
    });
  }
  const status = consentStatus(consent, facts.now);
  if (status === 'withdrawn') {
    return refused({
      status: 409,
      reason: 'consent-withdrawn',
      detail: 'The consent has been withdrawn.',
      serviceOfficeId,
    });
  }
  if (status === 'expired') {
    return refused({
      status: 422,
      reason: 'consent-expired',
      detail: 'The consent has expired.',
      serviceOfficeId,
    });
  }
  const uncovered = uncoveredFields(facts.person, facts.note, consent.dataCategories);
  if (uncovered.length > 0) {
    return refused({
      status: 422,
      reason: 'data-categories-not-covered',
      detail: 'The re-submitted data carries categories the consent does not cover; remove those fields.',
      errors: uncovered,
      serviceOfficeId,
    });
  }
  if (!office.municipalities.includes(facts.person.address.municipality)) {
    return refused({
      status: 422,
      reason: 'recipient-not-covering-municipality',
      detail: `The service office ${office.id} does not serve the person's municipality of residence.`,
      errors: [{ field: 'forwardTo', reason: "does not cover the person's municipality" }],
      serviceOfficeId,
    });
  }
  const covered = coverage(
    consent,
    {
      subjectId: facts.subjectId,
      serviceType: office.type,
      providerId: office.providerId,
      purpose: purposeFor(office.type),
      dataCategories: facts.dataCategories,
    },
    facts.now,
  );
  if (!covered.ok) {
    return refused({
      status: 422,
      reason: covered.reasons[0]!,
      detail: `The consent does not cover a transfer to ${office.id} (${covered.reasons.join(', ')}).`,
      serviceOfficeId,
    });
  }
  if (!facts.recipientHasKey) {
    return refused({
      status: 409,
      reason: 'recipient-key-missing',
      detail: `The service office ${office.id} has not published an encryption key yet; it cannot receive referrals.`,
      serviceOfficeId,
    });
  }
  return { ok: true, office, consent };
}

/** A refused forwarding as a problem: the reason code is the problem type and a member. */
export function forwardingError(refusal: ForwardingRefusal): Error {
  return refusal.status === 409
    ? new ForwardingConflict(refusal.reason, refusal.detail)
    : new ForwardingUnprocessable(refusal.reason, refusal.detail, refusal.errors ?? []);
}

export class ForwardingUnprocessable extends UnprocessableContent {
  override readonly code: string;
  constructor(reason: string, detail: string, issues: readonly FieldIssue[]) {
    super(detail, issues, { reason });
    this.code = reason;
  }
}

export class ForwardingConflict extends Conflict {
  override readonly code: string;
  constructor(reason: string, detail: string, details: Record<string, unknown> = {}) {
    super(detail, { reason, ...details });
    this.code = reason;
  }
}
