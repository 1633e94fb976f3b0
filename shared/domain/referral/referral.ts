import { randomBytes } from 'node:crypto';
import type { DataCategory, Purpose } from '#shared/domain/data-categories.ts';
import type { FieldIssue } from '#shared/domain/errors.ts';
import { type SubjectId, subjectIdFor } from '#shared/domain/pseudonym.ts';
import { PERSON_FIELD_CATEGORIES, type ReferralPerson } from '#shared/schemas/referral.ts';

/**
 * Referral ids: `ref_` + 26 lower-case Crockford base32 characters, 48 bits of
 * milliseconds then 80 random bits, so ids sort by creation time. (ULID's layout; the
 * ten lines are written here rather than adding a dependency.)
 */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
export function newReferralId(now: Date): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD[random[i]! % 32];
  return `ref_${head}${tail}`;
}

/** The data categories a person record carries, in the closed list's order. */
export function categoriesOf(person: ReferralPerson, note?: string): DataCategory[] {
  const present = new Set<DataCategory>();
  for (const [field, value] of Object.entries(person)) {
    if (value === undefined) continue;
    present.add(PERSON_FIELD_CATEGORIES[field as keyof ReferralPerson]);
  }
  if (note !== undefined) present.add('needs');
  return [...present];
}

/** A field issue for every member whose category the consent does not name. */
export function uncoveredFields(
  person: ReferralPerson,
  note: string | undefined,
  consented: readonly DataCategory[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [field, value] of Object.entries(person)) {
    if (value === undefined) continue;
    const category = PERSON_FIELD_CATEGORIES[field as keyof ReferralPerson];
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
export function subjectIdOfPerson(person: ReferralPerson, secret: Uint8Array): SubjectId {
  return subjectIdFor(
    {
      ...(person.azrNumber !== undefined ? { azrNumber: person.azrNumber } : {}),
      familyName: person.familyName,
      givenNames: person.givenNames,
      dateOfBirth: person.dateOfBirth,
      ...(person.nationality !== undefined ? { nationality: person.nationality } : {}),
    },
    secret,
  );
}
