import {
  ConsentWithdrawnRace,
  OpenReferralRace,
  type ReferralRecord,
  type ReferralStore,
} from '#shared/adapters/referral-store.ts';
import { replay } from '#shared/adapters/transactions.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { coverage } from '#shared/domain/consent/coverage.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentStatus } from '#shared/domain/consent/status.ts';
import { encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import { currentKey } from '#shared/domain/crypto/key-set.ts';
import {
  defaultRecipientKeyCache,
  type RecipientKeyCache,
} from '#shared/domain/crypto/recipient-key-cache.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { authorityById, officeById, officesCovering, providerById } from '#shared/domain/directory/index.ts';
import { type FieldIssue, NotFound } from '#shared/domain/errors.ts';
import { requestFingerprint } from '#shared/domain/idempotency.ts';
import { referralAuditDraft } from '#shared/domain/referral/audit.ts';
import { type DeadlinePolicy, defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import {
  categoriesOf,
  newReferralId,
  purposeFor,
  subjectIdOfPerson,
  uncoveredFields,
} from '#shared/domain/referral/referral.ts';
import { routeReferral } from '#shared/domain/routing/index.ts';
import { PROBLEM_CONTENT_TYPE, problem } from '#shared/http/problem.ts';
import type { Principal } from '#shared/identity/principal.ts';
import { formatPrincipal } from '#shared/identity/principal.ts';
import type {
  ReferralAccepted,
  ReferralPayloadV1,
  ReferralView,
  SubmitReferralRequest,
} from '#shared/schemas/referral.ts';

export interface ReferralDependencies {
  readonly store: Pick<ReferralStore, 'intakeSnapshot' | 'accept' | 'refuse' | 'get'>;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secret: () => Promise<Uint8Array>;
  /** The physical queue name of a service office's inbox. */
  readonly queueNameFor: (officeId: string) => string;
  readonly keyCache?: RecipientKeyCache;
  readonly deadlines?: DeadlinePolicy;
}

/** What the HTTP layer sends back: a stored or fresh answer, possibly a refusal. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
}

const answer = (r: { status: number; body: unknown }): ApiAnswer =>
  r.status >= 400 ? { ...r, contentType: PROBLEM_CONTENT_TYPE } : r;

interface Refusal {
  readonly status: 409 | 422;
  readonly reason: string;
  readonly detail: string;
  readonly errors?: readonly FieldIssue[];
  readonly extensions?: Record<string, unknown>;
}

export function officeSummary(directory: Directory, officeId: string) {
  const office = officeById(directory, officeId);
  const provider = office ? providerById(directory, office.providerId) : undefined;
  return {
    id: officeId,
    name: office?.name ?? officeId,
    type: office?.type ?? 'unknown',
    providerId: office?.providerId ?? 'unknown',
    providerName: provider?.name ?? 'unknown',
  };
}

/**
 * Referral intake (POST /v1/referrals): two sequential calls to DynamoDB — one
 * BatchGetItem (consent, idempotency record, the subject's open referral, the candidate
 * offices' keys and load) and one TransactWriteItems (referral with ciphertext, outbox
 * item, open-referral guard, office counter, audit entry, idempotency record). Delivery
 * to the office's queue happens in the outbox relay, never here.
 */
export async function submitReferral(
  deps: ReferralDependencies,
  principal: Principal & { kind: 'authority' },
  request: SubmitReferralRequest,
  idempotencyKey: string,
): Promise<ApiAnswer> {
  const now = deps.clock.now();
  const secret = await deps.secret();
  const actor = formatPrincipal(principal);
  const requestHash = requestFingerprint(secret, { operationId: 'submitReferral', body: request });
  const { person } = request;
  const subjectId = subjectIdOfPerson(person, secret);
  const dataCategories = categoriesOf(person, request.note);
  const candidates = officesCovering(deps.directory, person.address.municipality).map((o) => o.id);

  const snapshot = await deps.store.intakeSnapshot({
    consentId: request.consentId,
    principal: actor,
    idempotencyKey,
    subjectId,
    officeIds: candidates,
  });
  if (snapshot.idempotency) return answer(replay(snapshot.idempotency, requestHash));

  const refuse = async (
    refusal: Refusal,
    consent?: ConsentRecord,
    serviceOfficeId?: string,
  ): Promise<ApiAnswer> => {
    const body = problem(refusal.status, refusal.reason, refusal.detail, {
      reason: refusal.reason,
      ...(refusal.errors ? { errors: refusal.errors } : {}),
      ...refusal.extensions,
    });
    const draft = auditDraft(
      {
        event: 'referral.refused',
        actor,
        subjectId,
        authorityId: principal.id,
        serviceOfficeId: serviceOfficeId ?? null,
        dataCategories,
        consentId: consent?.id ?? null,
        reason: refusal.reason,
      },
      deps.clock,
    );
    const stored = await deps.store.refuse({
      draft,
      principal: actor,
      idempotencyKey,
      requestHash,
      now,
      response: { status: refusal.status, body },
    });
    return answer(stored);
  };

  const consent = snapshot.consent;
  if (!consent) {
    return refuse({
      status: 422,
      reason: 'consent-not-found',
      detail: 'There is no consent with this id.',
      errors: [{ field: 'consentId', reason: 'no consent with this id' }],
    });
  }
  if (consent.subjectId !== subjectId) {
    return refuse(
      {
        status: 422,
        reason: 'subject-mismatch',
        detail: 'The consent was given by another person than the one referred.',
        errors: [{ field: 'consentId', reason: 'the consent belongs to another person' }],
      },
      consent,
    );
  }
  const status = consentStatus(consent, now);
  if (status === 'withdrawn') {
    return refuse(
      { status: 409, reason: 'consent-withdrawn', detail: 'The consent has been withdrawn.' },
      consent,
    );
  }
  if (status === 'expired') {
    return refuse({ status: 422, reason: 'consent-expired', detail: 'The consent has expired.' }, consent);
  }
  const uncovered = uncoveredFields(person, request.note, consent.dataCategories);
  if (uncovered.length > 0) {
    return refuse(
      {
        status: 422,
        reason: 'data-categories-not-covered',
        detail:
          'The referral carries data the consent does not cover; remove those fields or record a consent that covers them.',
        errors: uncovered,
      },
      consent,
    );
  }
  if (snapshot.openReferralId) {
    return refuse(
      {
        status: 409,
        reason: 'open-referral-exists',
        detail: 'The person already has an open referral; no second one is made.',
        extensions: { existingReferralId: snapshot.openReferralId },
      },
      consent,
    );
  }

  const decision = routeReferral(
    {
      dateOfBirth: person.dateOfBirth,
      municipality: person.address.municipality,
      residenceStatus: person.residenceStatus ?? 'other',
      housing: person.housing ?? 'other',
      languages: person.languages ?? [],
      consentScope: consent.scope,
      ...(consent.scope.providerIds[0] !== undefined
        ? { preferredProviderId: consent.scope.providerIds[0] }
        : {}),
      referralDate: berlinDateOf(now),
      openReferralCounts: Object.fromEntries(
        [...snapshot.offices].map(([id, s]) => [id, Math.max(0, s.openReferrals)]),
      ),
    },
    deps.directory,
  );
  if (decision.kind === 'refused') {
    return refuse(
      {
        status: 422,
        reason: decision.reason,
        detail: decision.message,
        extensions: { directoryVersion: decision.directoryVersion },
      },
      consent,
    );
  }
  const office = decision.office;
  const purpose = purposeFor(decision.serviceType);
  const covered = coverage(
    consent,
    { subjectId, serviceType: decision.serviceType, providerId: office.providerId, purpose, dataCategories },
    now,
  );
  if (!covered.ok) {
    return refuse(
      {
        status: 422,
        reason: covered.reasons[0]!,
        detail: `The consent does not cover this referral (${covered.reasons.join(', ')}).`,
      },
      consent,
      office.id,
    );
  }
  const keySet = snapshot.offices.get(office.id)?.keySet;
  const key = keySet ? currentKey(keySet) : undefined;
  if (!key) {
    return refuse(
      {
        status: 409,
        reason: 'recipient-key-missing',
        detail: `The service office ${office.id} has not published an encryption key yet; it cannot receive referrals.`,
      },
      consent,
      office.id,
    );
  }

  const referralId = newReferralId(now);
  const createdAt = now.toISOString();
  const authority = authorityById(deps.directory, principal.id);
  const payload: ReferralPayloadV1 = {
    schema: 'referral-exchange.referral.v1',
    referralId,
    consentId: consent.id,
    createdAt,
    authority: { id: principal.id, name: authority?.name ?? principal.id },
    serviceOfficeId: office.id,
    caseReference: request.caseReference,
    dataCategories,
    person,
    ...(request.note !== undefined ? { note: request.note } : {}),
  };
  const ciphertext = await encryptReferral(payload, key, {
    cty: REFERRAL_CONTENT_TYPE,
    keyCache: deps.keyCache ?? defaultRecipientKeyCache,
  });
  const referral: ReferralRecord = {
    referralId,
    status: 'accepted',
    subjectId,
    consentId: consent.id,
    authorityId: principal.id,
    serviceOfficeId: office.id,
    serviceType: decision.serviceType,
    providerId: office.providerId,
    purpose,
    dataCategories,
    caseReference: request.caseReference,
    createdAt,
    history: [{ status: 'accepted', at: createdAt, by: actor }],
    reAnnouncements: 0,
    ciphertext,
    kid: key.kid,
    version: 1,
  };
  const body: ReferralAccepted = {
    referralId,
    status: 'accepted',
    serviceOffice: officeSummary(deps.directory, office.id),
    routing: { ruleId: decision.ruleId, reason: decision.reason },
  };
  const draft = referralAuditDraft('referral.accepted', actor, referral, deps.clock);
  try {
    const result = await deps.store.accept({
      referral,
      due: nextDeadline({ ...referral, hasCiphertext: true }, deps.deadlines ?? defaultDeadlines),
      queueName: deps.queueNameFor(office.id),
      draft,
      principal: actor,
      idempotencyKey,
      requestHash,
      now,
      response: { status: 202, body },
    });
    return answer(result);
  } catch (error) {
    if (error instanceof OpenReferralRace) {
      return refuse(
        {
          status: 409,
          reason: 'open-referral-exists',
          detail: 'The person already has an open referral; no second one is made.',
          extensions: { existingReferralId: error.existingReferralId },
        },
        consent,
      );
    }
    if (error instanceof ConsentWithdrawnRace) {
      return refuse(
        { status: 409, reason: 'consent-withdrawn', detail: 'The consent has been withdrawn.' },
        consent,
      );
    }
    throw error;
  }
}

/** A referral as its sender and its recipient see it; anyone else: 404. */
export async function getReferral(
  deps: Pick<ReferralDependencies, 'store' | 'directory'>,
  principal: Principal,
  referralId: string,
): Promise<ReferralView> {
  const r = await deps.store.get(referralId);
  const visible =
    r &&
    ((principal.kind === 'authority' && principal.id === r.authorityId) ||
      (principal.kind === 'service' && principal.id === r.serviceOfficeId));
  if (!r || !visible) throw new NotFound('referral');
  return referralView(deps.directory, r);
}

export function referralView(directory: Directory, r: ReferralRecord): ReferralView {
  return {
    referralId: r.referralId,
    status: r.status,
    consentId: r.consentId,
    authorityId: r.authorityId,
    caseReference: r.caseReference,
    serviceOffice: officeSummary(directory, r.serviceOfficeId),
    dataCategories: [...r.dataCategories] as ReferralView['dataCategories'],
    createdAt: r.createdAt,
    history: r.history.map((h) => ({ ...h })),
    ...(r.forwardedTo !== undefined && r.forwardedToOfficeId !== undefined
      ? {
          forwardedTo: {
            referralId: r.forwardedTo,
            serviceOffice: officeSummary(directory, r.forwardedToOfficeId),
          },
        }
      : {}),
    ...(r.forwardedFrom !== undefined && r.forwardedFromOfficeId !== undefined
      ? {
          forwardedFrom: {
            referralId: r.forwardedFrom,
            serviceOffice: officeSummary(directory, r.forwardedFromOfficeId),
          },
        }
      : {}),
  };
}
