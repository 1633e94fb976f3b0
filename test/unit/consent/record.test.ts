import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS, newConsent } from '#shared/domain/consent/index.ts';
import { Forbidden, UnprocessableContent } from '#shared/domain/errors.ts';
import type { RecordConsentRequestInput } from '#shared/schemas/consent.ts';
import { AUTHORITY, NOW, record, request, requestBody, SUBJECT_ID, thrown } from './fixtures.ts';

const ctx = { id: 'con_0001abcd', subjectId: SUBJECT_ID, recordedBy: AUTHORITY, now: NOW };

function ruleIssues(overrides: Partial<RecordConsentRequestInput>, now = NOW) {
  const error = thrown(() => newConsent(request(overrides), { ...ctx, now }));
  expect(error).toBeInstanceOf(UnprocessableContent);
  return [...(error as UnprocessableContent).issues];
}

function subjectBornOn(dateOfBirth: string, role: 'subject' | 'guardian', givenAt: string) {
  return { subject: { ...requestBody().subject, dateOfBirth }, givenBy: { role }, givenAt };
}

describe('newConsent', () => {
  it('builds the stored record', () => {
    expect(record()).toEqual({
      id: 'con_0001abcd',
      subjectId: SUBJECT_ID,
      givenByRole: 'subject',
      givenAt: '2026-03-02T09:15:00.000Z',
      recordedBy: AUTHORITY,
      scope: { serviceTypes: ['MBE'], providerIds: ['caritas-karlsruhe'] },
      purposes: ['migration-counselling', 'contact-feedback'],
      dataCategories: ['identity', 'contact', 'needs'],
      evidence: { formId: 'rex-consent-mbe', formVersion: '2026-03', language: 'ar', sha256: 'b'.repeat(64) },
      createdAt: NOW.toISOString(),
      version: 1,
    });
  });

  it('stores no personal data from the request', () => {
    const text = JSON.stringify(record());
    for (const value of ['Müller', 'Mueller', 'Anna', 'Maria', '1990-05-17', 'SYR']) {
      expect(text).not.toContain(value);
    }
  });

  it('stores lists in a canonical order', () => {
    const r = record({
      scope: { serviceTypes: ['JMD', 'IM'], providerIds: ['drk-ka', 'awo-ka'] },
      purposes: ['contact-feedback', 'youth-migration-support'],
      dataCategories: ['needs', 'address', 'identity'],
    });
    expect(r.scope).toEqual({ serviceTypes: ['IM', 'JMD'], providerIds: ['awo-ka', 'drk-ka'] });
    expect(r.purposes).toEqual(['youth-migration-support', 'contact-feedback']);
    expect(r.dataCategories).toEqual(['identity', 'address', 'needs']);
  });

  it('keeps validUntil, in UTC', () => {
    expect(record({ validUntil: '2027-03-02T00:00:00+01:00' }).validUntil).toBe('2027-03-01T23:00:00.000Z');
  });

  describe('givenAt', () => {
    it('may lie up to the tolerated clock difference ahead', () => {
      const givenAt = new Date(NOW.getTime() + CLOCK_SKEW_MS).toISOString();
      expect(record({ givenAt }).givenAt).toBe(givenAt);
    });

    it('must not lie further in the future', () => {
      const givenAt = new Date(NOW.getTime() + CLOCK_SKEW_MS + 1000).toISOString();
      expect(ruleIssues({ givenAt })).toEqual([{ field: 'givenAt', reason: 'must not be in the future' }]);
    });
  });

  describe('validUntil', () => {
    it('must be after givenAt, not equal to it', () => {
      const givenAt = '2026-03-02T10:15:00+01:00';
      expect(ruleIssues({ givenAt, validUntil: '2026-03-02T09:15:00Z' })).toEqual([
        { field: 'validUntil', reason: 'must be after givenAt' },
      ]);
      expect(ruleIssues({ givenAt, validUntil: '2026-03-01T09:15:00Z' })).toEqual([
        { field: 'validUntil', reason: 'must be after givenAt' },
      ]);
    });

    it('must not have passed when the consent is recorded', () => {
      expect(ruleIssues({ givenAt: '2026-01-01T10:00:00Z', validUntil: '2026-02-01T10:00:00Z' })).toEqual([
        { field: 'validUntil', reason: 'must not have passed already' },
      ]);
    });

    it('one millisecond after givenAt and after now is accepted', () => {
      const givenAt = NOW.toISOString();
      const validUntil = new Date(NOW.getTime() + 1).toISOString();
      expect(record({ givenAt, validUntil }).validUntil).toBe(validUntil);
    });
  });

  describe('the guardian rule (under 16 at signing)', () => {
    const signedAt = '2026-03-02T10:15:00+01:00';

    it('lets a subject who turns 16 on the day of signing consent', () => {
      expect(record(subjectBornOn('2010-03-02', 'subject', signedAt)).givenByRole).toBe('subject');
    });

    it('requires the guardian the day before the 16th birthday', () => {
      expect(ruleIssues(subjectBornOn('2010-03-03', 'subject', signedAt))).toEqual([
        { field: 'givenBy.role', reason: "a subject under 16 at signing needs a legal guardian's consent" },
      ]);
    });

    it('accepts the guardian for a child', () => {
      expect(record(subjectBornOn('2014-06-01', 'guardian', signedAt)).givenByRole).toBe('guardian');
    });

    it('accepts a guardian for an adult too', () => {
      expect(record(subjectBornOn('1990-06-01', 'guardian', signedAt)).givenByRole).toBe('guardian');
    });

    it('counts the calendar date in Germany, not in UTC', () => {
      // 23:30 UTC on 1 March is 00:30 on 2 March in Berlin: the 16th birthday.
      expect(record(subjectBornOn('2010-03-02', 'subject', '2026-03-01T23:30:00Z')).givenByRole).toBe(
        'subject',
      );
      // 22:30 UTC on 1 March is 23:30 on 1 March in Berlin: still 15.
      expect(
        ruleIssues(subjectBornOn('2010-03-02', 'subject', '2026-03-01T22:30:00Z')).map((i) => i.field),
      ).toEqual(['givenBy.role']);
    });

    it('counts summer time in Germany', () => {
      // 22:30 UTC on 1 July is 00:30 on 2 July in Berlin (UTC+2).
      const now = new Date('2026-07-02T12:00:00Z');
      const r = newConsent(request(subjectBornOn('2010-07-02', 'subject', '2026-07-01T22:30:00Z')), {
        ...ctx,
        now,
      });
      expect(r.givenByRole).toBe('subject');
    });

    it('refuses a date of birth after the signing', () => {
      expect(ruleIssues(subjectBornOn('2026-03-03', 'guardian', signedAt))).toEqual([
        { field: 'subject.dateOfBirth', reason: 'must not be after the date of signing' },
      ]);
    });
  });

  it('reports every broken rule at once, without values', () => {
    const givenAt = new Date(NOW.getTime() + 60 * 60 * 1000).toISOString();
    const issues = ruleIssues({ ...subjectBornOn('2012-01-01', 'subject', givenAt), validUntil: givenAt });
    expect(issues.map((i) => i.field)).toEqual(['givenAt', 'validUntil', 'givenBy.role']);
    expect(JSON.stringify(issues)).not.toContain('2012-01-01');
  });

  it('is recorded by an authority only', () => {
    for (const recordedBy of ['service:caritas-ka-mbe', 'dpo:lk-karlsruhe', 'operator', 'nobody']) {
      expect(thrown(() => newConsent(request(), { ...ctx, recordedBy }))).toBeInstanceOf(Forbidden);
    }
  });

  it('refuses a malformed subject id from the caller', () => {
    expect(() => newConsent(request(), { ...ctx, subjectId: 'Müller' })).toThrow();
  });
});
