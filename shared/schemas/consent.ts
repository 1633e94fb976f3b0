/**
 * The consent API contract: request and response bodies of /v1/consents. The same
 * schemas validate requests, type the code and generate the OpenAPI document.
 *
 * The request carries the person's identity only so that the platform can compute the
 * subject id (shared/domain/pseudonym.ts); the identity is never stored or logged.
 */
import * as z from 'zod';
import { isCalendarDate } from '#shared/domain/consent/calendar.ts';
import { isNationalityCode, NATIONALITY_CODES } from '#shared/domain/consent/nationality.ts';
import {
  ConsentEvidence,
  ConsentId,
  ConsentScope,
  ConsentStatus,
  distinctList,
  GivenByRole,
  WithdrawalReason,
} from '#shared/domain/consent/values.ts';
import { DataCategory, Purpose } from '#shared/domain/data-categories.ts';
import { parseOrThrow } from '#shared/domain/field-path.ts';
import { normaliseAzrNumber, SubjectId } from '#shared/domain/pseudonym.ts';

export {
  ConsentEvidence,
  ConsentId,
  ConsentScope,
  ConsentStatus,
  DataCategory,
  GivenByRole,
  Purpose,
  SubjectId,
  WithdrawalReason,
};

/** A schema-level message that still says "is required" when the field is absent. */
function requiredOr(message: string): z.core.$ZodErrorMap {
  return (issue) => (issue.input === undefined ? 'is required' : message);
}

/** A point in time with an explicit offset (RFC 3339), as sent by clients. */
const DateTimeWithOffset = z.iso.datetime({
  offset: true,
  error: requiredOr('must be a date-time with a time-zone offset (RFC 3339), e.g. 2026-03-02T10:15:00+01:00'),
});

/** A point in time in UTC, as the platform answers. */
const UtcDateTime = z.iso.datetime();

const EARLIEST_DATE_OF_BIRTH = '1900-01-01';

export const SubjectIdentity = z
  .strictObject({
    azrNumber: z
      .string()
      .max(32)
      .refine((s) => normaliseAzrNumber(s) !== undefined, { error: 'must be an AZR number of 12 digits' })
      .optional()
      .meta({
        description:
          'AZR number (Ausländerzentralregister): 12 digits, spaces ignored. When present, the subject id is derived from it.',
        example: '123456789012',
      }),
    familyName: z
      .string()
      .max(200)
      // A letter or digit: what the pseudonym's name normalisation keeps, stated as a pattern.
      .regex(/[\p{L}\p{N}]/u, { error: 'must contain a name' })
      .optional()
      .meta({ description: 'Family name as in the residence document. Required without an AZR number.' }),
    givenNames: z.string().max(200).optional().meta({
      description:
        'All given names in document order, separated by spaces; empty string when the person has none. Required without an AZR number.',
    }),
    dateOfBirth: z.iso
      .date({ error: requiredOr('must be a calendar date (YYYY-MM-DD)') })
      .refine((d) => !isCalendarDate(d) || d >= EARLIEST_DATE_OF_BIRTH, {
        error: 'must not be before 1900-01-01',
      })
      .meta({ description: 'Date of birth (YYYY-MM-DD); decides whether a guardian must sign.' }),
    nationality: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 3166-1 alpha-3 code in upper case' })
      // Only well-formed codes are looked up, so a malformed one yields one issue, not two.
      .refine((code) => !/^[A-Z]{3}$/.test(code) || isNationalityCode(code), {
        error: 'must be an ISO 3166-1 alpha-3 code in upper case',
      })
      .optional()
      .meta({
        description:
          'Nationality, ISO 3166-1 alpha-3 (also XKX, and XXA/XXB/XXC/XXX for stateless, refugee or unsettled). Required without an AZR number.',
        example: 'SYR',
        enum: [...NATIONALITY_CODES],
      }),
  })
  .superRefine(
    (identity, ctx) => {
      if (typeof identity !== 'object' || identity === null || identity.azrNumber !== undefined) return;
      for (const field of ['familyName', 'givenNames', 'nationality'] as const) {
        if (identity[field] === undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: 'is required when there is no AZR number' });
        }
      }
    },
    { when: () => true },
  )
  .meta({
    id: 'SubjectIdentity',
    anyOf: [{ required: ['azrNumber'] }, { required: ['familyName', 'givenNames', 'nationality'] }],
    description:
      'Who consents. Used only to compute the pseudonymous subject id; never stored. Give the AZR number, or family name, given names and nationality; the date of birth always.',
  });
export type SubjectIdentity = z.infer<typeof SubjectIdentity>;

export const GivenBy = z
  .strictObject({ role: GivenByRole })
  .meta({ id: 'GivenBy', description: 'Who signed the form. No name of a guardian is recorded.' });
export type GivenBy = z.infer<typeof GivenBy>;

const Purposes = distinctList(Purpose)
  .min(1, { error: 'must name at least one purpose' })
  .meta({ description: 'The specific purposes consented to.' });

const DataCategories = distinctList(DataCategory)
  .min(1, { error: 'must name at least one data category' })
  .meta({ description: 'The categories of personal data that may be passed on.' });

export const RecordConsentRequest = z
  .strictObject({
    subject: SubjectIdentity,
    givenBy: GivenBy,
    givenAt: DateTimeWithOffset.meta({
      description: 'When the form was signed; not in the future (5 minutes of clock difference tolerated).',
      example: '2026-03-02T10:15:00+01:00',
    }),
    validUntil: DateTimeWithOffset.optional().meta({
      description:
        'End of validity (exclusive); after givenAt. Without it the consent holds until withdrawn.',
    }),
    scope: ConsentScope,
    purposes: Purposes,
    dataCategories: DataCategories,
    evidence: ConsentEvidence,
  })
  .meta({
    id: 'RecordConsentRequest',
    description:
      'Body of POST /v1/consents: records a consent an authority has collected on a signed form. The recording authority comes from the credential.',
  });
/** The request as parsed (defaults applied). */
export type RecordConsentRequest = z.infer<typeof RecordConsentRequest>;
/** The request as a client writes it. */
export type RecordConsentRequestInput = z.input<typeof RecordConsentRequest>;

export const WithdrawConsentRequest = z
  .strictObject({
    reason: WithdrawalReason.optional(),
  })
  .meta({
    id: 'WithdrawConsentRequest',
    description:
      'Body of POST /v1/consents/{id}/withdrawal. The time of withdrawal is the platform’s; withdrawing again changes nothing.',
  });
export type WithdrawConsentRequest = z.infer<typeof WithdrawConsentRequest>;

export const ConsentView = z
  .strictObject({
    id: ConsentId,
    subjectId: SubjectId,
    givenBy: GivenBy,
    givenAt: UtcDateTime.meta({ description: 'When the form was signed (UTC).' }),
    validUntil: UtcDateTime.optional().meta({ description: 'End of validity (UTC, exclusive).' }),
    recordedBy: z.string().meta({
      description: 'The principal that recorded the consent.',
      example: 'authority:abh-lk-karlsruhe',
    }),
    recordedAt: UtcDateTime.meta({ description: 'When the platform recorded the consent (UTC).' }),
    scope: ConsentScope,
    purposes: Purposes,
    dataCategories: DataCategories,
    evidence: ConsentEvidence,
    status: ConsentStatus,
    withdrawnAt: UtcDateTime.optional().meta({ description: 'When the withdrawal was recorded (UTC).' }),
    withdrawnBy: z.string().optional().meta({
      description: 'The principal that recorded the withdrawal.',
      example: 'service:caritas-ka-mbe',
    }),
    withdrawalReason: WithdrawalReason.optional(),
  })
  .meta({
    id: 'ConsentView',
    description: 'A consent record as the API returns it. Holds no personal data.',
  });
export type ConsentView = z.infer<typeof ConsentView>;

/** Parses the body of POST /v1/consents; throws InvalidRequest naming every offending field. */
export function parseRecordConsentRequest(body: unknown): RecordConsentRequest {
  return parseOrThrow(RecordConsentRequest, body);
}

/** Parses the body of a withdrawal; an absent body counts as an empty one. */
export function parseWithdrawConsentRequest(body: unknown): WithdrawConsentRequest {
  return parseOrThrow(WithdrawConsentRequest, body ?? {});
}

// ---------------------------------------------------------------------------
// Consent form texts and the consent receipt (docs/consent.md)

const Words = z.strictObject({ de: z.string(), en: z.string() }).meta({
  id: 'Words',
  description: 'A text in German and English.',
});

export const ConsentFormTextSummary = z
  .strictObject({
    version: z.string().meta({ description: 'The version folder of the text.', example: '2026-12' }),
    language: z.string().meta({ description: 'ISO 639-1 code of the text’s language.', example: 'de' }),
    sha256: z.string().meta({ description: 'SHA-256 of the text file’s bytes (lowercase hex).' }),
    formVersion: z.string().meta({
      description: 'What a consent’s `evidence.formVersion` says to name this text: `sha256-<digest>`.',
    }),
  })
  .meta({ id: 'ConsentFormTextSummary', description: 'One consent form text of the deployment.' });
export type ConsentFormTextSummary = z.infer<typeof ConsentFormTextSummary>;

export const ConsentFormTextList = z
  .strictObject({ items: z.array(ConsentFormTextSummary) })
  .meta({ id: 'ConsentFormTextList', description: 'The consent form texts of the deployment.' });

export const ConsentFormTextView = ConsentFormTextSummary.extend({
  text: z.string().meta({ description: 'The text exactly as the file holds it (Markdown, UTF-8).' }),
}).meta({ id: 'ConsentFormTextView', description: 'A consent form text, exactly as signed.' });
export type ConsentFormTextView = z.infer<typeof ConsentFormTextView>;

export const ConsentFormDigestParams = z.strictObject({
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 digest in lowercase hex (64 characters)' }),
});

const Labelled = z.strictObject({ code: z.string(), label: Words });

export const ConsentReceipt = z
  .strictObject({
    receiptVersion: z.literal('1').meta({ description: 'Version of this receipt structure.' }),
    consentId: ConsentId,
    issuedAt: z.string().meta({ description: 'When this receipt was produced (ISO 8601, UTC).' }),
    languages: z
      .array(z.string())
      .meta({ description: 'The receipt’s languages: German, then the form’s or English.' }),
    jurisdiction: z.literal('DE'),
    legalBasis: Words,
    controller: z.strictObject({ authorityId: z.string(), name: z.string() }),
    subjectId: SubjectId,
    givenBy: z.strictObject({ role: z.string(), label: Words }),
    givenAt: z.string(),
    validUntil: z.string().nullable(),
    status: z.string(),
    purposes: z.array(Labelled),
    dataCategories: z.array(Labelled),
    recipients: z.strictObject({
      serviceTypes: z.array(z.strictObject({ code: z.string(), name: z.string() })),
      providers: z.array(z.strictObject({ id: z.string(), name: z.string() })),
    }),
    form: z.strictObject({
      formId: z.string(),
      formVersion: z.string(),
      language: z.string(),
      sha256: z.string(),
      text: ConsentFormTextSummary.nullable().meta({
        description: 'The form text the version names in the deployment’s library; null for a version label.',
      }),
    }),
    withdrawal: Words,
  })
  .meta({
    id: 'ConsentReceipt',
    description:
      'A receipt of a recorded consent for the person (the structure of ISO/IEC TS 27560 and the Kantara consent receipt): who holds it, what it covers, for how long, and how to withdraw it.',
  });
export type ConsentReceipt = z.infer<typeof ConsentReceipt>;
