import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { InvalidRequest } from '#shared/domain/errors.ts';
import {
  ConsentView,
  parseRecordConsentRequest,
  parseWithdrawConsentRequest,
  RecordConsentRequest,
  WithdrawConsentRequest,
} from '#shared/schemas/consent.ts';
import { requestBody, thrown } from './fixtures.ts';

function issuesOf(body: unknown): { field: string; reason: string }[] {
  const error = thrown(() => parseRecordConsentRequest(body));
  expect(error).toBeInstanceOf(InvalidRequest);
  return [...(error as InvalidRequest).issues];
}

function fieldsOf(body: unknown): string[] {
  return issuesOf(body).map((i) => i.field);
}

describe('RecordConsentRequest', () => {
  it('accepts a complete request and fills absent scope lists', () => {
    const body = requestBody({ scope: { serviceTypes: ['JMD'] } });
    const parsed = parseRecordConsentRequest(body);
    expect(parsed.scope).toEqual({ serviceTypes: ['JMD'], providerIds: [] });
    expect(parsed.subject.familyName).toBe('Müller');
  });

  it('accepts an AZR number without names', () => {
    const parsed = parseRecordConsentRequest(
      requestBody({ subject: { azrNumber: '1234 5678 9012', dateOfBirth: '2001-01-31' } }),
    );
    expect(parsed.subject.azrNumber).toBe('1234 5678 9012');
  });

  it('requires names and nationality without an AZR number', () => {
    expect(fieldsOf(requestBody({ subject: { dateOfBirth: '2001-01-31' } }))).toEqual([
      'subject.familyName',
      'subject.givenNames',
      'subject.nationality',
    ]);
  });

  it('always requires the date of birth', () => {
    expect(issuesOf(requestBody({ subject: { azrNumber: '123456789012' } as never }))).toEqual([
      { field: 'subject.dateOfBirth', reason: 'is required' },
    ]);
  });

  it.each(['2023-02-30', '2023-02-29', '1990-5-17', '17.05.1990', '1990-05-17T00:00:00Z', '1899-12-31'])(
    'refuses the date of birth %j',
    (dateOfBirth) => {
      expect(fieldsOf(requestBody({ subject: { ...requestBody().subject, dateOfBirth } }))).toEqual([
        'subject.dateOfBirth',
      ]);
    },
  );

  it('accepts 29 February of a leap year', () => {
    expect(
      parseRecordConsentRequest(
        requestBody({ subject: { ...requestBody().subject, dateOfBirth: '2000-02-29' } }),
      ).subject.dateOfBirth,
    ).toBe('2000-02-29');
  });

  it.each(['syr', 'SY', 'SYRIA', 'ABC'])('refuses the nationality %j', (nationality) => {
    expect(fieldsOf(requestBody({ subject: { ...requestBody().subject, nationality } }))).toEqual([
      'subject.nationality',
    ]);
  });

  it.each(['XXA', 'XKX', 'DEU'])('accepts the nationality %j', (nationality) => {
    expect(
      parseRecordConsentRequest(requestBody({ subject: { ...requestBody().subject, nationality } })),
    ).toBeTruthy();
  });

  it('refuses a family name that is blank after normalisation', () => {
    expect(fieldsOf(requestBody({ subject: { ...requestBody().subject, familyName: " - ' " } }))).toEqual([
      'subject.familyName',
    ]);
  });

  it.each(['2026-03-02T10:15:00', '2026-03-02', 'yesterday', '2026-02-30T10:00:00Z'])(
    'refuses givenAt %j (an offset is required)',
    (givenAt) => {
      expect(fieldsOf(requestBody({ givenAt }))).toEqual(['givenAt']);
    },
  );

  it('refuses an empty scope', () => {
    expect(fieldsOf(requestBody({ scope: { serviceTypes: [], providerIds: [] } }))).toEqual(['scope']);
    expect(fieldsOf(requestBody({ scope: {} }))).toEqual(['scope']);
  });

  it('refuses malformed scope entries', () => {
    expect(fieldsOf(requestBody({ scope: { serviceTypes: ['mbe'], providerIds: ['Caritas KA'] } }))).toEqual([
      'scope.serviceTypes[0]',
      'scope.providerIds[0]',
    ]);
  });

  it('refuses unknown, empty and repeated purposes and categories', () => {
    expect(fieldsOf(requestBody({ purposes: [], dataCategories: [] }))).toEqual([
      'purposes',
      'dataCategories',
    ]);
    expect(
      fieldsOf(requestBody({ purposes: ['everything' as never], dataCategories: ['health' as never] })),
    ).toEqual(['purposes[0]', 'dataCategories[0]']);
    expect(
      fieldsOf(
        requestBody({
          purposes: ['contact-feedback', 'contact-feedback'],
          dataCategories: ['needs', 'needs'],
        }),
      ),
    ).toEqual(['purposes[1]', 'dataCategories[1]']);
    // A repeat is reported beside an unknown entry of the same list, each at its index.
    expect(fieldsOf(requestBody({ dataCategories: ['needs', 'health' as never, 'needs'] }))).toEqual([
      'dataCategories[1]',
      'dataCategories[2]',
    ]);
  });

  it('refuses malformed evidence', () => {
    const evidence = { formId: '', formVersion: 'v 1', language: 'ara', sha256: 'B'.repeat(64) };
    expect(fieldsOf(requestBody({ evidence }))).toEqual([
      'evidence.formId',
      'evidence.formVersion',
      'evidence.language',
      'evidence.sha256',
    ]);
    expect(fieldsOf(requestBody({ evidence: { ...requestBody().evidence, language: 'xx' } }))).toEqual([
      'evidence.language',
    ]);
  });

  it('refuses unknown properties at every level, one issue each', () => {
    const body = {
      ...requestBody(),
      subjectId: 'sub_x',
      recordedBy: 'authority:other',
      subject: { ...requestBody().subject, placeOfBirth: 'Aleppo' },
      givenBy: { role: 'guardian', name: 'Jane Doe' },
      evidence: { ...requestBody().evidence, scan: 'data:application/pdf;base64,AAAA' },
    };
    expect(issuesOf(body)).toEqual(
      expect.arrayContaining([
        { field: 'subjectId', reason: 'unknown property' },
        { field: 'recordedBy', reason: 'unknown property' },
        { field: 'subject.placeOfBirth', reason: 'unknown property' },
        { field: 'givenBy.name', reason: 'unknown property' },
        { field: 'evidence.scan', reason: 'unknown property' },
      ]),
    );
    expect(issuesOf(body)).toHaveLength(5);
  });

  it('names every offending field at once and never repeats a value', () => {
    const body = {
      subject: { familyName: 'Müller', dateOfBirth: '2023-02-30', nationality: 'Syrien' },
      givenBy: { role: 'mother' },
      givenAt: 'soon',
      scope: {},
      purposes: [],
      dataCategories: ['identity', 'health'],
      evidence: { formId: 'f', formVersion: '1', language: 'de' },
    };
    const issues = issuesOf(body);
    expect(issues.map((i) => i.field)).toEqual([
      'subject.dateOfBirth',
      'subject.nationality',
      'subject.givenNames',
      'givenBy.role',
      'givenAt',
      'scope',
      'purposes',
      'dataCategories[1]',
      'evidence.sha256',
    ]);
    const text = JSON.stringify(issues);
    for (const value of ['Müller', '2023-02-30', 'Syrien', 'mother', 'soon', 'health']) {
      expect(text).not.toContain(value);
    }
  });

  it('refuses a body that is not an object', () => {
    expect(issuesOf(null)).toEqual([{ field: '(body)', reason: 'must be of type object' }]);
    expect(fieldsOf([])).toEqual(['(body)']);
  });
});

describe('WithdrawConsentRequest', () => {
  it('accepts an empty or absent body and a known reason', () => {
    expect(parseWithdrawConsentRequest(undefined)).toEqual({});
    expect(parseWithdrawConsentRequest({})).toEqual({});
    expect(parseWithdrawConsentRequest({ reason: 'subject-request' })).toEqual({ reason: 'subject-request' });
  });

  it('refuses an unknown reason and a client-chosen time', () => {
    const error = thrown(() =>
      parseWithdrawConsentRequest({ reason: 'changed-mind', withdrawnAt: '2026-01-01T00:00:00Z' }),
    );
    expect((error as InvalidRequest).issues.map((i) => i.field)).toEqual(['reason', 'withdrawnAt']);
  });
});

describe('JSON Schema rendering', () => {
  it('renders the request with descriptions and no additional properties', () => {
    const schema = z.toJSONSchema(RecordConsentRequest, { io: 'input' }) as {
      $defs: Record<string, { additionalProperties?: boolean; description?: string; required?: string[] }>;
    };
    const request = schema.$defs.RecordConsentRequest!;
    expect(request.additionalProperties).toBe(false);
    expect(request.description).toContain('POST /v1/consents');
    expect(request.required).toEqual(
      expect.arrayContaining([
        'subject',
        'givenBy',
        'givenAt',
        'scope',
        'purposes',
        'dataCategories',
        'evidence',
      ]),
    );
    expect(schema.$defs.SubjectIdentity?.required).toEqual(['dateOfBirth']);
    expect(Object.keys(schema.$defs)).toEqual(
      expect.arrayContaining(['DataCategory', 'Purpose', 'ConsentScope', 'ConsentEvidence', 'GivenByRole']),
    );
  });

  it('renders the withdrawal and the view', () => {
    expect(JSON.stringify(z.toJSONSchema(WithdrawConsentRequest, { io: 'input' }))).toContain(
      'WithdrawalReason',
    );
    const view = z.toJSONSchema(ConsentView, { io: 'output' }) as {
      $defs: Record<string, { required?: string[] }>;
    };
    expect(view.$defs.ConsentView?.required).toEqual(expect.arrayContaining(['id', 'subjectId', 'status']));
  });
});
