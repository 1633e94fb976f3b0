import type { DataCategory, Purpose } from '#shared/domain/data-categories.ts';
import type { FieldIssue } from '#shared/domain/errors.ts';
import { timeOrderedId } from '#shared/domain/ids.ts';
import { type SubjectId, subjectIdFor } from '#shared/domain/pseudonym.ts';
import type { ErasureRequest } from './erasure.ts';
import type { ReferralStatus } from './lifecycle.ts';
import { PERSON_FIELD_CATEGORIES, type PersonFacts, type PersonField } from './person.ts';

/** One step of a referral's life, as its history records it. */
export interface HistoryEntry {
  readonly status: ReferralStatus;
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
  /** On a decline with forwarding: the new referral's id. */
  readonly forwardedTo?: string;
}

/** A referral: metadata and ciphertext, no personal data in plaintext. */
export interface ReferralRecord {
  readonly referralId: string;
  readonly status: ReferralStatus;
  readonly subjectId: string;
  readonly consentId: string;
  readonly authorityId: string;
  readonly serviceOfficeId: string;
  readonly serviceType: string;
  readonly providerId: string;
  readonly purpose: string;
  readonly dataCategories: readonly string[];
  readonly caseReference: string;
  readonly createdAt: string;
  /**
   * When anything the feed shows last changed (status, history, next deadline): the sort
   * key of the feed indexes. Absent on referrals stored before it existed (`updatedAtOf`).
   */
  readonly updatedAt?: string;
  readonly receivedAt?: string;
  readonly history: readonly HistoryEntry[];
  readonly reAnnouncements: number;
  /** Compact JWE; removed when its deadline passes or the referral is revoked. */
  readonly ciphertext?: string;
  readonly kid?: string;
  /** Optimistic concurrency: every change increments it and is conditional on it. */
  readonly version: number;
  /** Made by forwarding: the declined referral and its office. */
  readonly forwardedFrom?: string;
  readonly forwardedFromOfficeId?: string;
  /** Declined and forwarded: the new referral and its office. */
  readonly forwardedTo?: string;
  readonly forwardedToOfficeId?: string;
  /** After receipt: the erasure asked of the office and its confirmation (erasure.ts). */
  readonly erasure?: ErasureRequest;
}

/** Referral ids: `ref_` + 26 lower-case characters in the ULID layout (ids.ts). */
export function newReferralId(now: Date): string {
  return `ref_${timeOrderedId(now).toLowerCase()}`;
}

const categoryOf = (field: string): DataCategory => PERSON_FIELD_CATEGORIES[field as PersonField];

/** The data categories a person record carries, in the closed list's order. */
export function categoriesOf(person: PersonFacts, note?: string): DataCategory[] {
  const present = new Set<DataCategory>();
  for (const [field, value] of Object.entries(person)) {
    if (value !== undefined) present.add(categoryOf(field));
  }
  if (note !== undefined) present.add('needs');
  return [...present];
}

/** A field issue for every member whose category the consent does not name. */
export function uncoveredFields(
  person: PersonFacts,
  note: string | undefined,
  consented: readonly DataCategory[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [field, value] of Object.entries(person)) {
    if (value === undefined) continue;
    const category = categoryOf(field);
    if (!consented.includes(category)) {
      issues.push({
        field: `person.${field}`,
        reason: `the consent does not cover the data category ${category}`,
      });
    }
  }
  if (note !== undefined && !consented.includes('needs')) {
    issues.push({ field: 'note', reason: 'the consent does not cover the data category needs' });
  }
  return issues;
}

/** The purpose a referral to a service type serves. */
export function purposeFor(serviceType: string): Purpose {
  switch (serviceType) {
    case 'JMD':
      return 'youth-migration-support';
    case 'IM':
      return 'integration-management';
    default:
      return 'migration-counselling';
  }
}

/** The subject id of a referred person, computed as the consent's was (docs/consent.md). */
export function subjectIdOfPerson(person: PersonFacts, secret: Uint8Array): SubjectId {
  return subjectIdFor(
    {
      ...(person.azrNumber !== undefined ? { azrNumber: person.azrNumber } : {}),
      familyName: person.familyName,
      givenNames: person.givenNames,
      dateOfBirth: person.dateOfBirth,
      ...(person.nationality !== undefined ? { nationality: person.nationality } : {}),
    },
    secret,
    'person',
  );
}

/** When a referral last changed: `updatedAt`, or for older items the time of its last status. */
export function updatedAtOf(r: Pick<ReferralRecord, 'updatedAt' | 'history' | 'createdAt'>): string {
  return r.updatedAt ?? r.history.at(-1)?.at ?? r.createdAt;
}
