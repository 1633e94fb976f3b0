/**
 * What a person reads when the API refuses: every problem type of the API
 * (shared/http/problem-types.ts) in German and English, chosen by the problem's
 * `type` (and `reason` where it is finer), never the raw document. The record's type
 * makes a missing text a compile error when a problem type is added.
 */
import type { ProblemCode } from '#shared/http/problem-types.ts';
import { ApiError } from './api.ts';
import type { Language } from './i18n.ts';
import { SignInError } from './session.ts';

type Texts = Readonly<Record<Language, string>>;

export const PROBLEM_TEXTS: Readonly<Record<ProblemCode, Texts>> = {
  'invalid-request': {
    de: 'Die Angaben sind unvollständig oder nicht im richtigen Format.',
    en: 'Some entries are missing or not in the right format.',
  },
  unauthenticated: { de: 'Bitte melden Sie sich an.', en: 'Please sign in.' },
  'invalid-signature': {
    de: 'Die Anfrage wurde nicht angenommen. Bitte melden Sie sich neu an.',
    en: 'The request was not accepted. Please sign in again.',
  },
  'signature-expired': {
    de: 'Die Anfrage ist abgelaufen. Bitte versuchen Sie es erneut.',
    en: 'The request has expired. Please try again.',
  },
  'unknown-credential': {
    de: 'Diese Zugangsdaten sind nicht bekannt.',
    en: 'These credentials are not known.',
  },
  'invalid-token': {
    de: 'Ihre Anmeldung wurde nicht anerkannt. Bitte melden Sie sich neu an.',
    en: 'Your sign-in was not recognised. Please sign in again.',
  },
  'token-expired': {
    de: 'Ihre Anmeldung ist abgelaufen. Bitte melden Sie sich neu an.',
    en: 'Your sign-in has expired. Please sign in again.',
  },
  'session-expired': {
    de: 'Ihre Anmeldung gilt höchstens einen Arbeitstag. Bitte melden Sie sich neu an.',
    en: 'A sign-in lasts one working day at most. Please sign in again.',
  },
  'session-ended': {
    de: 'Sie haben sich abgemeldet. Bitte melden Sie sich neu an.',
    en: 'You have signed out. Please sign in again.',
  },
  forbidden: {
    de: 'Dafür haben Sie keine Berechtigung. Wenden Sie sich an die Verwaltung Ihres Zugangs, wenn Sie sie brauchen.',
    en: 'You are not permitted to do this. Ask whoever manages your access if you need it.',
  },
  'not-found': {
    de: 'Nicht gefunden – oder nicht für Sie sichtbar.',
    en: 'Not found — or not visible to you.',
  },
  'method-not-allowed': {
    de: 'Diese Aktion ist hier nicht möglich.',
    en: 'This action is not possible here.',
  },
  conflict: {
    de: 'Das ist im jetzigen Zustand nicht möglich.',
    en: 'That is not possible in the current state.',
  },
  'transition-refused': {
    de: 'Die Zuweisung hat inzwischen einen anderen Stand; dieser Schritt ist nicht mehr möglich. Bitte laden Sie neu.',
    en: 'The referral has moved on; this step is no longer possible. Please reload.',
  },
  'stale-referral': {
    de: 'Die Zuweisung wurde gleichzeitig geändert. Bitte laden Sie neu und versuchen Sie es erneut.',
    en: 'The referral was changed at the same time. Please reload and try again.',
  },
  'stale-key-set': {
    de: 'Die Schlüssel Ihrer Stelle wurden gleichzeitig geändert. Bitte laden Sie neu.',
    en: "Your office's keys were changed at the same time. Please reload.",
  },
  'open-referral-moved': {
    de: 'Für diese Person gilt inzwischen eine andere Zuweisung.',
    en: 'Another referral is now open for this person.',
  },
  'no-erasure-request': {
    de: 'Für diese Zuweisung wurde keine Löschung angefordert.',
    en: 'No erasure was requested for this referral.',
  },
  'already-declined': {
    de: 'Diese Zuweisung wurde bereits abgelehnt.',
    en: 'This referral has already been declined.',
  },
  'consent-withdrawn': {
    de: 'Die Einwilligung wurde widerrufen.',
    en: 'The consent has been withdrawn.',
  },
  'open-referral-exists': {
    de: 'Für diese Person besteht bereits eine offene Zuweisung (keine Doppelstrukturen).',
    en: 'This person already has an open referral.',
  },
  'recipient-key-missing': {
    de: 'Die zuständige Beratungsstelle hat noch keinen Schlüssel eingerichtet und kann noch nichts empfangen.',
    en: 'The responsible office has not set up its key yet and cannot receive anything.',
  },
  gone: {
    de: 'Diese Zuweisung wurde widerrufen oder ist abgelaufen und kann nicht mehr geöffnet werden.',
    en: 'This referral was revoked or has expired and can no longer be opened.',
  },
  'payload-too-large': { de: 'Die Angaben sind zu umfangreich.', en: 'The entries are too large.' },
  'unsupported-media-type': {
    de: 'Die Anfrage hat ein falsches Format.',
    en: 'The request has the wrong format.',
  },
  'unprocessable-content': {
    de: 'Die Angaben widersprechen einer Regel.',
    en: 'The entries break a rule.',
  },
  'idempotency-key-reused': {
    de: 'Diese Anfrage wurde schon mit anderen Angaben gesendet. Bitte laden Sie neu.',
    en: 'This request was already sent with other entries. Please reload.',
  },
  'routing-refused': {
    de: 'Für diese Person ist keine Beratungsstelle zuständig.',
    en: 'No office is responsible for this person.',
  },
  'referral-decryption-failed': {
    de: 'Die Daten lassen sich mit keinem Schlüssel Ihrer Stelle entschlüsseln.',
    en: "The data does not decrypt with any of your office's keys.",
  },
  'consent-not-found': {
    de: 'Diese Einwilligung gibt es nicht (oder sie wurde von einer anderen Behörde aufgenommen).',
    en: 'There is no such consent (or another authority recorded it).',
  },
  'subject-mismatch': {
    de: 'Die Person passt nicht zur Einwilligung.',
    en: 'The person does not match the consent.',
  },
  'consent-expired': { de: 'Die Einwilligung ist abgelaufen.', en: 'The consent has expired.' },
  'data-categories-not-covered': {
    de: 'Einige Angaben sind von der Einwilligung nicht gedeckt.',
    en: 'Some entries are not covered by the consent.',
  },
  'recipient-not-in-scope': {
    de: 'Die Einwilligung umfasst diese Beratungsstelle nicht.',
    en: 'The consent does not cover this office.',
  },
  'purpose-not-covered': {
    de: 'Die Einwilligung umfasst den Zweck dieser Beratung nicht.',
    en: "The consent does not cover this service's purpose.",
  },
  'under-minimum-age': {
    de: 'Die Person ist jünger als jedes Beratungsangebot vorsieht.',
    en: 'The person is younger than any service provides for.',
  },
  'no-office-covers-municipality': {
    de: 'Für den Wohnort ist keine Beratungsstelle zuständig.',
    en: 'No office serves the place of residence.',
  },
  'consent-excludes-all-candidates': {
    de: 'Die Einwilligung schließt alle zuständigen Beratungsstellen aus.',
    en: 'The consent excludes every responsible office.',
  },
  'no-rule-applies': {
    de: 'Für dieses Datum gilt keine Zuständigkeitsregel.',
    en: 'No routing rule applies on this date.',
  },
  'unknown-office': { de: 'Diese Beratungsstelle ist nicht bekannt.', en: 'This office is not known.' },
  'forward-to-self': {
    de: 'Eine Weiterleitung an die eigene Stelle ist nicht möglich.',
    en: 'A referral cannot be forwarded to your own office.',
  },
  'recipient-not-covering-municipality': {
    de: 'Diese Beratungsstelle ist für den Wohnort nicht zuständig.',
    en: 'This office does not serve the place of residence.',
  },
  'too-many-requests': {
    de: 'Gerade kommen zu viele Anfragen an. Bitte versuchen Sie es in einer Minute erneut.',
    en: 'Too many requests right now. Please try again in a minute.',
  },
  'internal-error': {
    de: 'Ein Fehler im System. Es wurde nichts geändert; bitte versuchen Sie es später erneut.',
    en: 'A fault in the system. Nothing was changed; please try again later.',
  },
  'request-header-fields-too-large': {
    de: 'Die Anfrage ist zu umfangreich und wurde nicht bearbeitet.',
    en: 'The request is too large and was not processed.',
  },
  'bad-gateway': {
    de: 'Das System antwortet gerade nicht. Bitte versuchen Sie es später erneut.',
    en: 'The system is not answering. Please try again later.',
  },
  'dependency-unavailable': {
    de: 'Ein Teil des Systems ist gerade nicht erreichbar. Bitte versuchen Sie es gleich erneut.',
    en: 'Part of the system is unreachable. Please try again shortly.',
  },
};

const SIGN_IN_TEXTS: Readonly<Record<SignInError['reason'], Texts>> = {
  'provider-unreachable': {
    de: 'Der Anmeldedienst ist nicht erreichbar. Bitte versuchen Sie es später erneut.',
    en: 'The sign-in service cannot be reached. Please try again later.',
  },
  'sign-in-failed': {
    de: 'Die Anmeldung hat nicht geklappt. Bitte melden Sie sich erneut an.',
    en: 'Signing in did not work. Please sign in again.',
  },
  'session-ended': {
    de: 'Ihre Anmeldung ist beendet. Bitte melden Sie sich erneut an.',
    en: 'Your sign-in has ended. Please sign in again.',
  },
};

const NETWORK: Texts = {
  de: 'Keine Verbindung zum System. Bitte prüfen Sie Ihre Netzwerkverbindung.',
  en: 'No connection to the system. Please check your network connection.',
};

const FIELD_HINT: Texts = { de: 'bitte prüfen', en: 'please check' };

/** One person-readable message for any failure of a page's action. */
export function problemText(
  lang: Language,
  error: unknown,
  /** A field path of the request → its label on the form, for `errors[].field`. */
  fieldLabel: (field: string) => string | undefined = () => undefined,
): string {
  if (error instanceof SignInError) return SIGN_IN_TEXTS[error.reason][lang];
  if (!(error instanceof ApiError)) return NETWORK[lang];
  const reason = error.problem?.reason;
  const code = error.code;
  const known = (c: string | undefined): c is ProblemCode =>
    c !== undefined && Object.hasOwn(PROBLEM_TEXTS, c);
  const base = known(reason)
    ? PROBLEM_TEXTS[reason][lang]
    : known(code)
      ? PROBLEM_TEXTS[code][lang]
      : undefined;
  const text = base ?? PROBLEM_TEXTS[error.status >= 500 ? 'internal-error' : 'unprocessable-content'][lang];
  const fields = (error.problem?.errors ?? [])
    .map((e) => fieldLabel(e.field))
    .filter((label): label is string => label !== undefined);
  return fields.length > 0
    ? `${text} (${[...new Set(fields)].map((f) => `${f}: ${FIELD_HINT[lang]}`).join('; ')})`
    : text;
}
