import type { DataCategory } from '#shared/domain/data-categories.ts';

/**
 * The data category of each member of the referred person (the API's ReferralPerson
 * has exactly these members; shared/schemas/referral.ts checks it at compile time).
 * A member whose category the consent does not name is refused, never dropped.
 */
export const PERSON_FIELD_CATEGORIES = {
  familyName: 'identity',
  givenNames: 'identity',
  dateOfBirth: 'identity',
  azrNumber: 'identity',
  sex: 'identity',
  nationality: 'nationality-and-languages',
  languages: 'nationality-and-languages',
  phone: 'contact',
  email: 'contact',
  address: 'address',
  housing: 'address',
  residenceStatus: 'residence-status',
  residenceTitle: 'residence-status',
  dateOfEntry: 'residence-status',
  family: 'family',
  educationAndWork: 'education-and-work',
  needs: 'needs',
} as const satisfies Record<string, DataCategory>;

export type PersonField = keyof typeof PERSON_FIELD_CATEGORIES;

/** What the domain reads of a referred person: its identity, its municipality, which members are present. */
export type PersonFacts = Partial<Record<PersonField, unknown>> & {
  readonly familyName: string;
  readonly givenNames: string;
  readonly dateOfBirth: string;
  readonly azrNumber?: string | undefined;
  readonly nationality?: string | undefined;
  readonly address: { readonly municipality: string };
};
