/**
 * The clerk desk's forms without the DOM: what a consent or a referral request is made
 * of the values typed (dates as TT.MM.JJJJ, codes chosen by name), which fields a
 * consent lets the referral form show, the routing facts intake will use, the
 * Idempotency-Key of a form, and the digest of the signed form. Pure, so the unit tests
 * run it without a browser.
 */
import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { GUARDIAN_REQUIRED_BELOW_AGE } from '#shared/domain/consent/values.ts';
import type { DataCategory, Purpose } from '#shared/domain/data-categories.ts';
import { PERSON_FIELD_CATEGORIES, type PersonField } from '#shared/domain/referral/person.ts';
import { ageOn } from '#shared/domain/routing/age.ts';
import type { Housing, ResidenceStatus } from '#shared/domain/routing/person-facts.ts';
import type { ConsentView, RecordConsentRequestInput, SubjectIdentity } from '#shared/schemas/consent.ts';
import type { ReferralPerson, SubmitReferralRequest } from '#shared/schemas/referral.ts';
import type { RoutingPreviewRequest } from '#shared/schemas/routing.ts';
import { berlinDayStart, parseGermanDate } from '#web/common/i18n.ts';
import type { RoutingFacts } from './words.ts';

/** A problem found before anything is sent: the form control's id and the message key. */
export interface FieldProblem {
  readonly id: string;
  readonly key: 'badDate' | 'required' | 'chooseOne' | 'needGuardian' | 'needFile' | 'notANumber';
}

export class FormProblems extends Error {
  constructor(readonly problems: readonly FieldProblem[]) {
    super(problems.map((p) => `${p.id}: ${p.key}`).join('; '));
    this.name = 'FormProblems';
  }
}

/** The values of a form: text fields by name, and the checked values of each checkbox group. */
export interface FormValues {
  readonly text: (name: string) => string;
  readonly checked: (name: string) => readonly string[];
}

/** The values of a FormData, trimmed. */
export function formValues(data: FormData): FormValues {
  return {
    text: (name) => String(data.get(name) ?? '').trim(),
    checked: (name) => data.getAll(name).map(String),
  };
}

// ------------------------------------------------------------ Idempotency-Key

/**
 * One Idempotency-Key per form: the same request sent again (a double click, a retry
 * after the connection dropped) carries the same key, so it is answered once; a changed
 * request, or one sent after the API answered, gets a new key (the API would refuse the
 * old key with other data, and answers a replay of a refusal with the same refusal).
 */
export class SubmissionKeys {
  #key: string | undefined;
  #body: string | undefined;
  readonly #newKey: () => string;

  constructor(newKey: () => string = () => crypto.randomUUID()) {
    this.#newKey = newKey;
  }

  /** The key for this request body. */
  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.#key === undefined || this.#body !== text) {
      this.#key = this.#newKey();
      this.#body = text;
    }
    return this.#key;
  }

  /** The API answered (accepted or refused): the next request is a new one. */
  answered(): void {
    this.#key = undefined;
    this.#body = undefined;
  }
}

// ------------------------------------------------------------ dates

/** A TT.MM.JJJJ field as an ISO date; undefined when empty, a problem when not a date. */
function dateOf(values: FormValues, name: string, id: string, problems: FieldProblem[]): string | undefined {
  const text = values.text(name);
  if (!text) return undefined;
  const date = parseGermanDate(text);
  if (!date) problems.push({ id, key: 'badDate' });
  return date;
}

/**
 * When the form was signed, from the date on it: today's date is now (the API refuses
 * times ahead of its clock), an earlier date is noon of that day in German time (the
 * calendar date the guardian rule counts on).
 */
export function givenAtOf(signedOn: string, now: Date): string {
  if (signedOn === berlinDateOf(now)) return now.toISOString();
  return new Date(new Date(berlinDayStart(signedOn)).getTime() + 12 * 3600_000).toISOString();
}

/** "Valid until (inclusive)": the consent ends with the start of the day after, in German time. */
export function validUntilOf(lastDay: string): string {
  const d = new Date(`${lastDay}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return berlinDayStart(d.toISOString().slice(0, 10));
}

/** Whether a person born on `dateOfBirth` needs a guardian's signature on `signedOn`. */
export function needsGuardian(dateOfBirth: string, signedOn: string): boolean {
  if (dateOfBirth > signedOn) return false;
  return ageOn(dateOfBirth, signedOn) < GUARDIAN_REQUIRED_BELOW_AGE;
}

// ------------------------------------------------------------ the consent

/** The identity typed in the consent form, kept in the page's memory for the referral form. */
export type Identity = SubjectIdentity;

export interface ConsentDraft {
  readonly request: RecordConsentRequestInput;
  readonly identity: Identity;
}

/**
 * The consent request from the consent form. `sha256` is the digest the page computed of
 * the scanned form; the file itself is never part of the request.
 */
export function consentRequestOf(values: FormValues, sha256: string | undefined, now: Date): ConsentDraft {
  const problems: FieldProblem[] = [];
  const required = (name: string, id: string) => {
    const value = values.text(name);
    if (!value) problems.push({ id, key: 'required' });
    return value;
  };
  const azrNumber = values.text('azrNumber');
  const dateOfBirth = dateOf(values, 'dateOfBirth', 'c-dateOfBirth', problems);
  if (!values.text('dateOfBirth')) problems.push({ id: 'c-dateOfBirth', key: 'required' });
  const identity: Identity = azrNumber
    ? { azrNumber, dateOfBirth: dateOfBirth ?? '' }
    : {
        familyName: required('familyName', 'c-familyName'),
        givenNames: values.text('givenNames'),
        dateOfBirth: dateOfBirth ?? '',
        nationality: required('nationality', 'c-nationality'),
      };
  const signedOn = dateOf(values, 'signedOn', 'c-signedOn', problems) ?? berlinDateOf(now);
  const lastDay = dateOf(values, 'validUntil', 'c-validUntil', problems);
  const role = values.text('givenBy') === 'guardian' ? 'guardian' : 'subject';
  if (dateOfBirth && role === 'subject' && needsGuardian(dateOfBirth, signedOn))
    problems.push({ id: 'c-givenBy-subject', key: 'needGuardian' });
  const serviceTypes = values.checked('serviceTypes');
  const provider = values.text('providerId');
  if (serviceTypes.length === 0 && !provider) problems.push({ id: 'c-scope', key: 'chooseOne' });
  const purposes = values.checked('purposes') as Purpose[];
  if (purposes.length === 0) problems.push({ id: 'c-purposes', key: 'chooseOne' });
  const dataCategories = values.checked('dataCategories') as DataCategory[];
  if (dataCategories.length === 0) problems.push({ id: 'c-categories', key: 'chooseOne' });
  const formId = required('formId', 'c-formId');
  const formVersion = required('formVersion', 'c-formVersion');
  const language = required('formLanguage', 'c-formLanguage');
  if (!sha256) problems.push({ id: 'c-scan', key: 'needFile' });
  if (problems.length > 0) throw new FormProblems(problems);
  return {
    identity,
    request: {
      subject: identity,
      givenBy: { role },
      givenAt: givenAtOf(signedOn, now),
      ...(lastDay ? { validUntil: validUntilOf(lastDay) } : {}),
      scope: { serviceTypes: [...serviceTypes], providerIds: provider ? [provider] : [] },
      purposes,
      dataCategories,
      evidence: { formId, formVersion, language, sha256: sha256 ?? '' },
    },
  };
}

/** The SHA-256 of the scanned form, in lowercase hex, computed here; the bytes stay here. */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ------------------------------------------------------------ the referral

/**
 * The referral form's fields: the request member each fills and so its data category.
 * The form shows a field only when the consent names its category.
 */
export const REFERRAL_FIELDS = [
  { name: 'familyName', member: 'familyName' },
  { name: 'givenNames', member: 'givenNames' },
  { name: 'dateOfBirth', member: 'dateOfBirth' },
  { name: 'azrNumber', member: 'azrNumber' },
  { name: 'sex', member: 'sex' },
  { name: 'nationality', member: 'nationality' },
  { name: 'language1', member: 'languages' },
  { name: 'language2', member: 'languages' },
  { name: 'language3', member: 'languages' },
  { name: 'phone', member: 'phone' },
  { name: 'email', member: 'email' },
  { name: 'street', member: 'address' },
  { name: 'postalCode', member: 'address' },
  { name: 'city', member: 'address' },
  { name: 'municipality', member: 'address' },
  { name: 'housing', member: 'housing' },
  { name: 'residenceStatus', member: 'residenceStatus' },
  { name: 'residenceTitle', member: 'residenceTitle' },
  { name: 'dateOfEntry', member: 'dateOfEntry' },
  { name: 'maritalStatus', member: 'family' },
  { name: 'householdSize', member: 'family' },
  { name: 'children', member: 'family' },
  { name: 'schooling', member: 'educationAndWork' },
  { name: 'vocationalTraining', member: 'educationAndWork' },
  { name: 'employment', member: 'educationAndWork' },
  { name: 'germanLevel', member: 'educationAndWork' },
  { name: 'needsNote', member: 'needs' },
  { name: 'note', member: 'needs' },
] as const satisfies readonly { name: string; member: PersonField }[];

export type ReferralFieldName = (typeof REFERRAL_FIELDS)[number]['name'];

/** The category of a referral form field. */
export function fieldCategory(name: ReferralFieldName): DataCategory {
  const field = REFERRAL_FIELDS.find((f) => f.name === name);
  if (!field) throw new Error(`no referral field ${name}`);
  return PERSON_FIELD_CATEGORIES[field.member];
}

/** The fields of the referral form a consent lets the clerk fill. */
export function visibleFields(categories: readonly DataCategory[]): ReferralFieldName[] {
  return REFERRAL_FIELDS.filter((f) => categories.includes(PERSON_FIELD_CATEGORIES[f.member])).map(
    (f) => f.name,
  );
}

/** What the referral cannot go without, and which categories the consent would need for it. */
export function missingCategories(
  consent: Pick<ConsentView, 'dataCategories'>,
  identity: Identity,
): DataCategory[] {
  const needed: DataCategory[] = ['identity', 'address'];
  if (identity.azrNumber === undefined) needed.push('nationality-and-languages');
  return needed.filter((c) => !consent.dataCategories.includes(c));
}

/**
 * The referral request from the referral form; only fields of consented categories are
 * read (the others are not on the form), and an empty field is left out, never sent
 * empty.
 */
export function referralRequestOf(
  values: FormValues,
  consent: Pick<ConsentView, 'id' | 'dataCategories'>,
): SubmitReferralRequest {
  const problems: FieldProblem[] = [];
  const shown = new Set<string>(visibleFields(consent.dataCategories));
  const text = (name: ReferralFieldName) => (shown.has(name) ? values.text(name) : '');
  const optional = <T extends string>(name: ReferralFieldName) => {
    const value = text(name);
    return value ? (value as T) : undefined;
  };
  const required = (name: ReferralFieldName) => {
    const value = text(name);
    if (!value && shown.has(name)) problems.push({ id: `r-${name}`, key: 'required' });
    return value;
  };
  const number = (name: ReferralFieldName) => {
    const value = text(name);
    if (!value) return undefined;
    if (!/^\d{1,2}$/.test(value)) {
      problems.push({ id: `r-${name}`, key: 'notANumber' });
      return undefined;
    }
    return Number(value);
  };
  const date = (name: ReferralFieldName) =>
    shown.has(name) ? dateOf(values, name, `r-${name}`, problems) : undefined;
  const compact = <T extends object>(o: T): T | undefined => {
    const entries = Object.entries(o).filter(([, v]) => v !== undefined);
    return entries.length > 0 ? (Object.fromEntries(entries) as T) : undefined;
  };

  const dateOfBirth = date('dateOfBirth');
  if (!text('dateOfBirth')) problems.push({ id: 'r-dateOfBirth', key: 'required' });
  const languages = (['language1', 'language2', 'language3'] as const)
    .map((n) => text(n))
    .filter((code, i, all) => code && all.indexOf(code) === i);
  const children = number('children');
  const householdSize = number('householdSize');
  const person: ReferralPerson = {
    familyName: required('familyName'),
    givenNames: text('givenNames'),
    dateOfBirth: dateOfBirth ?? '',
    azrNumber: optional('azrNumber'),
    sex: optional('sex'),
    nationality: optional('nationality'),
    languages: languages.length > 0 ? languages : undefined,
    phone: optional('phone'),
    email: optional('email'),
    address: {
      street: optional('street'),
      postalCode: optional('postalCode'),
      city: optional('city'),
      municipality: required('municipality'),
    },
    housing: optional<Housing>('housing'),
    residenceStatus: optional<ResidenceStatus>('residenceStatus'),
    residenceTitle: optional('residenceTitle'),
    dateOfEntry: date('dateOfEntry'),
    family: compact({ maritalStatus: optional('maritalStatus'), householdSize, children }),
    educationAndWork: compact({
      schooling: optional('schooling'),
      vocationalTraining: optional('vocationalTraining'),
      employment: optional('employment'),
      germanLevel: optional('germanLevel'),
    }),
    needs: compact({ note: optional('needsNote') }),
  } as ReferralPerson;
  const caseReference = values.text('caseReference');
  if (!caseReference) problems.push({ id: 'r-caseReference', key: 'required' });
  if (problems.length > 0) throw new FormProblems(problems);
  const note = optional('note');
  return {
    consentId: consent.id,
    caseReference,
    person: withoutUndefined(person),
    ...(note ? { note } : {}),
  };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [
        k,
        v !== null && typeof v === 'object' && !Array.isArray(v) ? withoutUndefined(v) : v,
      ]),
  ) as T;
}

/**
 * The facts routing decides on, as intake takes them from the referral and its consent
 * (shared/domain/referral/admission.ts): a missing residence status or housing counts as
 * `other`, the consent's first named provider is the person's choice.
 */
export function routingFactsOf(
  person: Pick<ReferralPerson, 'dateOfBirth' | 'address' | 'residenceStatus' | 'housing' | 'languages'>,
  consent: Pick<ConsentView, 'scope'>,
): RoutingPreviewRequest & RoutingFacts {
  const preferred = consent.scope.providerIds[0];
  return {
    dateOfBirth: person.dateOfBirth,
    municipality: person.address.municipality,
    residenceStatus: person.residenceStatus ?? 'other',
    housing: person.housing ?? 'other',
    languages: [...(person.languages ?? [])],
    consentScope: {
      serviceTypes: [...consent.scope.serviceTypes],
      providerIds: [...consent.scope.providerIds],
    },
    ...(preferred !== undefined ? { preferredProviderId: preferred } : {}),
  };
}

/**
 * The form control a field path of an API problem belongs to (`person.address.postalCode`
 * → `r-postalCode`, `subject.nationality` → `c-nationality`, `givenBy.role` → the
 * signer choice).
 */
export function controlIdOf(path: string): string | undefined {
  const parts = path.replace(/\[\d+\]/g, '').split('.');
  const [head] = parts;
  const last = parts[parts.length - 1] ?? '';
  if (head === 'subject') return `c-${last}`;
  if (head === 'evidence')
    return last === 'language' ? 'c-formLanguage' : last === 'sha256' ? 'c-scan' : `c-${last}`;
  if (head === 'givenBy') return 'c-givenBy-subject';
  if (head === 'givenAt') return 'c-signedOn';
  if (head === 'validUntil') return 'c-validUntil';
  if (head === 'scope') return 'c-scope';
  if (head === 'purposes') return 'c-purposes';
  if (head === 'dataCategories') return 'c-categories';
  if (head === 'caseReference') return 'r-caseReference';
  if (head === 'note') return 'r-note';
  if (head === 'person') {
    if (parts[1] === 'languages') return 'r-language1';
    if (parts[1] === 'needs') return 'r-needsNote';
    return `r-${last}`;
  }
  return undefined;
}
