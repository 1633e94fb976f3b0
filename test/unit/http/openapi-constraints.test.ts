import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { Cursor } from '#shared/schemas/audit.ts';
import { RecordConsentRequest } from '#shared/schemas/consent.ts';
import { FeedCursor, ReferralPerson, SubmitReferralRequest } from '#shared/schemas/referral.ts';

/**
 * The OpenAPI document states the constraints the service enforces: a request a client
 * generated from the document's schemas is accepted exactly when the service accepts it,
 * for the fields a schema-driven client or fuzzer varies. Each case is judged twice — by a
 * JSON Schema 2020-12 validator over the published document, and by the zod schema the
 * handler parses with — and the verdicts must agree.
 */

const doc = buildOpenApiDocument(operations, { version: 'test' });
// ajv-formats is CommonJS; under ESM its function arrives as the module's `default`.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const formatsModule = addFormatsModule as unknown as AddFormats & { default?: AddFormats };
const addFormats: AddFormats = formatsModule.default ?? formatsModule;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'rex', components: doc.components }, 'rex');
const published = (name: string) => ajv.compile({ $ref: `rex#/components/schemas/${name}` });

const consent = (overrides: Record<string, unknown> = {}, subject: Record<string, unknown> = {}) => ({
  subject: { azrNumber: '123456789012', dateOfBirth: '1990-05-17', ...subject },
  givenBy: { role: 'subject' },
  givenAt: '2026-03-02T10:15:00+01:00',
  scope: { serviceTypes: ['MBE'], providerIds: [] },
  purposes: ['migration-counselling'],
  dataCategories: ['identity', 'address'],
  evidence: { formId: 'rex-consent-mbe', formVersion: '2026-03', language: 'ar', sha256: 'b'.repeat(64) },
  ...overrides,
});

const person = (overrides: Record<string, unknown> = {}) => ({
  familyName: 'Haddad',
  givenNames: 'Amal',
  dateOfBirth: '1990-05-17',
  address: { municipality: '08215009' },
  ...overrides,
});

function verdicts(component: string, schema: z.ZodType, value: unknown) {
  return { document: published(component)(value), service: schema.safeParse(value).success };
}

describe('OpenAPI constraints agree with the service', () => {
  const consentCases: [string, unknown, boolean][] = [
    ['a valid consent', consent(), true],
    ['a scope with no entry', consent({ scope: { serviceTypes: [], providerIds: [] } }), false],
    ['a scope without lists', consent({ scope: {} }), false],
    ['a scope naming a provider only', consent({ scope: { providerIds: ['caritas-ka'] } }), true],
    ['a repeated data category', consent({ dataCategories: ['identity', 'identity'] }), false],
    ['a repeated service type', consent({ scope: { serviceTypes: ['MBE', 'MBE'] } }), false],
    [
      'no AZR number and no nationality',
      consent({}, { azrNumber: undefined, familyName: 'Haddad', givenNames: 'Amal' }),
      false,
    ],
    [
      'names and nationality instead of the AZR number',
      consent({}, { azrNumber: undefined, familyName: 'Haddad', givenNames: '', nationality: 'SYR' }),
      true,
    ],
    [
      'a family name of punctuation only',
      consent({}, { azrNumber: undefined, familyName: '--', givenNames: '', nationality: 'SYR' }),
      false,
    ],
    [
      'an unassigned nationality code',
      consent({}, { azrNumber: undefined, familyName: 'Haddad', givenNames: '', nationality: 'QQQ' }),
      false,
    ],
    [
      'a form language in upper case',
      consent({ evidence: { ...consent().evidence, language: 'AR' } }),
      false,
    ],
  ];
  it.each(consentCases)('POST /v1/consents: %s', (_name, value, accepted) => {
    expect(verdicts('RecordConsentRequest', RecordConsentRequest, value)).toEqual({
      document: accepted,
      service: accepted,
    });
  });

  const personCases: [string, unknown, boolean][] = [
    ['a valid person', person(), true],
    ['a blank family name', person({ familyName: '   ' }), false],
    ['an empty family name', person({ familyName: '' }), false],
    ['a blank street', person({ address: { municipality: '08215009', street: '  ' } }), false],
    ['languages in ISO 639-1', person({ languages: ['ar', 'de'] }), true],
    ['a language in upper case', person({ languages: ['DE'] }), false],
    ['an unassigned language code', person({ languages: ['qq'] }), false],
    ['a three-letter language code', person({ languages: ['deu'] }), false],
  ];
  it.each(personCases)('a referral person: %s', (_name, value, accepted) => {
    expect(verdicts('ReferralPerson', ReferralPerson, value)).toEqual({
      document: accepted,
      service: accepted,
    });
  });

  it('a whole referral body generated from the document is accepted', () => {
    const body = {
      consentId: 'con_01JQ0000000000000000000000',
      person: person(),
      caseReference: 'AZ 12/2026',
    };
    expect(verdicts('SubmitReferralRequest', SubmitReferralRequest, body)).toEqual({
      document: true,
      service: true,
    });
  });

  it('every two-letter string is a language for the document exactly when it is one for the service', () => {
    const languages = (doc.components?.schemas?.LanguageCode ?? {}) as { enum?: string[] };
    expect(languages.enum?.length).toBeGreaterThan(150);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z]{2}$/), (code) => {
        const value = person({ languages: [code] });
        const v = verdicts('ReferralPerson', ReferralPerson, value);
        expect(v.document).toBe(v.service);
      }),
      { numRuns: 300 },
    );
  });

  it('cursors are opaque tokens of a stated pattern that the service accepts as stated', () => {
    for (const [component, schema] of [
      ['AuditCursor', Cursor],
      ['ReferralFeedCursor', FeedCursor],
    ] as const) {
      const pattern = (doc.components?.schemas?.[component] as { pattern?: string } | undefined)?.pattern;
      expect(pattern, component).toMatch(/^\^.*\$$/);
      fc.assert(
        fc.property(fc.stringMatching(new RegExp(pattern!)), (token) => {
          expect(schema.safeParse(token).success).toBe(true);
        }),
        { numRuns: 100 },
      );
      expect(published(component)('not a cursor!')).toBe(false);
      expect(schema.safeParse('not a cursor!').success).toBe(false);
    }
  });
});
