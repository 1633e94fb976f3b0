/**
 * The stored consent record and the rules for recording one. The record holds no
 * personal data: the person appears only as the pseudonymous subject id, the signed
 * form only as its SHA-256.
 */
import * as z from 'zod';
import { DATA_CATEGORIES, DataCategory, PURPOSES, Purpose } from '#shared/domain/data-categories.ts';
import { type FieldIssue, Forbidden, UnprocessableContent } from '#shared/domain/errors.ts';
import { SubjectId } from '#shared/domain/pseudonym.ts';
import { ageOn } from '#shared/domain/routing/age.ts';
import { parsePrincipal } from '#shared/identity/principal.ts';
import { berlinDateOf, isCalendarDate } from './calendar.ts';
import {
  CLOCK_SKEW_MS,
  ConsentEvidence,
  ConsentId,
  ConsentScope,
  GivenByRole,
  GUARDIAN_REQUIRED_BELOW_AGE,
  WithdrawalReason,
} from './values.ts';

/**
 * A consent as the recording authority states it (the API's RecordConsentRequest,
 * parsed): who signed, when, for which recipients, purposes and data categories, on
 * which form.
 */
export interface ConsentRequest {
  readonly subject: { readonly dateOfBirth: string };
  readonly givenBy: { readonly role: GivenByRole };
  readonly givenAt: string;
  readonly validUntil?: string | undefined;
  readonly scope: { readonly serviceTypes: readonly string[]; readonly providerIds: readonly string[] };
  readonly purposes: readonly Purpose[];
  readonly dataCategories: readonly DataCategory[];
  readonly evidence: ConsentEvidence;
}

const UtcDateTime = z.iso.datetime();

export const ConsentRecord = z.strictObject({
  id: ConsentId,
  subjectId: SubjectId,
  givenByRole: GivenByRole,
  givenAt: UtcDateTime,
  validUntil: UtcDateTime.optional(),
  /** Principal string of the authority that recorded it, e.g. `authority:abh-lk-karlsruhe`. */
  recordedBy: z.string(),
  scope: ConsentScope,
  purposes: z.array(Purpose).min(1),
  dataCategories: z.array(DataCategory).min(1),
  evidence: ConsentEvidence,
  withdrawnAt: UtcDateTime.optional(),
  withdrawnBy: z.string().optional(),
  withdrawalReason: WithdrawalReason.optional(),
  /** When the platform recorded it. */
  createdAt: UtcDateTime,
  /** Increases with every change; for optimistic concurrency in storage. */
  version: z.number().int().positive(),
});
export type ConsentRecord = z.infer<typeof ConsentRecord>;

export interface NewConsentContext {
  readonly id: string;
  readonly subjectId: SubjectId;
  /** The principal from the credential, as a string (`authority:<id>`). */
  readonly recordedBy: string;
  readonly now: Date;
}

/** Entries in the order of their closed list, so equal consents are stored identically. */
function inListOrder<T extends string>(items: readonly T[], list: readonly T[]): T[] {
  return list.filter((entry) => items.includes(entry));
}

/** The issues that keep a well-formed request from becoming a consent; empty when none. */
export function consentRuleIssues(request: ConsentRequest, now: Date): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const givenAt = new Date(request.givenAt);
  if (givenAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    issues.push({ field: 'givenAt', reason: 'must not be in the future' });
  }
  if (request.validUntil !== undefined) {
    const validUntil = new Date(request.validUntil);
    if (validUntil.getTime() <= givenAt.getTime()) {
      issues.push({ field: 'validUntil', reason: 'must be after givenAt' });
    } else if (validUntil.getTime() <= now.getTime()) {
      issues.push({ field: 'validUntil', reason: 'must not have passed already' });
    }
  }
  const { dateOfBirth } = request.subject;
  if (isCalendarDate(dateOfBirth)) {
    const signedOn = berlinDateOf(givenAt);
    // YYYY-MM-DD strings order like the dates they name.
    if (dateOfBirth > signedOn) {
      issues.push({ field: 'subject.dateOfBirth', reason: 'must not be after the date of signing' });
    } else if (
      ageOn(dateOfBirth, signedOn) < GUARDIAN_REQUIRED_BELOW_AGE &&
      request.givenBy.role !== 'guardian'
    ) {
      issues.push({
        field: 'givenBy.role',
        reason: `a subject under ${GUARDIAN_REQUIRED_BELOW_AGE} at signing needs a legal guardian's consent`,
      });
    }
  }
  return issues;
}

/**
 * A new consent record from a parsed request. Throws Forbidden unless an authority
 * records it, and UnprocessableContent naming every broken rule at once.
 */
export function newConsent(request: ConsentRequest, ctx: NewConsentContext): ConsentRecord {
  if (parsePrincipal(ctx.recordedBy)?.kind !== 'authority') {
    throw new Forbidden('Only an authority may record a consent.');
  }
  const issues = consentRuleIssues(request, ctx.now);
  if (issues.length > 0) throw new UnprocessableContent('The consent breaks one or more rules.', issues);

  const record: ConsentRecord = {
    id: ctx.id,
    subjectId: ctx.subjectId,
    givenByRole: request.givenBy.role,
    givenAt: new Date(request.givenAt).toISOString(),
    ...(request.validUntil !== undefined && { validUntil: new Date(request.validUntil).toISOString() }),
    recordedBy: ctx.recordedBy,
    scope: {
      serviceTypes: [...request.scope.serviceTypes].sort(),
      providerIds: [...request.scope.providerIds].sort(),
    },
    purposes: inListOrder(request.purposes, PURPOSES),
    dataCategories: inListOrder(request.dataCategories, DATA_CATEGORIES),
    evidence: { ...request.evidence },
    createdAt: ctx.now.toISOString(),
    version: 1,
  };
  // The context comes from the caller's code, not the client: a malformed id is a defect.
  return ConsentRecord.parse(record);
}
