import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { coverage } from '#shared/domain/consent/coverage.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentStatus } from '#shared/domain/consent/status.ts';
import { currentKey, type OfficeKey, type OfficeKeySet } from '#shared/domain/crypto/key-set.ts';
import type { DataCategory } from '#shared/domain/data-categories.ts';
import { officeById } from '#shared/domain/directory/lookup.ts';
import type { Directory, ServiceOffice } from '#shared/domain/directory/schema.ts';
import type { Housing, ResidenceStatus } from '#shared/domain/routing/person-facts.ts';
import { routeReferral } from '#shared/domain/routing/route.ts';
import type { Refusal } from './errors.ts';
import type { PersonFacts } from './person.ts';
import { purposeFor, uncoveredFields } from './referral.ts';

/** A candidate office's state as stored: its published keys and its open referrals. */
export interface OfficeState {
  readonly keySet?: OfficeKeySet;
  readonly openReferrals: number;
}

/** The person as routing and the checks read it. */
export type AdmittedPerson = PersonFacts & {
  readonly residenceStatus?: ResidenceStatus | undefined;
  readonly housing?: Housing | undefined;
  readonly languages?: readonly string[] | undefined;
};

/**
 * Who receives the person's data: the office the routing rules choose (intake), or the
 * office a declining office forwards to (forwarding; the declining office knows why it
 * is not responsible, so the rules' order does not apply, the coverage of the
 * municipality does).
 */
export type Recipient =
  | { readonly kind: 'routed' }
  | { readonly kind: 'forwarded'; readonly officeId: string; readonly decliningOfficeId: string };

export interface AdmissionFacts {
  readonly recipient: Recipient;
  /** The consent the transfer rests on, as stored (absent: there is none). */
  readonly consent: ConsentRecord | undefined;
  /**
   * Intake: the principal referring (`authority:<id>`). Only the authority that recorded
   * a consent refers under it; to any other the consent does not exist.
   */
  readonly referrer?: string;
  /** The pseudonym computed from the person sent. */
  readonly subjectId: string;
  /** Whose data this must be: the consent's subject (intake), the referral's (forwarding). */
  readonly expectedSubjectId?: string;
  readonly person: AdmittedPerson;
  readonly note: string | undefined;
  readonly dataCategories: readonly DataCategory[];
  /**
   * Intake: the subject has an open referral (forwarding moves it instead). Its id is
   * given only when the caller may know it (its own referral); another authority learns
   * that one exists, not which or where.
   */
  readonly openReferral?: { readonly visibleId?: string | undefined } | undefined;
  /** The state of each office that may receive (the candidates, or the one forwarded to). */
  readonly offices: ReadonlyMap<string, OfficeState>;
  readonly now: Date;
}

export type Admission =
  | {
      readonly ok: true;
      readonly office: ServiceOffice;
      readonly serviceType: string;
      readonly key: OfficeKey;
      readonly consent: ConsentRecord;
      /** Intake: the rule that chose the office and why. */
      readonly routing?: { readonly ruleId: string; readonly reason: string };
    }
  | { readonly ok: false; readonly refusal: Refusal };

const refused = (refusal: Refusal): Admission => ({ ok: false, refusal });

/**
 * The one admission check of a transfer of a person's data, for intake and forwarding
 * alike, in a fixed order: the recipient exists (forwarding), the consent exists (at
 * intake: recorded by the referring authority), is the
 * same person's, is not withdrawn or expired, covers every data category sent; the
 * person has no other open referral (intake); the recipient is chosen by the routing
 * rules (intake) or serves the person's municipality (forwarding); the consent covers
 * the recipient; the recipient has a current key. The first broken rule is the refusal,
 * as a reason code; the HTTP layer decides what each reason answers.
 */
export function admit(facts: AdmissionFacts, directory: Directory): Admission {
  const forwarding = facts.recipient.kind === 'forwarded' ? facts.recipient : undefined;
  let chosen: ServiceOffice | undefined;
  if (forwarding) {
    chosen = officeById(directory, forwarding.officeId);
    if (!chosen) {
      return refused({
        reason: 'unknown-office',
        errors: [{ field: 'forwardTo', reason: 'no service office with this id' }],
      });
    }
    if (chosen.id === forwarding.decliningOfficeId) {
      return refused({
        reason: 'forward-to-self',
        errors: [{ field: 'forwardTo', reason: 'is the declining office itself' }],
        serviceOfficeId: chosen.id,
      });
    }
  }
  const serviceOfficeId = chosen?.id;
  const about = serviceOfficeId ? { serviceOfficeId } : {};

  const consent =
    facts.referrer !== undefined && facts.consent?.recordedBy !== facts.referrer ? undefined : facts.consent;
  if (!consent) {
    return refused({
      reason: 'consent-not-found',
      ...(forwarding ? {} : { errors: [{ field: 'consentId', reason: 'no consent with this id' }] }),
      ...about,
    });
  }
  if (facts.subjectId !== (facts.expectedSubjectId ?? consent.subjectId)) {
    return refused({
      reason: 'subject-mismatch',
      errors: [
        forwarding
          ? { field: 'person', reason: 'belongs to another person than the one referred' }
          : { field: 'consentId', reason: 'the consent belongs to another person' },
      ],
      ...about,
    });
  }
  const status = consentStatus(consent, facts.now);
  if (status === 'withdrawn') return refused({ reason: 'consent-withdrawn', ...about });
  if (status === 'expired') return refused({ reason: 'consent-expired', ...about });
  const uncovered = uncoveredFields(facts.person, facts.note, consent.dataCategories);
  if (uncovered.length > 0)
    return refused({ reason: 'data-categories-not-covered', errors: uncovered, ...about });

  let office: ServiceOffice;
  let serviceType: string;
  let routing: { ruleId: string; reason: string } | undefined;
  if (chosen) {
    if (!chosen.municipalities.includes(facts.person.address.municipality)) {
      return refused({
        reason: 'recipient-not-covering-municipality',
        errors: [{ field: 'forwardTo', reason: "does not cover the person's municipality" }],
        ...about,
      });
    }
    office = chosen;
    serviceType = chosen.type;
  } else {
    if (facts.openReferral) {
      const id = facts.openReferral.visibleId;
      return refused({
        reason: 'open-referral-exists',
        ...(id ? { facts: { existingReferralId: id } } : {}),
      });
    }
    const decision = routeReferral(
      {
        dateOfBirth: facts.person.dateOfBirth,
        municipality: facts.person.address.municipality,
        residenceStatus: facts.person.residenceStatus ?? 'other',
        housing: facts.person.housing ?? 'other',
        languages: [...(facts.person.languages ?? [])],
        consentScope: consent.scope,
        ...(consent.scope.providerIds[0] !== undefined
          ? { preferredProviderId: consent.scope.providerIds[0] }
          : {}),
        referralDate: berlinDateOf(facts.now),
        openReferralCounts: Object.fromEntries(
          [...facts.offices].map(([id, s]) => [id, Math.max(0, s.openReferrals)]),
        ),
      },
      directory,
    );
    if (decision.kind === 'refused') {
      return refused({
        reason: decision.reason,
        explanation: decision.message,
        facts: { directoryVersion: decision.directoryVersion },
      });
    }
    office = decision.office;
    serviceType = decision.serviceType;
    routing = { ruleId: decision.ruleId, reason: decision.reason };
  }

  const covered = coverage(
    consent,
    {
      subjectId: facts.subjectId,
      serviceType,
      providerId: office.providerId,
      purpose: purposeFor(serviceType),
      dataCategories: facts.dataCategories,
    },
    facts.now,
  );
  if (!covered.ok) {
    return refused({
      reason: covered.reasons[0]!,
      explanation: `The consent does not cover a transfer to ${office.id} (${covered.reasons.join(', ')}).`,
      serviceOfficeId: office.id,
    });
  }
  const keySet = facts.offices.get(office.id)?.keySet;
  const key = keySet ? currentKey(keySet) : undefined;
  if (!key) {
    return refused({
      reason: 'recipient-key-missing',
      explanation: `The service office ${office.id} has not published an encryption key yet; it cannot receive referrals.`,
      serviceOfficeId: office.id,
    });
  }
  return { ok: true, office, serviceType, key, consent, ...(routing ? { routing } : {}) };
}
