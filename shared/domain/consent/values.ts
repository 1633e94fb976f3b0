/**
 * The parts a consent is built from, shared by the API contract (shared/schemas/consent.ts)
 * and the stored record (./record.ts).
 */
import * as z from 'zod';
import { ISO_639_1_CODES } from '#shared/domain/directory/languages.ts';
import { ServiceTypeCodeSchema, SLUG_PATTERN } from '#shared/domain/directory/schema.ts';

/** Tolerated clock difference between the recording system and the platform. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Below this age at signing, only a legal guardian can give the consent. */
export const GUARDIAN_REQUIRED_BELOW_AGE = 16;

export const ConsentId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'must be a consent id' })
  .meta({ id: 'ConsentId', description: 'Identifier of a consent record, assigned by the platform.' });
export type ConsentId = z.infer<typeof ConsentId>;

/** A directory id (authority, provider, service office), as the directory defines it. */
export const DirectoryId = z
  .string()
  .regex(SLUG_PATTERN, { error: 'must be a directory id (a-z, 0-9 and -, 2 to 48 characters)' });

/** A service type as the directory defines it, e.g. MBE, JMD, IM. */
export const ServiceTypeCode = ServiceTypeCodeSchema.meta({
  id: 'ServiceTypeCode',
  description:
    'A service type of the directory: MBE (Migrationsberatung für erwachsene Zuwanderer), JMD (Jugendmigrationsdienst), IM (Integrationsmanagement), or another type the directory defines.',
  example: 'MBE',
});
export type ServiceTypeCode = z.infer<typeof ServiceTypeCode>;

export const GIVEN_BY_ROLES = ['subject', 'guardian'] as const;
export const GivenByRole = z.enum(GIVEN_BY_ROLES).meta({
  id: 'GivenByRole',
  description: 'Who signed: the person themself, or their legal guardian (required under 16 at signing).',
});
export type GivenByRole = z.infer<typeof GivenByRole>;

export const CONSENT_STATUSES = ['active', 'withdrawn', 'expired'] as const;
export const ConsentStatus = z.enum(CONSENT_STATUSES).meta({
  id: 'ConsentStatus',
  description:
    'Evaluated at the time of the response: withdrawn, expired (past validUntil), otherwise active.',
});
export type ConsentStatus = z.infer<typeof ConsentStatus>;

export const WITHDRAWAL_REASONS = [
  'subject-request',
  'guardian-request',
  'recorded-in-error',
  'other',
] as const;
export const WithdrawalReason = z.enum(WITHDRAWAL_REASONS).meta({
  id: 'WithdrawalReason',
  description:
    'Why the consent was withdrawn: the person asked, their guardian asked, the record was made in error, or another reason.',
});
export type WithdrawalReason = z.infer<typeof WithdrawalReason>;

/**
 * A list whose entries must each occur once. Every repeat is reported at its own index
 * (`dataCategories[2]`), and also when other entries are invalid: a plain `.refine` runs
 * only on a list whose entries all parsed, so a list with both an unknown and a repeated
 * entry would name only the unknown one.
 */
export function distinctList<T extends z.ZodType>(entry: T) {
  return z
    .array(entry)
    .meta({ uniqueItems: true })
    .superRefine(
      (items, ctx) => {
        if (!Array.isArray(items)) return;
        const seen = new Set<unknown>();
        items.forEach((item: unknown, index: number) => {
          if (seen.has(item))
            ctx.addIssue({ code: 'custom', path: [index], message: 'must not repeat an entry' });
          seen.add(item);
        });
      },
      { when: () => true },
    );
}

/**
 * The recipients' lists of a consent scope, with their limits: one definition for the
 * consent and for routing. A consent must name at least one entry (ConsentScope); a
 * routing question may ask about an empty scope (it allows no office).
 */
export const ConsentScopeLists = z.strictObject({
  serviceTypes: distinctList(ServiceTypeCode)
    .max(20)
    .default([])
    .meta({ description: 'Service types any office of which may receive the data.' }),
  providerIds: distinctList(DirectoryId)
    .max(50)
    .default([])
    .meta({ description: 'Named providers (directory ids) whose offices may receive the data.' }),
});

export const ConsentScope = ConsentScopeLists.superRefine(
  (scope, ctx) => {
    const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
    if (count(scope?.serviceTypes) + count(scope?.providerIds) === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one service type or provider' });
    }
  },
  { when: () => true },
).meta({
  id: 'ConsentScope',
  // "At least one entry overall", stated for generated clients and schema-driven tests.
  anyOf: [
    { required: ['serviceTypes'], properties: { serviceTypes: { minItems: 1 } } },
    { required: ['providerIds'], properties: { providerIds: { minItems: 1 } } },
  ],
  description:
    'Who may receive the data: offices of the listed service types, or of the listed providers. At least one entry overall.',
});
export type ConsentScope = z.infer<typeof ConsentScope>;

export const ConsentEvidence = z
  .strictObject({
    formId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'must be a form id (letters, digits, . _ -)' })
      .meta({ description: 'Identifier of the consent form used.', example: 'rex-consent-mbe' }),
    formVersion: z
      .string()
      // A version label (consents from before the form library), or `sha256-<digest>` of
      // the exact form text in consent-forms/ (docs/consent.md, "Consent form texts").
      .regex(/^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,31}|sha256-[0-9a-f]{64})$/, {
        error: 'must be a form version (letters, digits, . _ -) or sha256-<64 hex digits> of a form text',
      })
      .meta({
        description:
          'Version of the consent form: `sha256-<digest>` of the form text in the deployment’s consent-forms library (checked when recorded), or a version label.',
        example: 'sha256-a161e14437014e45d26ef71a6cf8915d330d5ce786e1133c9b7751e722151874',
      }),
    language: z
      .string()
      .regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 language code in lower case' })
      // Only well-formed codes are looked up, so a malformed one yields one issue, not two.
      .refine((code) => !/^[a-z]{2}$/.test(code) || ISO_639_1_CODES.has(code), {
        error: 'must be an ISO 639-1 language code in lower case',
      })
      .meta({ description: 'Language of the signed form (ISO 639-1).', example: 'ar' }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 digest in lowercase hex (64 characters)' })
      .meta({
        description: 'SHA-256 of the signed form as filed by the authority; the form itself is never sent.',
      }),
  })
  .meta({
    id: 'ConsentEvidence',
    description:
      'What proves the consent (GDPR Art. 7(1)): the form, its version and language, and its digest.',
  });
export type ConsentEvidence = z.infer<typeof ConsentEvidence>;
