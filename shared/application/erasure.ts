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
import { covers, type DpoCoverage, dpoCoverage } from '#shared/domain/directory/dpo-scope.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { Forbidden, NotFound } from '#shared/domain/errors.ts';
import { replay, requestFingerprint } from '#shared/domain/idempotency.ts';
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
import type { IdempotentRequest, ReferralRepository } from './referral-repository.ts';
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
  /** The deployment secret that keys the fingerprint of an idempotent request. */
  readonly secret: () => Promise<Uint8Array>;
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

/** Who follows erasure requests, and which part of them they see. */
type Follower =
  | { readonly kind: 'authority'; readonly id: string }
  | { readonly kind: 'dpo'; readonly coverage: DpoCoverage };

function followerOf(
  deps: ErasureServiceDependencies,
  principal: Principal & { kind: 'authority' | 'dpo' },
): Follower {
  return principal.kind === 'authority'
    ? { kind: 'authority', id: principal.id }
    : { kind: 'dpo', coverage: dpoCoverage(deps.directory, principal.scope) };
}

/**
 * Whether the caller may see this recipient: an authority those of its own referrals, a
 * DPO those its scope covers (the deployment's DPO every one; docs/dpo-guide.md,
 * "Scoped data-protection officers").
 */
function visibleTo(follower: Follower, r: Pick<ReferralRecord, 'authorityId' | 'serviceOfficeId'>): boolean {
  return follower.kind === 'authority'
    ? r.authorityId === follower.id
    : covers(follower.coverage, { authorityId: r.authorityId, serviceOfficeId: r.serviceOfficeId });
}

/**
 * Whether a DPO's scope reaches the consent at all: the deployment's DPO every consent,
 * an authority's DPO those its authority recorded or sent a referral under, a provider's
 * or an office's DPO those under which one of its offices holds a referral. Otherwise the
 * consent is, to that DPO, not there (404), so that a scope learns nothing of others'.
 */
async function dpoReaches(
  deps: ErasureServiceDependencies,
  coverage: DpoCoverage,
  consent: ConsentRecord,
): Promise<boolean> {
  if (coverage.kind === 'deployment') return true;
  if (coverage.kind === 'authority' && recordingAuthority(consent) === coverage.authorityId) return true;
  for (const candidate of await deps.referrals.bySubject(consent.subjectId)) {
    if (candidate.consentId !== consent.id) continue;
    const r = await deps.referrals.get(candidate.referralId);
    if (r && covers(coverage, { authorityId: r.authorityId, serviceOfficeId: r.serviceOfficeId }))
      return true;
  }
  return false;
}

/** The consent, if the caller may follow erasure under it; otherwise 404. */
async function followedConsent(
  deps: ErasureServiceDependencies,
  follower: Follower,
  consentId: string,
): Promise<ConsentRecord> {
  const consent = await consentOf(deps, consentId);
  if (follower.kind === 'dpo' && !(await dpoReaches(deps, follower.coverage, consent))) {
    throw new NotFound('consent');
  }
  return consent;
}

async function recipients(
  deps: ErasureServiceDependencies,
  follower: Follower,
  consent: ConsentRecord,
): Promise<ErasureStatus['recipients']> {
  const out: ErasureStatus['recipients'][number][] = [];
  for (const candidate of await deps.referrals.bySubject(consent.subjectId)) {
    if (candidate.consentId !== consent.id || !wasReceived(candidate)) continue;
    const r = await deps.referrals.get(candidate.referralId);
    if (!r?.erasure || !visibleTo(follower, r)) continue;
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
 * (`POST /v1/consents/{id}/erasure`): every referral under the consent is revoked (not
 * received yet) or its office asked to erase it, then the request's own audit entry
 * (`erasure.requested`) is written together with the idempotency record of
 * (caller, Idempotency-Key) holding the answer. A retry with the same key and body
 * answers that again and changes nothing; the same key with another body is refused
 * (422 `idempotency-key-reused`). The consent itself is not withdrawn by this (the person
 * may withdraw it as well). Repeating the request with a new key asks nobody twice.
 * Answers who was asked and who confirmed, as far as the caller may see.
 */
export async function recordErasureRequest(
  deps: ErasureServiceDependencies,
  principal: Principal,
  consentId: string,
  body: RequestErasureRequest,
  idempotencyKey?: string,
): Promise<ErasureStatus> {
  if (!mayFollowErasure(principal)) {
    throw new Forbidden('Only an authority or a data-protection officer records an erasure request.');
  }
  const now = deps.clock.now();
  const actor = actorOf(principal);
  const idempotent: IdempotentRequest | undefined =
    idempotencyKey === undefined
      ? undefined
      : {
          principal: actor.principal,
          idempotencyKey,
          requestHash: requestFingerprint(await deps.secret(), {
            operationId: 'requestErasure',
            params: { id: consentId },
            body,
          }),
          now,
        };
  if (idempotent) {
    const previous = await deps.referrals.idempotency(idempotent.principal, idempotent.idempotencyKey);
    if (previous) return answerOf(replay(previous, idempotent.requestHash));
  }
  const follower = followerOf(deps, principal);
  const consent = await followedConsent(deps, follower, consentId);
  const outcome = await eraseUnderConsent(deps, consent, actor, 'erasure-requested');
  const answer: ErasureStatus = {
    consentId: consent.id,
    recipients: await recipients(deps, follower, consent),
    revoked: outcome.revoked,
  };
  const audit = auditDraft(
    {
      event: 'erasure.requested',
      ...actorFields(actor),
      time: now,
      subjectId: consent.subjectId,
      authorityId: recordingAuthority(consent),
      dataCategories: consent.dataCategories,
      consentId: consent.id,
      purpose: consent.purposes.length === 1 ? (consent.purposes[0] ?? null) : null,
      reason: body.reason ?? 'person-request',
    },
    deps.clock,
  );
  if (!idempotent) {
    await deps.referrals.recordEvent(audit);
    return answer;
  }
  // A concurrent identical request may have committed first: its answer is the answer.
  return answerOf(await deps.referrals.recordEventOnce(audit, idempotent, { status: 200, body: answer }));
}

function answerOf(stored: ReturnType<typeof replay>): ErasureStatus {
  if ('refusal' in stored) throw new Error('an erasure request stores no refusal');
  return stored.body as ErasureStatus;
}

/**
 * Who was asked to erase the data given under a consent and who confirmed
 * (`GET /v1/consents/{id}/erasure`): an authority sees the recipients of its own
 * referrals, a DPO those its scope covers (a consent its scope does not reach: 404).
 */
export async function erasureStatus(
  deps: ErasureServiceDependencies,
  principal: Principal,
  consentId: string,
): Promise<ErasureStatus> {
  if (!mayFollowErasure(principal)) {
    throw new Forbidden('Only an authority or a data-protection officer follows erasure requests.');
  }
  const follower = followerOf(deps, principal);
  const consent = await followedConsent(deps, follower, consentId);
  return { consentId: consent.id, recipients: await recipients(deps, follower, consent) };
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
