import { randomInt } from 'node:crypto';
import type { RecordConsentRequestInput } from '../../shared/schemas/consent.ts';

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
