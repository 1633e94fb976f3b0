/**
 * The audit entry: one record per event that touches a consent, a referral, a key,
 * a report or an export. The log is the proof of every transfer of personal data,
 * so it must itself hold none: subjects appear only as their pseudonym (an HMAC of
 * the AZR number or of normalised identity facts under a deployment secret, see
 * docs/consent.md), everything else is an id or a code. The strict schemas below are
 * the guard: no free-text field exists, unknown properties are refused, and every
 * string has the shape of an id or a code.
 *
 * A draft is what a business transaction writes, in the same DynamoDB transaction
 * as the state change it records. The sequencer turns drafts into entries by adding
 * `sequence`, `previousHash` and `hash` (see chain.ts and docs/audit-format.md).
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import { systemClock } from '#shared/domain/clock.ts';
import type { FieldIssue } from '#shared/domain/errors.ts';
import {
  ENTRY_ARTICLE,
  ENTRY_PATTERNS,
  isAuditTime,
  isSortedUnique,
  MAX_DATA_CATEGORIES,
} from './entry-shape.ts';
import { HEX_HASH } from './entry-text.ts';
import { AUDIT_EVENTS } from './events.ts';

export { AUDIT_EVENTS } from './events.ts';

/** What happened. A closed set: a new kind of event is a format change. */
export const AuditEventSchema = z.enum(AUDIT_EVENTS);
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** The legal basis every transfer in this system rests on. */
export const CONSENT_ARTICLE = ENTRY_ARTICLE;

// The patterns of docs/audit-format.md §1, shared with the verifier's hand-written check (entry-shape.ts).
const whole = (pattern: string) => new RegExp(`^${pattern}$`);
const DIRECTORY_ID = whole(ENTRY_PATTERNS.directoryId);
const RECORD_ID = whole(ENTRY_PATTERNS.recordId);
const CODE = whole(ENTRY_PATTERNS.code);
const PSEUDONYM = whole(ENTRY_PATTERNS.pseudonym);
const PRINCIPAL = whole(ENTRY_PATTERNS.actor);
const PERSON_ID = whole(ENTRY_PATTERNS.personId);

export { HEX_HASH } from './entry-text.ts';

/** An authority's or a service office's id in the directory. */
export const DirectoryIdSchema = z.string().regex(DIRECTORY_ID);
/** An id the platform generated (entry, referral, consent). */
export const RecordIdSchema = z.string().regex(RECORD_ID);
/** A code from a fixed vocabulary (data category, purpose, refusal reason); never free text. */
export const CodeSchema = z.string().regex(CODE);
/** The subject's pseudonym: an encoded keyed hash, never a name or a register number. */
export const SubjectPseudonymSchema = z.string().regex(PSEUDONYM);
/** `authority:<id>`, `service:<id>`, `dpo:<scope>`, `operator` or `system:<job>`. */
export const ActorSchema = z.string().regex(PRINCIPAL);
/** Millisecond UTC timestamps exactly as Date#toISOString writes them, so they sort as strings. */
export const AuditTimeSchema = z.string().refine(isAuditTime, 'not a UTC instant in milliseconds');
/** A SHA-256 value in lower-case hex. */
export const HexHashSchema = z.string().regex(HEX_HASH);

export const LegalBasisSchema = z.strictObject({
  article: z.literal(CONSENT_ARTICLE),
  consentId: RecordIdSchema,
});
export type LegalBasis = z.infer<typeof LegalBasisSchema>;

/**
 * Every field is always present (null or [] when it does not apply), so the
 * canonical form of an entry has one fixed set of members.
 */
export const AuditEntryDraftSchema = z.strictObject({
  /** Unique per draft; the tie-breaker of the sequencing order. */
  entryId: RecordIdSchema,
  /** When the business transaction happened (its clock), UTC with milliseconds. */
  time: AuditTimeSchema,
  event: AuditEventSchema,
  actor: ActorSchema,
  subjectId: SubjectPseudonymSchema.nullable(),
  authorityId: DirectoryIdSchema.nullable(),
  /** The recipient service office (for referral events), or the office acting. */
  serviceOfficeId: DirectoryIdSchema.nullable(),
  /** Categories of personal data concerned, as codes; sorted and without repeats. */
  dataCategories: z
    .array(CodeSchema)
    .max(MAX_DATA_CATEGORIES)
    .refine(isSortedUnique, 'not sorted and unique'),
  legalBasis: LegalBasisSchema.nullable(),
  purpose: CodeSchema.nullable(),
  referralId: RecordIdSchema.nullable(),
  /** Why, as a code (e.g. a refusal reason); never text a user typed. */
  reason: CodeSchema.nullable(),
  /**
   * Present only when a signed-in person caused the event: their pseudonymous id
   * (`psn_…`, docs/sign-in.md), never a name or e-mail. Absent, not null, otherwise,
   * so entries written before it existed keep their canonical form.
   */
  personId: z.string().regex(PERSON_ID).optional(),
});
export type AuditEntryDraft = z.infer<typeof AuditEntryDraftSchema>;

export const AuditEntrySchema = AuditEntryDraftSchema.extend({
  /** Position in the chain, from 1, without gaps. Equals the tree size after this entry. */
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** `hash` of the entry before, or 64 zeros for the first entry. */
  previousHash: HexHashSchema,
  /** SHA-256 of this entry's canonical form without `hash` (chain.ts). */
  hash: HexHashSchema,
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** An entry before its own hash is computed. */
export type UnhashedAuditEntry = Omit<AuditEntry, 'hash'>;

/** What callers state about an event; the builder fills the rest. */
export interface AuditDraftInput {
  readonly event: AuditEvent;
  readonly actor: string;
  readonly entryId?: string;
  readonly time?: Date | string;
  readonly subjectId?: string | null;
  readonly authorityId?: string | null;
  readonly serviceOfficeId?: string | null;
  readonly dataCategories?: readonly string[];
  /** The consent the event rests on; becomes the legal basis `GDPR Art. 6(1)(a)`. */
  readonly consentId?: string | null;
  readonly purpose?: string | null;
  readonly referralId?: string | null;
  readonly reason?: string | null;
  /** The signed-in person who caused the event (their pseudonymous id), if a person did. */
  readonly personId?: string;
}

/**
 * Who caused an event: the principal as written (`service:<id>`), or the principal
 * and the signed-in person who acted for it (docs/sign-in.md, `personId`).
 */
export type Actor = string | { readonly principal: string; readonly personId?: string | undefined };

/** The members an actor gives an audit draft: `actor`, and `personId` when a person acted. */
export function actorFields(by: Actor): { actor: string; personId?: string } {
  if (typeof by === 'string') return { actor: by };
  return { actor: by.principal, ...(by.personId ? { personId: by.personId } : {}) };
}

/** The principal an actor stands for, as written in histories and records. */
export const principalOf = (by: Actor): string => (typeof by === 'string' ? by : by.principal);

/** An audit draft failed its schema. A programming error, not a client's: it maps to 500. */
export class InvalidAuditEntry extends Error {
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`The audit entry is not valid: ${issues.map((i) => i.field).join(', ')}.`);
    this.name = 'InvalidAuditEntry';
  }
}

/** Turns zod issues into field/reason pairs that never repeat the offending value. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(entry)',
    reason: issue.code,
  }));
}

/**
 * Builds a validated draft: a fresh entry id, the clock's time, nulls and an empty
 * category list where nothing applies; data categories sorted and de-duplicated so
 * that equal facts give equal entries.
 */
export function auditDraft(input: AuditDraftInput, clock: Clock = systemClock): AuditEntryDraft {
  const time = input.time === undefined ? clock.now() : new Date(input.time);
  const candidate = {
    entryId: input.entryId ?? randomUUID(),
    time: Number.isNaN(time.getTime()) ? String(input.time) : time.toISOString(),
    event: input.event,
    actor: input.actor,
    subjectId: input.subjectId ?? null,
    authorityId: input.authorityId ?? null,
    serviceOfficeId: input.serviceOfficeId ?? null,
    dataCategories: [...new Set(input.dataCategories ?? [])].sort(),
    legalBasis: input.consentId ? { article: CONSENT_ARTICLE, consentId: input.consentId } : null,
    purpose: input.purpose ?? null,
    referralId: input.referralId ?? null,
    reason: input.reason ?? null,
    ...(input.personId ? { personId: input.personId } : {}),
  };
  const parsed = AuditEntryDraftSchema.safeParse(candidate);
  if (!parsed.success) throw new InvalidAuditEntry(fieldIssues(parsed.error));
  return parsed.data;
}
