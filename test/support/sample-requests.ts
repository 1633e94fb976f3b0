import { randomInt } from 'node:crypto';
import type { RecordConsentRequestInput } from '#shared/schemas/consent.ts';

/** Canary personal data: must never appear outside the ciphertext. */
export const CANARY = {
  familyName: 'Zqxwvcanaryfam',
  givenNames: 'Plorbcanarygiv',
  phone: '+49 171 5550199',
  street: 'Canarystraße 1',
} as const;

/** Bruchsal's municipality key (AGS): routed to the MBE and JMD offices there. */
export const BRUCHSAL = '08215009';

/** A random, well-formed AZR number (12 digits). */
export const randomAzrNumber = (): string => `${randomInt(100_000, 999_999)}${randomInt(100_000, 999_999)}`;

/**
 * A consent request as an authority's software sends it: given by the person an hour
 * ago on the paper form, for every service type, purpose and data category unless
 * `overrides` narrows it (top-level members are replaced whole).
 */
export function consentRequest(
  subject: { azrNumber: string; dateOfBirth: string },
  overrides: Partial<RecordConsentRequestInput> = {},
): RecordConsentRequestInput {
  return {
    subject: { azrNumber: subject.azrNumber, dateOfBirth: subject.dateOfBirth },
    givenBy: { role: 'subject' },
    givenAt: new Date(Date.now() - 3_600_000).toISOString(),
    scope: { serviceTypes: ['MBE', 'JMD', 'IM'], providerIds: [] },
    purposes: ['migration-counselling', 'youth-migration-support', 'integration-management'],
    dataCategories: ['identity', 'contact', 'address', 'nationality-and-languages', 'needs'],
    evidence: { formId: 'rex-consent', formVersion: '2026-03', language: 'de', sha256: 'a'.repeat(64) },
    ...overrides,
  };
}

/**
 * A referral request for a person living in Bruchsal, under `consentId`, with canary
 * contact data; `extra` adds or replaces members of `person`.
 */
export function referralRequest(
  consentId: string,
  person: { azrNumber: string; familyName: string; givenNames: string; dateOfBirth: string },
  extra: Record<string, unknown> = {},
) {
  return {
    consentId,
    caseReference: 'ABH-2026/0042',
    person: {
      ...person,
      nationality: 'SYR',
      languages: ['ar', 'de'],
      phone: CANARY.phone,
      address: { street: CANARY.street, postalCode: '76646', city: 'Bruchsal', municipality: BRUCHSAL },
      ...extra,
    },
    note: 'Needs help with the recognition of a qualification.',
  };
}
