/**
 * The subject id: the pseudonym under which the platform stores and logs a person.
 *
 * `sub_` + lowercase hex of HMAC-SHA-256(deployment secret, message), where the message
 * is built from the person's AZR number (Ausländerzentralregister number) when there is
 * one, and otherwise from the normalised family name, given names, date of birth and
 * nationality. Without the secret the id cannot be recomputed from a guessed identity;
 * with it, every authority of the deployment arrives at the same id for the same person,
 * however the name was spelt. The exact steps are in docs/consent.md; changing any of
 * them changes every id, so they are versioned (`v1` in the message).
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { isCalendarDate } from '#shared/domain/consent/calendar.ts';
import { isNationalityCode } from '#shared/domain/consent/nationality.ts';
import { type FieldIssue, InvalidRequest } from './errors.ts';

export const SUBJECT_ID_PATTERN = /^sub_[0-9a-f]{64}$/;

export const SubjectId = z
  .string()
  .regex(SUBJECT_ID_PATTERN, { error: 'must be a subject id (sub_ + 64 hex)' })
  .meta({
    id: 'SubjectId',
    description:
      'Pseudonymous subject id: `sub_` followed by the lowercase hex HMAC-SHA-256 of the AZR number or of the normalised identity, under a deployment secret.',
    example: 'sub_3f9a0c5e2d7b41a8c6e0f5d2b9a7c4e1f8d3b6a9c2e5f0a7d4b1c8e3f6a9d2b5',
  });
export type SubjectId = z.infer<typeof SubjectId>;

/** The secret must carry at least 256 bits, the HMAC-SHA-256 block of security. */
export const SUBJECT_SECRET_MIN_BYTES = 32;

const VERSION = 'v1';
/** Unit separator: removed by normalisation, so it cannot occur inside a field. */
const SEP = '\u001f';

/** An AZR number: 12 digits; spaces between digit groups are ignored. */
export const AZR_NUMBER_DIGITS = 12;

/** The AZR number as 12 digits, or undefined when it is not one. */
export function normaliseAzrNumber(azrNumber: string): string | undefined {
  const digits = azrNumber.replace(/\s+/g, '');
  return /^[0-9]{12}$/.test(digits) ? digits : undefined;
}

/**
 * Letters that do not decompose into a base letter and a combining mark, mapped to what
 * residence documents commonly print (ICAO 9303 transliteration).
 */
const UNDECOMPOSABLE: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'oe',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ħ: 'h',
  ı: 'i',
  ŧ: 't',
  ŋ: 'n',
};
const UNDECOMPOSABLE_RE = new RegExp(`[${Object.keys(UNDECOMPOSABLE).join('')}]`, 'gu');

/** Hyphens and dashes of any kind, apostrophes and their look-alikes, and white space. */
const SEPARATOR_RUN = /[\s\p{Pd}'\u2018\u2019\u02bc\u02bb`\u2032]+/gu;

/**
 * Normalises a name so that spelling variants of the same name compare equal:
 *
 * 1. every white-space character becomes a space; other control and format characters
 *    (soft hyphen, zero-width space, the unit separator) are removed;
 * 2. Unicode NFKC (compatibility forms such as full-width letters become plain ones);
 * 3. lower case (ẞ → ß);
 * 4. canonical decomposition (NFD); a, o or u carrying a diaeresis becomes ae, oe, ue
 *    (German transliteration: Müller = Mueller); all other combining marks are removed
 *    (José = Jose, Nguyễn = Nguyen);
 * 5. letters without a decomposition: ß → ss, æ → ae, œ → oe, ø → oe, ł → l, đ/ð → d,
 *    þ → th, ħ → h, ı → i, ŧ → t, ŋ → n;
 * 6. every run of spaces, hyphens and apostrophes becomes one space; leading and trailing
 *    ones are dropped; the result is recomposed (NFC).
 *
 * Order of names is kept. The result never contains the unit separator (U+001F).
 */
export function normaliseName(name: string): string {
  return name
    .replace(/\s/gu, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(/([aou])(\p{M}*)/gu, (_, base: string, marks: string) =>
      marks.includes('\u0308') ? `${base}e` : base,
    )
    .replace(/\p{M}/gu, '')
    .replace(UNDECOMPOSABLE_RE, (c) => UNDECOMPOSABLE[c] ?? c)
    .replace(SEPARATOR_RUN, ' ')
    .trim()
    .normalize('NFC');
}

/** The nationality as an uppercase ISO 3166-1 alpha-3 code, or undefined when unknown. */
export function normaliseNationality(nationality: string): string | undefined {
  const code = nationality.trim().toUpperCase();
  return isNationalityCode(code) ? code : undefined;
}

function assertSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.byteLength < SUBJECT_SECRET_MIN_BYTES) {
    // A deployment error, not a request error: never reaches a client as a field issue.
    throw new TypeError(`The subject-id secret must be at least ${SUBJECT_SECRET_MIN_BYTES} bytes.`);
  }
}

function hmacId(message: string, secret: Uint8Array): SubjectId {
  assertSecret(secret);
  return `sub_${createHmac('sha256', secret).update(message, 'utf8').digest('hex')}`;
}

/** The subject id from an AZR number. */
export function subjectIdFromAzr(azrNumber: string, secret: Uint8Array): SubjectId {
  const digits = normaliseAzrNumber(azrNumber);
  if (digits === undefined) {
    throw new InvalidRequest([{ field: 'azrNumber', reason: 'must be an AZR number of 12 digits' }]);
  }
  return hmacId([VERSION, 'azr', digits].join(SEP), secret);
}

export interface IdentityFacts {
  readonly familyName: string;
  /** All given names in document order, separated by spaces; empty when the person has none. */
  readonly givenNames: string;
  /** `YYYY-MM-DD`. */
  readonly dateOfBirth: string;
  /** ISO 3166-1 alpha-3. */
  readonly nationality: string;
}

/** The subject id from name, date of birth and nationality, for a person without an AZR number. */
export function subjectIdFromIdentity(identity: IdentityFacts, secret: Uint8Array): SubjectId {
  const familyName = normaliseName(identity.familyName);
  const givenNames = normaliseName(identity.givenNames);
  const nationality = normaliseNationality(identity.nationality);
  const issues: FieldIssue[] = [];
  if (familyName === '') issues.push({ field: 'familyName', reason: 'must contain at least one letter' });
  if (!isCalendarDate(identity.dateOfBirth)) {
    issues.push({ field: 'dateOfBirth', reason: 'must be a calendar date (YYYY-MM-DD)' });
  }
  if (nationality === undefined) {
    issues.push({ field: 'nationality', reason: 'must be an ISO 3166-1 alpha-3 code' });
  }
  if (issues.length > 0) throw new InvalidRequest(issues);
  return hmacId([VERSION, 'id', familyName, givenNames, identity.dateOfBirth, nationality].join(SEP), secret);
}

/** What a request may say about a person; the AZR number wins when present. */
export interface SubjectIdentityInput {
  readonly azrNumber?: string | undefined;
  readonly familyName?: string | undefined;
  readonly givenNames?: string | undefined;
  readonly dateOfBirth?: string | undefined;
  readonly nationality?: string | undefined;
}

/**
 * The subject id: from the AZR number when given, else from the identity facts. `at`
 * is where the identity sits in the request (`person`, `subject`), so that a refusal
 * names the field as the client wrote it (`person.nationality`).
 */
export function subjectIdFor(identity: SubjectIdentityInput, secret: Uint8Array, at?: string): SubjectId {
  try {
    return subjectIdOf(identity, secret);
  } catch (error) {
    if (!(error instanceof InvalidRequest) || !at) throw error;
    throw new InvalidRequest(error.issues.map((issue) => ({ ...issue, field: `${at}.${issue.field}` })));
  }
}

function subjectIdOf(identity: SubjectIdentityInput, secret: Uint8Array): SubjectId {
  if (identity.azrNumber !== undefined) return subjectIdFromAzr(identity.azrNumber, secret);
  const missing = (['familyName', 'givenNames', 'dateOfBirth', 'nationality'] as const).filter(
    (field) => identity[field] === undefined,
  );
  if (missing.length > 0) {
    throw new InvalidRequest(
      missing.map((field) => ({ field, reason: 'is required when there is no AZR number' })),
    );
  }
  return subjectIdFromIdentity(identity as IdentityFacts, secret);
}

/** A person's pseudonymous id: `psn_` and 64 hex digits. */
export const PERSON_ID_PATTERN = /^psn_[0-9a-f]{64}$/;

/**
 * The pseudonymous id of a signed-in person (docs/sign-in.md): an HMAC of the
 * identity provider and the person's subject under the deployment secret, so it is
 * stable per person, differs between deployments, and reveals neither name nor e-mail.
 */
export function personIdFromSubject(issuer: string, subject: string, secret: Uint8Array): string {
  assertSecret(secret);
  return `psn_${createHmac('sha256', secret).update([VERSION, 'person', issuer, subject].join(SEP), 'utf8').digest('hex')}`;
}
