import { type Actor, actorFields, auditDraft } from '#shared/domain/audit/entry.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { encryptReferral, REFERRAL_CONTENT_TYPE } from '#shared/domain/crypto/jwe.ts';
import {
  defaultRecipientKeyCache,
  type RecipientKeyCache,
} from '#shared/domain/crypto/recipient-key-cache.ts';
import type { Directory } from '#shared/domain/directory/index.ts';
import { authorityById, officeById, officesCovering, providerById } from '#shared/domain/directory/index.ts';
import { NotFound } from '#shared/domain/errors.ts';
import { replay, requestFingerprint, type StoredAnswer } from '#shared/domain/idempotency.ts';
import { type Admission, admit } from '#shared/domain/referral/admission.ts';
import { createReferral } from '#shared/domain/referral/change.ts';
import { type DeadlinePolicy, defaultDeadlines, nextDeadline } from '#shared/domain/referral/deadlines.ts';
import {
  ConsentWithdrawnRace,
  type OpenReferral,
  OpenReferralRace,
  ReferralRefused,
  type Refusal,
} from '#shared/domain/referral/errors.ts';
import {
  categoriesOf,
  newReferralId,
  purposeFor,
  type ReferralRecord,
  subjectIdOfPerson,
  updatedAtOf,
} from '#shared/domain/referral/referral.ts';
import { actorOf, type Principal } from '#shared/identity/principal.ts';
import type {
  ServiceOfficeSummary as OfficeSummary,
  ReferralAccepted,
  ReferralPayloadV1,
  ReferralPerson,
  ReferralView,
  SubmitReferralRequest,
} from '#shared/schemas/referral.ts';
import type { FeedPage, FeedReferral, IdempotentRequest, ReferralRepository } from './referral-repository.ts';

export interface ReferralDependencies {
  readonly referrals: ReferralRepository;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secret: () => Promise<Uint8Array>;
  readonly keyCache?: RecipientKeyCache;
  readonly deadlines?: DeadlinePolicy;
}

/** An office as the answers name it, with its public contact from the directory. */
export function officeSummary(directory: Directory, officeId: string): OfficeSummary {
  const office = officeById(directory, officeId);
  const provider = office ? providerById(directory, office.providerId) : undefined;
  const contact = office?.contact;
  return {
    id: officeId,
    name: office?.name ?? officeId,
    type: office?.type ?? 'unknown',
    providerId: office?.providerId ?? 'unknown',
    providerName: provider?.name ?? 'unknown',
    ...(contact
      ? {
          contact: {
            email: contact.email,
            ...(contact.phone !== undefined ? { phone: contact.phone } : {}),
            ...(contact.address !== undefined ? { address: contact.address } : {}),
            ...(contact.openingHours !== undefined ? { openingHours: contact.openingHours } : {}),
          },
        }
      : {}),
  };
}

/** What an authority may learn of a person's open referral: its id only if it sent it. */
function visibleTo(open: OpenReferral, authorityId: string): { visibleId?: string } {
  return open.authorityId === authorityId && open.referralId ? { visibleId: open.referralId } : {};
}

/** A stored answer as the caller gets it: the result, or the refusal thrown again. */
function answered(answer: StoredAnswer): ReferralAccepted {
  if ('refusal' in answer) throw new ReferralRefused(answer.refusal);
  return answer.body as ReferralAccepted;
}

/** The person's data encrypted to the recipient's current key (JWE; docs/jwe-format.md). */
export function encryptPayload(
  deps: Pick<ReferralDependencies, 'directory' | 'keyCache'>,
  admission: Admission & { ok: true },
  content: {
    readonly referralId: string;
    readonly createdAt: Date;
    readonly authorityId: string;
    readonly caseReference: string;
    readonly dataCategories: ReferralPayloadV1['dataCategories'];
    readonly person: ReferralPerson;
    readonly note: string | undefined;
  },
): Promise<string> {
  const authority = authorityById(deps.directory, content.authorityId);
  const payload: ReferralPayloadV1 = {
    schema: 'referral-exchange.referral.v1',
    referralId: content.referralId,
    consentId: admission.consent.id,
    createdAt: content.createdAt.toISOString(),
    authority: { id: content.authorityId, name: authority?.name ?? content.authorityId },
    serviceOfficeId: admission.office.id,
    caseReference: content.caseReference,
    dataCategories: content.dataCategories,
    person: content.person,
    ...(content.note !== undefined ? { note: content.note } : {}),
  };
  return encryptReferral(payload, admission.key, {
    cty: REFERRAL_CONTENT_TYPE,
    keyCache: deps.keyCache ?? defaultRecipientKeyCache,
  });
}

/** The audit entry of a refused transfer: ids and codes only. */
export function refusalAudit(
  refusal: Refusal,
  facts: {
    readonly actor: Actor;
    readonly subjectId: string;
    readonly authorityId: string;
    readonly dataCategories: readonly string[];
    readonly consentId?: string | null;
    readonly referralId?: string;
    readonly at: Date;
  },
) {
  return auditDraft({
    event: 'referral.refused',
    ...actorFields(facts.actor),
    time: facts.at,
    subjectId: facts.subjectId,
    authorityId: facts.authorityId,
    serviceOfficeId: refusal.serviceOfficeId ?? null,
    dataCategories: facts.dataCategories,
    consentId: facts.consentId ?? null,
    referralId: facts.referralId ?? null,
    reason: refusal.reason,
  });
}

/**
 * Referral intake (POST /v1/referrals): one read (consent, idempotency record, the
 * subject's open referral, the candidate offices' keys and load), the admission check,
 * the encryption to the chosen office's key, one transaction (repository `create`).
 * Delivery to the office's queue happens in the outbox relay, never here. A refusal is
 * recorded (audit entry, idempotency record) and thrown as ReferralRefused.
 */
export async function submitReferral(
  deps: ReferralDependencies,
  principal: Principal & { kind: 'authority' },
  request: SubmitReferralRequest,
  idempotencyKey: string,
): Promise<ReferralAccepted> {
  const now = deps.clock.now();
  const secret = await deps.secret();
  const by = actorOf(principal);
  const actor = by.principal;
  const idempotent: IdempotentRequest = {
    principal: actor,
    idempotencyKey,
    requestHash: requestFingerprint(secret, { operationId: 'submitReferral', body: request }),
    now,
  };
  const { person, note } = request;
  const subjectId = subjectIdOfPerson(person, secret);
  const dataCategories = categoriesOf(person, note);

  const snapshot = await deps.referrals.intakeSnapshot({
    consentId: request.consentId,
    principal: actor,
    idempotencyKey,
    subjectId,
    officeIds: officesCovering(deps.directory, person.address.municipality).map((o) => o.id),
  });
  if (snapshot.idempotency) return answered(replay(snapshot.idempotency, idempotent.requestHash));

  const refuse = async (refusal: Refusal): Promise<ReferralAccepted> => {
    const audit = refusalAudit(refusal, {
      actor: by,
      subjectId,
      authorityId: principal.id,
      dataCategories,
      // A consent the caller may not use is, to it, not there: no legal basis to log.
      consentId: refusal.reason === 'consent-not-found' ? null : (snapshot.consent?.id ?? null),
      at: now,
    });
    // Throws the refusal as stored — or answers 202 when a concurrent identical request
    // was accepted first (its idempotency record wins; this refusal is not recorded).
    return answered(await deps.referrals.refuse(audit, idempotent, refusal));
  };

  const admission = admit(
    {
      recipient: { kind: 'routed' },
      referrer: actor,
      consent: snapshot.consent,
      subjectId,
      person,
      note,
      dataCategories,
      openReferral: snapshot.openReferral && visibleTo(snapshot.openReferral, principal.id),
      offices: snapshot.offices,
      now,
    },
    deps.directory,
  );
  if (!admission.ok) return refuse(admission.refusal);

  const office = admission.office;
  const referralId = newReferralId(now);
  const creation = createReferral(
    {
      referralId,
      subjectId,
      consentId: admission.consent.id,
      authorityId: principal.id,
      serviceOfficeId: office.id,
      serviceType: admission.serviceType,
      providerId: office.providerId,
      purpose: purposeFor(admission.serviceType),
      dataCategories,
      caseReference: request.caseReference,
      ciphertext: await encryptPayload(deps, admission, {
        referralId,
        createdAt: now,
        authorityId: principal.id,
        caseReference: request.caseReference,
        dataCategories,
        person,
        note,
      }),
      kid: admission.key.kid,
    },
    by,
    now,
    { deadlines: deps.deadlines },
  );
  const body: ReferralAccepted = {
    referralId,
    status: 'accepted',
    serviceOffice: officeSummary(deps.directory, office.id),
    // A routed recipient: the admission names the rule that chose it.
    routing: admission.routing!,
  };
  try {
    return answered(await deps.referrals.create(creation, idempotent, { status: 202, body }));
  } catch (error) {
    if (error instanceof OpenReferralRace) {
      const { visibleId } = visibleTo(error.existing, principal.id);
      return refuse({
        reason: 'open-referral-exists',
        ...(visibleId ? { facts: { existingReferralId: visibleId } } : {}),
      });
    }
    if (error instanceof ConsentWithdrawnRace) return refuse({ reason: 'consent-withdrawn' });
    throw error;
  }
}

/** A referral as its sender and its recipient see it; anyone else: 404. */
export async function getReferral(
  deps: Pick<ReferralDependencies, 'referrals' | 'directory' | 'deadlines'>,
  principal: Principal,
  referralId: string,
): Promise<ReferralView> {
  const r = await deps.referrals.get(referralId);
  const visible =
    r &&
    ((principal.kind === 'authority' && principal.id === r.authorityId) ||
      (principal.kind === 'service' && principal.id === r.serviceOfficeId));
  if (!r || !visible) throw new NotFound('referral');
  return referralView(deps.directory, r, deps.deadlines);
}

/** A stored referral as its sender and its recipient see it, with its next deadline. */
export function referralView(
  directory: Directory,
  r: ReferralRecord,
  deadlines: DeadlinePolicy = defaultDeadlines,
): ReferralView {
  const due = nextDeadline({ ...r, hasCiphertext: r.ciphertext !== undefined }, deadlines);
  return viewOf(directory, r, due && { kind: due.kind, at: due.at.toISOString() });
}

/** The erasure asked of an office, as the referral's sender and recipient see it. */
export function erasureView(e: NonNullable<ReferralRecord['erasure']>): NonNullable<ReferralView['erasure']> {
  return {
    reason: e.reason,
    requestedAt: e.requestedAt,
    reminders: e.reminders,
    ...(e.confirmedAt !== undefined ? { confirmedAt: e.confirmedAt } : {}),
  };
}

/** What the feed index holds of a referral, as the same view. */
export function feedView(directory: Directory, item: FeedPage['items'][number]): ReferralView {
  return viewOf(directory, item.referral, item.due);
}

function viewOf(directory: Directory, r: FeedReferral, due: ReferralView['due']): ReferralView {
  return {
    referralId: r.referralId,
    status: r.status,
    consentId: r.consentId,
    authorityId: r.authorityId,
    caseReference: r.caseReference,
    serviceOffice: officeSummary(directory, r.serviceOfficeId),
    dataCategories: [...r.dataCategories] as ReferralView['dataCategories'],
    createdAt: r.createdAt,
    updatedAt: updatedAtOf(r),
    history: r.history.map((h) => ({ ...h })),
    ...(due ? { due: { ...due } } : {}),
    ...(r.forwardedTo !== undefined && r.forwardedToOfficeId !== undefined
      ? {
          forwardedTo: {
            referralId: r.forwardedTo,
            serviceOffice: officeSummary(directory, r.forwardedToOfficeId),
          },
        }
      : {}),
    ...(r.erasure !== undefined ? { erasure: erasureView(r.erasure) } : {}),
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
