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
