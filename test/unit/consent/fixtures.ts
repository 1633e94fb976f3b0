import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { newConsent } from '#shared/domain/consent/record.ts';
import type { RecordConsentRequest, RecordConsentRequestInput } from '#shared/schemas/consent.ts';
import { parseRecordConsentRequest } from '#shared/schemas/consent.ts';

export const SECRET = Buffer.alloc(32, 7);
export const OTHER_SECRET = Buffer.alloc(32, 8);

export const NOW = new Date('2026-03-02T12:00:00Z');
export const SUBJECT_ID = `sub_${'a'.repeat(64)}`;
export const AUTHORITY = 'authority:abh-lk-karlsruhe';

/** A complete, valid request body as a client would send it. */
export function requestBody(overrides: Partial<RecordConsentRequestInput> = {}): RecordConsentRequestInput {
  return {
    subject: {
      familyName: 'Müller',
      givenNames: 'Anna Maria',
      dateOfBirth: '1990-05-17',
      nationality: 'SYR',
    },
    givenBy: { role: 'subject' },
    givenAt: '2026-03-02T10:15:00+01:00',
    scope: { serviceTypes: ['MBE'], providerIds: ['caritas-karlsruhe'] },
    purposes: ['migration-counselling', 'contact-feedback'],
    dataCategories: ['identity', 'contact', 'needs'],
    evidence: {
      formId: 'rex-consent-mbe',
      formVersion: '2026-03',
      language: 'ar',
      sha256: 'b'.repeat(64),
    },
    ...overrides,
  };
}

export function request(overrides: Partial<RecordConsentRequestInput> = {}): RecordConsentRequest {
  return parseRecordConsentRequest(requestBody(overrides));
}

export function record(overrides: Partial<RecordConsentRequestInput> = {}): ConsentRecord {
  return newConsent(request(overrides), {
    id: 'con_0001abcd',
    subjectId: SUBJECT_ID,
    recordedBy: AUTHORITY,
    now: NOW,
  });
}

/** Runs `fn`, expecting it to throw; returns the error for assertions. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, none was thrown');
}
