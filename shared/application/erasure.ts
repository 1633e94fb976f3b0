/**
 * Erasure after receipt (GDPR Arts. 17, 19; docs/consent.md, "Erasure"): a withdrawal
 * after receipt or an erasure request recorded by an authority or a data-protection
 * officer reaches every office that received the person's data under the consent; each
 * confirms erasure; the authority and the DPO see who has and who has not. The rules are
 * in shared/domain/referral/erasure.ts; this orchestrates them over the referral port.
 */
import { type Actor, actorFields, auditDraft } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { Forbidden, NotFound } from '#shared/domain/errors.ts';
import { transition } from '#shared/domain/referral/change.ts';
import type { DeadlinePolicy } from '#shared/domain/referral/deadlines.ts';
import {
  ciphertextDeletion,
  confirmErasure,
  type ErasureReason,
  erasureStepOf,
  requestErasure,
  wasReceived,
} from '#shared/domain/referral/erasure.ts';
import type { ReferralRecord } from '#shared/domain/referral/referral.ts';
import { actorOf, type Principal, parsePrincipal } from '#shared/identity/principal.ts';
import type { ErasureStatus, ReferralView, RequestErasureRequest } from '#shared/schemas/referral.ts';
import type { ReferralRepository } from './referral-repository.ts';
import { erasureView, officeSummary, referralView } from './referrals.ts';
import { retryOnConflict } from './retry.ts';

export interface ErasureDependencies {
  readonly referrals: ReferralRepository;
  readonly clock: Clock;
  readonly deadlines?: DeadlinePolicy;
}

export interface ErasureOutcome {
  /** Referrals not yet received, revoked (the office discards them unread). */
  readonly revoked: number;
  /** Offices that received the data and were asked to erase it. */
  readonly erasureRequested: number;
  /** Ciphertexts of referrals that ended unread, deleted now instead of at their deadline. */
  readonly ciphertextsDeleted: number;
}

/**
 * What a withdrawal or an erasure request does to every referral under the consent
 * (forwarded ones included: each is a referral of the same subject and consent). Each
 * referral is changed in its own transaction with its audit entry; running it again
 * changes nothing twice (a referral asked once is not asked again).
 */
export async function eraseUnderConsent(
  deps: ErasureDependencies,
  consent: Pick<ConsentRecord, 'id' | 'subjectId'>,
  by: Actor,
  reason: ErasureReason,
): Promise<ErasureOutcome> {
  const counts = { revoked: 0, erasureRequested: 0, ciphertextsDeleted: 0 };
  for (const candidate of await deps.referrals.bySubject(consent.subjectId)) {
    if (candidate.consentId !== consent.id) continue;
    const step = await retryOnConflict(async () => {
      // The subject index holds what selects a candidate, not the whole referral.
      const current = await deps.referrals.get(candidate.referralId);
      if (!current) return 'none' as const;
      const now = deps.clock.now();
      const policy = deps.deadlines;
      const kind = erasureStepOf(current);
      const change =
        kind === 'revoke'
          ? transition(current, 'revoked', by, now, {
              deadlines: policy,
              ...(reason === 'erasure-requested' ? { reason } : {}),
            })
          : kind === 'request-erasure'
            ? requestErasure(current, by, now, reason, policy)
            : kind === 'delete-ciphertext'
              ? ciphertextDeletion(current, by, now, reason, policy)
              : undefined;
      if (!change) return 'none' as const;
      await deps.referrals.apply(change);
      return kind;
    });
    if (step === 'revoke') counts.revoked++;
    if (step === 'request-erasure') counts.erasureRequested++;
    if (step === 'delete-ciphertext') counts.ciphertextsDeleted++;
  }
  return counts;
}

export interface ErasureServiceDependencies extends ErasureDependencies {
  readonly directory: Directory;
}

/** The authority id of the principal that recorded the consent (`authority:<id>`). */
function recordingAuthority(consent: ConsentRecord): string | null {
  const p = parsePrincipal(consent.recordedBy);
  return p?.kind === 'authority' ? p.id : null;
}

/** Authorities and data-protection officers record and follow erasure requests; nobody else. */
function mayFollowErasure(principal: Principal): principal is Principal & { kind: 'authority' | 'dpo' } {
  return principal.kind === 'authority' || principal.kind === 'dpo';
}

async function consentOf(deps: ErasureServiceDependencies, consentId: string): Promise<ConsentRecord> {
  const consent = await deps.referrals.consent(consentId);
  if (!consent) throw new NotFound('consent');
  return consent;
}

/** Whether the caller may see this recipient: a DPO every one, an authority those of its referrals. */
function visibleTo(principal: Principal & { kind: 'authority' | 'dpo' }, r: ReferralRecord): boolean {
  return principal.kind === 'dpo' || r.authorityId === principal.id;
}

async function recipients(
  deps: ErasureServiceDependencies,
  principal: Principal & { kind: 'authority' | 'dpo' },
  consent: ConsentRecord,
): Promise<ErasureStatus['recipients']> {
  const out: ErasureStatus['recipients'][number][] = [];
  for (const candidate of await deps.referrals.bySubject(consent.subjectId)) {
    if (candidate.consentId !== consent.id || !wasReceived(candidate)) continue;
    const r = await deps.referrals.get(candidate.referralId);
    if (!r?.erasure || !visibleTo(principal, r)) continue;
    out.push({
      referralId: r.referralId,
      serviceOffice: officeSummary(deps.directory, r.serviceOfficeId),
      erasure: erasureView(r.erasure),
    });
  }
  return out.sort((a, b) => a.erasure.requestedAt.localeCompare(b.erasure.requestedAt));
}

/**
 * Records the person's erasure request for the data given under a consent
 * (`POST /v1/consents/{id}/erasure`): its own audit entry (`erasure.requested`),
 * then every referral under the consent is revoked (not received yet) or its office asked
 * to erase it. The consent itself is not withdrawn by this (the person may withdraw it as
 * well). Repeating the request asks nobody twice. Answers who was asked and who confirmed.
 */
export async function recordErasureRequest(
  deps: ErasureServiceDependencies,
  principal: Principal,
  consentId: string,
  body: RequestErasureRequest,
): Promise<ErasureStatus> {
  if (!mayFollowErasure(principal)) {
    throw new Forbidden('Only an authority or a data-protection officer records an erasure request.');
  }
  const consent = await consentOf(deps, consentId);
  const actor = actorOf(principal);
  await deps.referrals.recordEvent(
    auditDraft(
      {
        event: 'erasure.requested',
        ...actorFields(actor),
        time: deps.clock.now(),
        subjectId: consent.subjectId,
        authorityId: recordingAuthority(consent),
        dataCategories: consent.dataCategories,
        consentId: consent.id,
        purpose: consent.purposes.length === 1 ? (consent.purposes[0] ?? null) : null,
        reason: body.reason ?? 'person-request',
      },
      deps.clock,
    ),
  );
  const outcome = await eraseUnderConsent(deps, consent, actor, 'erasure-requested');
  return {
    consentId: consent.id,
    recipients: await recipients(deps, principal, consent),
    revoked: outcome.revoked,
  };
}

/** Who was asked to erase the data given under a consent and who confirmed (`GET /v1/consents/{id}/erasure`). */
export async function erasureStatus(
  deps: ErasureServiceDependencies,
  principal: Principal,
  consentId: string,
): Promise<ErasureStatus> {
  if (!mayFollowErasure(principal)) {
    throw new Forbidden('Only an authority or a data-protection officer follows erasure requests.');
  }
  const consent = await consentOf(deps, consentId);
  return { consentId: consent.id, recipients: await recipients(deps, principal, consent) };
}

/**
 * The office confirms that it erased a referral's data (`POST /v1/referrals/{id}/erasure-confirmation`):
 * only the office the referral is addressed to (others: 404), only when erasure was asked
 * of it (409 `no-erasure-request`). Confirming again changes nothing.
 */
export function confirmErasureByOffice(
  deps: ErasureServiceDependencies,
  office: Principal & { kind: 'service' },
  referralId: string,
): Promise<ReferralView> {
  const actor = actorOf(office);
  return retryOnConflict(async () => {
    const r = await deps.referrals.get(referralId);
    if (!r || r.serviceOfficeId !== office.id) throw new NotFound('referral');
    const change = confirmErasure(r, actor, deps.clock.now(), deps.deadlines);
    if (!change) return referralView(deps.directory, r, deps.deadlines);
    await deps.referrals.apply(change);
    return referralView(deps.directory, change.to, deps.deadlines);
  });
}
