import type { Actor } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { RecipientKeyCache } from '#shared/domain/crypto/recipient-key-cache.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { NotFound } from '#shared/domain/errors.ts';
import { admit } from '#shared/domain/referral/admission.ts';
import { createReferral, transition } from '#shared/domain/referral/change.ts';
import type { DeadlinePolicy } from '#shared/domain/referral/deadlines.ts';
import { ConsentWithdrawnRace, ReferralRefused, type Refusal } from '#shared/domain/referral/errors.ts';
import {
  categoriesOf,
  newReferralId,
  purposeFor,
  type ReferralRecord,
  subjectIdOfPerson,
} from '#shared/domain/referral/referral.ts';
import { actorOf, type Principal } from '#shared/identity/principal.ts';
import type { DeclineRequest, ReferralPerson, ReferralView } from '#shared/schemas/referral.ts';
import type { ReferralRepository } from './referral-repository.ts';
import { encryptPayload, referralView, refusalAudit } from './referrals.ts';
import { retryOnConflict } from './retry.ts';

export interface ForwardingDependencies {
  readonly referrals: ReferralRepository;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secret: () => Promise<Uint8Array>;
  readonly keyCache?: RecipientKeyCache;
  readonly deadlines?: DeadlinePolicy;
}

/** A decline with forwarding: the re-submitted person is required. */
export type ForwardRequest = DeclineRequest & { forwardTo: string; person: ReferralPerson };

/**
 * Declines a referral and forwards it to another office (`forwardTo`). The platform never
 * kept the person's data in plaintext, so the declining office re-submits what it
 * decrypted; the admission check of intake runs again for the new recipient (same
 * person, consent covering the new office and every category sent, the office serving
 * the person's municipality), then the data is encrypted anew to the new office's key.
 * One transaction declines the old referral, creates the new one with its outbox item,
 * moves the open-referral guard and both office counters, and writes both audit entries.
 *
 * Safe to retry without an Idempotency-Key: once it succeeded, the old referral is
 * declined and forwarded to the same office, and a repetition answers its current view.
 * Two concurrent identical requests: one commits, the other finds the referral changed,
 * reads it again and answers the same view.
 */
export async function declineAndForward(
  deps: ForwardingDependencies,
  office: Principal & { kind: 'service' },
  referralId: string,
  request: ForwardRequest,
): Promise<ReferralView> {
  const actor = actorOf(office);
  const secret = await deps.secret();
  const subjectId = subjectIdOfPerson(request.person, secret);
  const dataCategories = categoriesOf(request.person, request.note);

  return retryOnConflict(async () => {
    const referral = await deps.referrals.get(referralId);
    if (!referral || referral.serviceOfficeId !== office.id) throw new NotFound('referral');
    if (referral.status === 'declined') {
      if (referral.forwardedToOfficeId === request.forwardTo)
        return referralView(deps.directory, referral, deps.deadlines);
      throw new ReferralRefused({
        reason: 'already-declined',
        facts: { currentStatus: referral.status, allowedNext: [] },
      });
    }
    const now = deps.clock.now();
    const newId = newReferralId(now);
    // Checked first: a closed or declined referral cannot be forwarded, whatever else.
    const decline = transition(referral, 'declined', actor, now, {
      reason: request.reason,
      forwardedTo: { referralId: newId, serviceOfficeId: request.forwardTo },
      deadlines: deps.deadlines,
    });
    const snapshot = await deps.referrals.forwardSnapshot({
      consentId: referral.consentId,
      officeId: request.forwardTo,
    });
    const admission = admit(
      {
        recipient: { kind: 'forwarded', officeId: request.forwardTo, decliningOfficeId: office.id },
        consent: snapshot.consent,
        subjectId,
        expectedSubjectId: referral.subjectId,
        person: request.person,
        note: request.note,
        dataCategories,
        offices: new Map([[request.forwardTo, snapshot.office]]),
        now,
      },
      deps.directory,
    );
    if (!admission.ok) return refuse(deps, actor, referral, dataCategories, admission.refusal, now);
    const target = admission.office;
    const creation = createReferral(
      {
        referralId: newId,
        subjectId: referral.subjectId,
        consentId: referral.consentId,
        authorityId: referral.authorityId,
        serviceOfficeId: target.id,
        serviceType: target.type,
        providerId: target.providerId,
        purpose: purposeFor(target.type),
        dataCategories,
        caseReference: referral.caseReference,
        ciphertext: await encryptPayload(deps, admission, {
          referralId: newId,
          createdAt: now,
          authorityId: referral.authorityId,
          caseReference: referral.caseReference,
          dataCategories,
          person: request.person,
          note: request.note,
        }),
        kid: admission.key.kid,
        forwardedFrom: referral.referralId,
        forwardedFromOfficeId: referral.serviceOfficeId,
      },
      actor,
      now,
      { forwarded: true, deadlines: deps.deadlines },
    );
    try {
      await deps.referrals.forward(decline, creation);
    } catch (error) {
      if (error instanceof ConsentWithdrawnRace) {
        return refuse(
          deps,
          actor,
          referral,
          dataCategories,
          { reason: 'consent-withdrawn', serviceOfficeId: target.id },
          now,
        );
      }
      throw error;
    }
    return referralView(deps.directory, (await deps.referrals.get(referralId))!, deps.deadlines);
  });
}

/** Records the refusal in the audit log (ids and codes only) and throws it to the caller. */
async function refuse(
  deps: ForwardingDependencies,
  actor: Actor,
  referral: ReferralRecord,
  dataCategories: readonly string[],
  refusal: Refusal,
  at: Date,
): Promise<never> {
  await deps.referrals.recordRefusal(
    refusalAudit(refusal, {
      actor,
      subjectId: referral.subjectId,
      authorityId: referral.authorityId,
      dataCategories,
      consentId: refusal.reason === 'consent-not-found' ? null : referral.consentId,
      referralId: referral.referralId,
      at,
    }),
  );
  throw new ReferralRefused(refusal);
}
