import {
  ConsentWithdrawnRace,
  type ReferralRecord,
  type ReferralStore,
  StaleReferral,
} from '#shared/adapters/referral-store.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import { currentKey } from '#shared/domain/crypto/key-set.ts';
import {
  defaultRecipientKeyCache,
  type RecipientKeyCache,
} from '#shared/domain/crypto/recipient-key-cache.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { authorityById } from '#shared/domain/directory/index.ts';
import { NotFound } from '#shared/domain/errors.ts';
import { referralAuditDraft } from '#shared/domain/referral/audit.ts';
import { type DeadlinePolicy, defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import {
  checkForwarding,
  ForwardingConflict,
  type ForwardingRefusal,
  forwardingError,
} from '#shared/domain/referral/forwarding.ts';
import { assertTransition } from '#shared/domain/referral/lifecycle.ts';
import {
  categoriesOf,
  newReferralId,
  purposeFor,
  subjectIdOfPerson,
} from '#shared/domain/referral/referral.ts';
import { formatPrincipal, type Principal } from '#shared/identity/principal.ts';
import type {
  DeclineRequest,
  ReferralPayloadV1,
  ReferralPerson,
  ReferralView,
} from '#shared/schemas/referral.ts';
import { referralView } from './referrals.ts';

export interface ForwardingDependencies {
  readonly store: Pick<ReferralStore, 'get' | 'forwardSnapshot' | 'forward' | 'recordRefusal'>;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secret: () => Promise<Uint8Array>;
  /** The physical queue name of a service office's inbox. */
  readonly queueNameFor: (officeId: string) => string;
  readonly keyCache?: RecipientKeyCache;
  readonly deadlines?: DeadlinePolicy;
}

/** A decline with forwarding: the re-submitted person is required. */
export type ForwardRequest = DeclineRequest & { forwardTo: string; person: ReferralPerson };

const MAX_ATTEMPTS = 5;

/**
 * Declines a referral and forwards it to another office (`forwardTo`). The platform never
 * kept the person's data in plaintext, so the declining office re-submits what it
 * decrypted; the platform checks it is the same person (pseudonym), that the consent
 * covers the new office and every data category sent, and that the office serves the
 * person's municipality, then encrypts the data anew to the new office's current key.
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
  const actor = formatPrincipal(office);
  const secret = await deps.secret();
  const subjectId = subjectIdOfPerson(request.person, secret);
  const dataCategories = categoriesOf(request.person, request.note);

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const referral = await deps.store.get(referralId);
    if (!referral || referral.serviceOfficeId !== office.id) throw new NotFound('referral');
    if (referral.status === 'declined') {
      if (referral.forwardedToOfficeId === request.forwardTo) return referralView(deps.directory, referral);
      throw new ForwardingConflict(
        'already-declined',
        'The referral is already declined; it can be forwarded only when it is declined.',
        { currentStatus: referral.status, allowedNext: [] },
      );
    }
    assertTransition(referral.status, 'declined');

    const now = deps.clock.now();
    const snapshot = await deps.store.forwardSnapshot({
      consentId: referral.consentId,
      officeId: request.forwardTo,
    });
    const key = snapshot.office.keySet ? currentKey(snapshot.office.keySet) : undefined;
    const decision = checkForwarding(
      {
        referral,
        forwardTo: request.forwardTo,
        subjectId,
        person: request.person,
        note: request.note,
        dataCategories,
        consent: snapshot.consent,
        recipientHasKey: key !== undefined,
        now,
      },
      deps.directory,
    );
    if (!decision.ok) return refuse(deps, actor, referral, dataCategories, decision.refusal);
    const target = decision.office;

    const newId = newReferralId(now);
    const createdAt = now.toISOString();
    const authority = authorityById(deps.directory, referral.authorityId);
    const payload: ReferralPayloadV1 = {
      schema: 'referral-exchange.referral.v1',
      referralId: newId,
      consentId: referral.consentId,
      createdAt,
      authority: { id: referral.authorityId, name: authority?.name ?? referral.authorityId },
      serviceOfficeId: target.id,
      caseReference: referral.caseReference,
      dataCategories,
      person: request.person,
      ...(request.note !== undefined ? { note: request.note } : {}),
    };
    const ciphertext = await encryptReferral(payload, key!, {
      cty: REFERRAL_CONTENT_TYPE,
      keyCache: deps.keyCache ?? defaultRecipientKeyCache,
    });
    const forwarded: ReferralRecord = {
      referralId: newId,
      status: 'accepted',
      subjectId: referral.subjectId,
      consentId: referral.consentId,
      authorityId: referral.authorityId,
      serviceOfficeId: target.id,
      serviceType: target.type,
      providerId: target.providerId,
      purpose: purposeFor(target.type),
      dataCategories,
      caseReference: referral.caseReference,
      createdAt,
      history: [{ status: 'accepted', at: createdAt, by: actor, reason: 'forwarded' }],
      reAnnouncements: 0,
      ciphertext,
      kid: key!.kid,
      version: 1,
      forwardedFrom: referral.referralId,
      forwardedFromOfficeId: referral.serviceOfficeId,
    };
    const policy = deps.deadlines ?? defaultDeadlines;
    try {
      await deps.store.forward({
        from: referral,
        declined: {
          status: 'declined',
          at: createdAt,
          by: actor,
          reason: request.reason,
          forwardedTo: newId,
        },
        declinedDue: nextDeadline(
          { ...referral, status: 'declined', hasCiphertext: referral.ciphertext !== undefined },
          policy,
        ),
        declinedDraft: referralAuditDraft('referral.declined', actor, referral, deps.clock, request.reason),
        referral: forwarded,
        due: nextDeadline({ ...forwarded, hasCiphertext: true }, policy),
        queueName: deps.queueNameFor(target.id),
        forwardedDraft: referralAuditDraft('referral.forwarded', actor, forwarded, deps.clock, 'forwarded'),
      });
      return referralView(deps.directory, (await deps.store.get(referralId))!);
    } catch (error) {
      if (error instanceof ConsentWithdrawnRace) {
        return refuse(deps, actor, referral, dataCategories, {
          status: 409,
          reason: 'consent-withdrawn',
          detail: 'The consent has been withdrawn.',
          serviceOfficeId: target.id,
        });
      }
      if (!(error instanceof StaleReferral)) throw error;
    }
  }
  throw new StaleReferral();
}

/** Records the refusal in the audit log (ids and codes only) and throws it as a problem. */
async function refuse(
  deps: ForwardingDependencies,
  actor: string,
  referral: ReferralRecord,
  dataCategories: readonly string[],
  refusal: ForwardingRefusal,
): Promise<never> {
  await deps.store.recordRefusal(
    auditDraft(
      {
        event: 'referral.refused',
        actor,
        subjectId: referral.subjectId,
        authorityId: referral.authorityId,
        serviceOfficeId: refusal.serviceOfficeId ?? null,
        dataCategories,
        consentId: refusal.reason === 'consent-not-found' ? null : referral.consentId,
        referralId: referral.referralId,
        reason: refusal.reason,
      },
      deps.clock,
    ),
  );
  throw forwardingError(refusal);
}
