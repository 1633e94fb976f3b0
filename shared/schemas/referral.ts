import * as z from 'zod';
import { ConsentId } from '#shared/domain/consent/values.ts';
import { DataCategory } from '#shared/domain/data-categories.ts';
import { AgsSchema, LanguageCodeSchema, SlugSchema } from '#shared/domain/directory/schema.ts';
import {
  AUTHORITY_EVENT_TYPES,
  type AuthorityEvent,
  EVENT_ID_PATTERN,
} from '#shared/domain/referral/events.ts';
import { REFERRAL_STATUSES } from '#shared/domain/referral/lifecycle.ts';
import { PERSON_FIELD_CATEGORIES } from '#shared/domain/referral/person.ts';
import { HousingSchema, ResidenceStatusSchema } from '#shared/domain/routing/person-facts.ts';
import { SubjectIdentity } from './consent.ts';

/**
 * The person's data in a referral. Every member belongs to exactly one data category
 * (PERSON_FIELD_CATEGORIES); a member whose category the consent does not name is
 * refused, never dropped. This data is never stored or logged in plaintext: intake
 * encrypts it to the service office's key and keeps only the ciphertext.
 */
/**
 * A text of at most `max` characters that is not blank. The pattern says so in the OpenAPI
 * document too: `minLength` alone would let a generated client send "   ", which the
 * trimming then refuses.
 */
const shortText = (max: number) => z.string().regex(/\S/, { error: 'must not be blank' }).trim().max(max);

export const ReferralAddress = z
  .strictObject({
    street: shortText(200).optional(),
    postalCode: z
      .string()
      .regex(/^\d{5}$/, { error: 'must be a German postal code of 5 digits' })
      .optional(),
    city: shortText(120).optional(),
    /** Routing needs it: the official key (AGS) of the municipality of residence. */
    municipality: AgsSchema,
  })
  .meta({ id: 'ReferralAddress' });

export const ReferralPerson = z
  .strictObject({
    // identity
    familyName: shortText(200),
    givenNames: z
      .string()
      .trim()
      .max(200)
      .meta({ description: 'All given names; empty when the person has none.' }),
    dateOfBirth: SubjectIdentity.shape.dateOfBirth,
    azrNumber: SubjectIdentity.shape.azrNumber,
    sex: z.enum(['female', 'male', 'diverse', 'unspecified']).optional(),
    // nationality-and-languages
    nationality: SubjectIdentity.shape.nationality,
    languages: z
      .array(LanguageCodeSchema)
      .max(20)
      .optional()
      .meta({ description: 'In order of preference.' }),
    // contact
    phone: z
      .string()
      .regex(/^\+?[0-9][0-9 ()/-]{4,30}$/, { error: 'must be a telephone number' })
      .optional(),
    email: z.email({ error: 'must be an e-mail address' }).max(254).optional(),
    // address
    address: ReferralAddress,
    housing: HousingSchema.optional().meta({
      description: '`anschlussunterbringung` for municipal follow-up housing of refugees.',
    }),
    // residence-status
    residenceStatus: ResidenceStatusSchema.optional(),
    residenceTitle: shortText(120).optional(),
    dateOfEntry: z.iso.date().optional(),
    // family
    family: z
      .strictObject({
        maritalStatus: z
          .enum(['single', 'married', 'partnership', 'separated', 'divorced', 'widowed'])
          .optional(),
        householdSize: z.int().min(1).max(30).optional(),
        children: z.int().min(0).max(30).optional(),
      })
      .optional(),
    // education-and-work
    educationAndWork: z
      .strictObject({
        schooling: shortText(200).optional(),
        vocationalTraining: shortText(200).optional(),
        employment: shortText(200).optional(),
        germanLevel: z.enum(['none', 'A1', 'A2', 'B1', 'B2', 'C1', 'C2']).optional(),
      })
      .optional(),
    // needs
    needs: z
      .strictObject({
        topics: z.array(SlugSchema).max(30).optional(),
        note: z.string().trim().max(2000).optional(),
      })
      .optional(),
  })
  .meta({
    id: 'ReferralPerson',
    description: 'The person referred. Encrypted at intake; never stored in plaintext.',
  });
export type ReferralPerson = z.infer<typeof ReferralPerson>;

/** The data category of each member of the person: the domain's table, which names exactly these members. */
export { PERSON_FIELD_CATEGORIES };

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const _personFieldsCategorised: SameKeys<ReferralPerson, typeof PERSON_FIELD_CATEGORIES> = true;
void _personFieldsCategorised;

export const CaseReference = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ./_-]{0,63}$/, { error: 'must be 1–64 letters, digits, spaces or . / _ -' })
  .meta({ description: "The authority's file number (Aktenzeichen); no names." });

export const SubmitReferralRequest = z
  .strictObject({
    consentId: ConsentId,
    person: ReferralPerson,
    caseReference: CaseReference,
    note: z.string().trim().max(2000).optional().meta({
      description:
        'Free text for the service office (category `needs`); encrypted, never stored in plaintext.',
    }),
  })
  .meta({ id: 'SubmitReferralRequest' });
export type SubmitReferralRequest = z.infer<typeof SubmitReferralRequest>;

export { REFERRAL_STATUSES };
export const ReferralStatus = z.enum(REFERRAL_STATUSES).meta({ id: 'ReferralStatus' });
export type ReferralStatus = z.infer<typeof ReferralStatus>;

/** The office's public contact, as the directory holds it (docs/directory.md). */
export const OfficeContact = z
  .strictObject({
    email: z.string(),
    phone: z.string().optional(),
    address: z.string().optional(),
    openingHours: z.string().optional().meta({ description: 'Free text, e.g. "Mo–Do 9–12 Uhr".' }),
  })
  .meta({
    id: 'OfficeContact',
    description:
      "The service office's public contact from the directory, to pass on to the person; the office's name is the summary's `name`.",
  });
export type OfficeContact = z.infer<typeof OfficeContact>;

export const ServiceOfficeSummary = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    providerId: z.string(),
    providerName: z.string(),
    contact: OfficeContact.optional().meta({
      description: 'Present whenever the office is in the directory.',
    }),
  })
  .meta({ id: 'ServiceOfficeSummary' });
export type ServiceOfficeSummary = z.infer<typeof ServiceOfficeSummary>;

export const ReferralAccepted = z
  .strictObject({
    referralId: z.string(),
    status: ReferralStatus,
    serviceOffice: ServiceOfficeSummary,
    routing: z.strictObject({ ruleId: z.string(), reason: z.string() }),
  })
  .meta({ id: 'ReferralAccepted' });
export type ReferralAccepted = z.infer<typeof ReferralAccepted>;

export const ReferralHistoryEntry = z
  .strictObject({
    status: ReferralStatus,
    at: z.string(),
    by: z.string(),
    reason: z.string().optional(),
    forwardedTo: z
      .string()
      .optional()
      .meta({ description: 'On a decline with forwarding: the id of the new referral.' }),
  })
  .meta({ id: 'ReferralHistoryEntry' });

export const ReferralDue = z
  .strictObject({
    kind: z.enum(['re-announce', 'expire', 'delete-ciphertext', 'erasure-reminder']).meta({
      description:
        '`re-announce`: announced to the office again if still unread; `expire`: expires if still unread; `delete-ciphertext`: the encrypted data is deleted; `erasure-reminder`: the office is reminded to erase the referral and confirm it.',
    }),
    at: z.string(),
  })
  .meta({ id: 'ReferralDue', description: "The referral's next deadline (docs/referrals.md, deadlines)." });

export const ReferralErasure = z
  .strictObject({
    reason: z.enum(['consent-withdrawn', 'erasure-requested']).meta({
      description:
        '`consent-withdrawn`: the consent was withdrawn after receipt; `erasure-requested`: the person asked for erasure (GDPR Art. 17).',
    }),
    requestedAt: z.string(),
    reminders: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Reminders sent to the office since the request.' }),
    confirmedAt: z
      .string()
      .optional()
      .meta({ description: 'When the office confirmed the erasure; absent while it has not.' }),
  })
  .meta({
    id: 'ReferralErasure',
    description: 'The erasure asked of the office that received the referral (docs/consent.md, erasure).',
  });
export type ReferralErasure = z.infer<typeof ReferralErasure>;

/** The other end of a forwarding: the referral and the office it is addressed to. */
export const ReferralLink = z
  .strictObject({ referralId: z.string(), serviceOffice: ServiceOfficeSummary })
  .meta({ id: 'ReferralLink' });

export const ReferralView = z
  .strictObject({
    referralId: z.string(),
    status: ReferralStatus,
    consentId: z.string(),
    authorityId: z.string(),
    caseReference: z.string(),
    serviceOffice: ServiceOfficeSummary,
    dataCategories: z.array(DataCategory),
    createdAt: z.string(),
    updatedAt: z.string().meta({
      description:
        'When anything shown here last changed (status, history, next deadline); the feed is ordered by it.',
    }),
    history: z.array(ReferralHistoryEntry),
    due: ReferralDue.optional().meta({ description: 'The next deadline, while there is one.' }),
    forwardedTo: ReferralLink.optional().meta({
      description: 'Declined and forwarded: the new referral, addressed to another office.',
    }),
    forwardedFrom: ReferralLink.optional().meta({
      description: 'Made by forwarding: the declined referral it replaces.',
    }),
    erasure: ReferralErasure.optional().meta({
      description: 'After receipt: the erasure asked of the office and whether it confirmed it.',
    }),
  })
  .meta({
    id: 'ReferralView',
    description: 'A referral as its sender and its recipient see it. No personal data.',
  });
export type ReferralView = z.infer<typeof ReferralView>;

/** A feed cursor: opaque base64url, as returned in `nextCursor`. */
export const FeedCursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,1024}$/, { error: 'must be a cursor returned by this operation' })
  .meta({
    id: 'ReferralFeedCursor',
    description: 'Opaque (base64url); pass back `nextCursor` unchanged to get the next page.',
  });

export const MAX_FEED_PAGE = 100;
const STATUS_LIST = new RegExp(`^(${REFERRAL_STATUSES.join('|')})(,(${REFERRAL_STATUSES.join('|')})){0,7}$`);

export const ReferralFeedQuery = z
  .strictObject({
    status: z
      .string()
      .regex(STATUS_LIST, {
        error: `must be one or more of ${REFERRAL_STATUSES.join(', ')}, separated by commas`,
      })
      .transform((text) => [...new Set(text.split(','))] as ReferralStatus[])
      .optional()
      .meta({
        description: 'One status or several, separated by commas (`received,contacted`).',
        example: 'queued,received',
      }),
    changedSince: z.iso
      .datetime({ offset: true, error: 'must be a date-time with offset (RFC 3339)' })
      .optional()
      .meta({
        description:
          'Only referrals whose `updatedAt` is at or after this instant (inclusive: pass the newest `updatedAt` you have seen, with a little overlap, and deduplicate by `referralId` + `updatedAt`).',
      }),
    limit: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, { error: `must be a whole number from 1 to ${MAX_FEED_PAGE}` })
      .transform(Number)
      .pipe(z.number().max(MAX_FEED_PAGE, { error: `must be a whole number from 1 to ${MAX_FEED_PAGE}` }))
      .optional()
      .meta({ description: `Page size, 1–${MAX_FEED_PAGE} (default 50).`, example: '50' }),
    cursor: FeedCursor.optional(),
  })
  .meta({ id: 'ReferralFeedQuery' });
export type ReferralFeedQuery = z.infer<typeof ReferralFeedQuery>;

export const ReferralFeedPage = z
  .strictObject({
    items: z.array(ReferralView),
    nextCursor: FeedCursor.optional().meta({ description: 'Absent on the last page.' }),
  })
  .meta({
    id: 'ReferralFeedPage',
    description:
      "The caller's referrals, newest change first. A page may hold fewer items than `limit` and still have a `nextCursor`.",
  });
export type ReferralFeedPage = z.infer<typeof ReferralFeedPage>;

export const ReferralIdParams = z.strictObject({
  id: z.string().regex(/^ref_[0-9a-z]{26}$/, { error: 'must be a referral id' }),
});

/** Version 1 of the JWE payload a service office decrypts (`cty` application/vnd.referral-exchange.referral.v1+json). */
export const ReferralPayloadV1 = z
  .strictObject({
    schema: z.literal('referral-exchange.referral.v1'),
    referralId: z.string(),
    consentId: z.string(),
    createdAt: z.string(),
    authority: z.strictObject({ id: z.string(), name: z.string() }),
    serviceOfficeId: z.string(),
    caseReference: z.string(),
    dataCategories: z.array(DataCategory),
    person: ReferralPerson,
    note: z.string().optional(),
  })
  .meta({ id: 'ReferralPayloadV1' });
export type ReferralPayloadV1 = z.infer<typeof ReferralPayloadV1>;

/**
 * The ciphertext of a received referral, for a client that does not read the office's
 * queue (the office's web page): the same JWE the queue message carries.
 */
export const ReferralCiphertext = z
  .strictObject({
    referralId: z.string(),
    kid: z.string().meta({ description: "The office key the JWE is encrypted to (its header's `kid`)." }),
    jwe: z.string().meta({ description: 'Compact JWE of the referral payload v1 (docs/jwe-format.md).' }),
  })
  .meta({ id: 'ReferralCiphertext' });
export type ReferralCiphertext = z.infer<typeof ReferralCiphertext>;

/** The SQS message body a service office receives: metadata and the JWE, no other personal data. */
export const QueueEnvelope = z
  .strictObject({
    type: z.enum([
      'referral.notification',
      'referral.re-announcement',
      'referral.revocation',
      'referral.erasure-request',
    ]),
    schemaVersion: z.literal(1),
    referralId: z.string(),
    serviceOfficeId: z.string(),
    createdAt: z.string(),
    jwe: z.string().optional(),
  })
  .meta({ id: 'QueueEnvelope' });
export type QueueEnvelope = z.infer<typeof QueueEnvelope>;

export const DECLINE_REASONS = [
  'not-responsible',
  'no-capacity',
  'person-unreachable',
  'person-declined',
  'other',
] as const;

/**
 * Declining, optionally forwarding to another office. Forwarding needs the person's data
 * again (`person`, optional `note`): the platform never kept it in plaintext, so the office
 * re-submits what it decrypted, and the platform encrypts it anew to the new office. Without
 * `forwardTo`, `person` and `note` are refused: a plain decline carries no personal data.
 */
export const DeclineRequest = z
  .strictObject({
    status: z.literal('declined'),
    reason: z.enum(DECLINE_REASONS),
    forwardTo: SlugSchema.optional().meta({
      description:
        'Another service office (directory id) to forward to. Consent and municipality are checked again for it.',
    }),
    person: ReferralPerson.optional().meta({
      description: 'Required with `forwardTo`, forbidden without: the person data the office decrypted.',
    }),
    note: z.string().trim().max(2000).optional().meta({
      description: 'Only with `forwardTo`: free text for the new office (category `needs`).',
    }),
  })
  .superRefine((request, ctx) => {
    if (request.forwardTo !== undefined && request.person === undefined) {
      ctx.addIssue({ code: 'custom', path: ['person'], message: 'is required with forwardTo' });
    }
    if (request.forwardTo === undefined) {
      for (const field of ['person', 'note'] as const) {
        if (request[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'is allowed only with forwardTo' });
      }
    }
  })
  .meta({
    id: 'DeclineRequest',
    dependentRequired: { forwardTo: ['person'], person: ['forwardTo'], note: ['forwardTo'] },
  });
export type DeclineRequest = z.infer<typeof DeclineRequest>;

export const ReportStatusRequest = z
  .discriminatedUnion('status', [
    z.strictObject({ status: z.literal('contacted') }),
    z.strictObject({
      status: z.literal('closed'),
      reason: z.enum(['counselling-completed', 'person-moved', 'other']).optional(),
    }),
    DeclineRequest,
  ])
  .meta({
    id: 'ReportStatusRequest',
    description:
      'What the service office reports: first contact made, closed, or declined with a reason code — optionally forwarded to another office (`forwardTo` with the re-submitted `person`).',
  });
export type ReportStatusRequest = z.infer<typeof ReportStatusRequest>;

/**
 * An event on an authority's queue (docs/referrals.md): ids, codes and times, never
 * personal data. The SQS message attribute `type` repeats `type`; deduplicate by `eventId`.
 */
export const AuthorityEventMessage = z
  .strictObject({
    type: z.enum(AUTHORITY_EVENT_TYPES),
    schemaVersion: z.literal(1),
    eventId: z.string().regex(EVENT_ID_PATTERN),
    referralId: ReferralIdParams.shape.id,
    authorityId: z.string(),
    serviceOfficeId: z.string(),
    status: ReferralStatus,
    at: z.string(),
    reason: z.string().optional(),
    forwardedTo: z.string().optional(),
    forwardedFrom: z.string().optional(),
    reminder: z.int().min(1).optional(),
  })
  .meta({ id: 'AuthorityEventMessage' });
export type AuthorityEventMessage = z.infer<typeof AuthorityEventMessage>;
const _eventsAgree: SameKeys<AuthorityEventMessage, AuthorityEvent> = true;
void _eventsAgree;

/** Who asks for erasure and why: an authority or a data-protection officer, for the person. */
export const RequestErasureRequest = z
  .strictObject({
    reason: z
      .enum(['person-request', 'objection', 'unlawful', 'other'])
      .optional()
      .meta({ description: 'Why the person asked (a code, never free text): recorded as the audit reason.' }),
  })
  .meta({ id: 'RequestErasureRequest' });
export type RequestErasureRequest = z.infer<typeof RequestErasureRequest>;

export const ErasureRecipient = z
  .strictObject({
    referralId: z.string(),
    serviceOffice: ServiceOfficeSummary,
    erasure: ReferralErasure,
  })
  .meta({ id: 'ErasureRecipient', description: 'One office the erasure was communicated to (Art. 19).' });

export const ErasureStatus = z
  .strictObject({
    consentId: z.string(),
    recipients: z.array(ErasureRecipient).meta({
      description:
        'Every office that received data under the consent and was asked to erase it, oldest first.',
    }),
    revoked: z
      .number()
      .int()
      .min(0)
      .meta({
        description:
          'Referrals not yet received that this request revoked (present on the answer to the request).',
      })
      .optional(),
  })
  .meta({
    id: 'ErasureStatus',
    description: 'Which recipients were asked to erase the data given under a consent, and which confirmed.',
  });
export type ErasureStatus = z.infer<typeof ErasureStatus>;
