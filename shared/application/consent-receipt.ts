/**
 * The consent receipt handed to the person when their consent is recorded
 * (docs/consent.md, "The consent receipt"): the structure of ISO/IEC TS 27560 and the
 * Kantara consent receipt — who holds the consent (the controller), what it covers
 * (purposes, data categories, recipients), for how long, on which form text, and how to
 * withdraw it. Pure: the caller passes the record, the directory and the form texts.
 */
import type { ConsentFormLibrary } from '#shared/domain/consent/forms.ts';
import { formTextDigest } from '#shared/domain/consent/forms.ts';
import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentStatus } from '#shared/domain/consent/status.ts';
import { DATA_CATEGORY_INFO, PURPOSE_INFO } from '#shared/domain/data-categories.ts';
import { authorityById, providerById, serviceTypesOf } from '#shared/domain/directory/lookup.ts';
import type { Directory } from '#shared/domain/directory/schema.ts';
import { parsePrincipal } from '#shared/identity/principal.ts';
import type { ConsentReceipt } from '#shared/schemas/consent.ts';

/** The languages the receipt's own words exist in; a form in another language gets English. */
export const RECEIPT_LANGUAGES = ['de', 'en'] as const;

const GIVEN_BY = {
  subject: { de: 'die Person selbst', en: 'the person themselves' },
  guardian: { de: 'ein gesetzlicher Vertreter', en: 'a legal guardian' },
} as const;

export const LEGAL_BASIS = {
  de: 'Einwilligung nach Art. 6 Abs. 1 Buchst. a und Art. 7 DSGVO',
  en: 'Consent under Art. 6(1)(a) and Art. 7 GDPR',
} as const;

export function withdrawalWords(consentId: string, authorityName: string) {
  return {
    de: `Sie können diese Einwilligung jederzeit widerrufen, ohne Angabe von Gründen und ohne Nachteile: bei ${authorityName} oder bei der Beratungsstelle, die Ihre Daten erhalten hat, mündlich oder schriftlich, mit der Nummer ${consentId}. Danach wird nichts mehr weitergegeben, und eine Beratungsstelle, die Ihre Daten schon erhalten hat, löscht sie. Was bis zum Widerruf geschah, bleibt rechtmäßig.`,
    en: `You can withdraw this consent at any time, without giving reasons and without disadvantage: at ${authorityName} or at the counselling office that received your data, orally or in writing, quoting the number ${consentId}. After that nothing more is passed on, and an office that already received your data deletes it. What happened before the withdrawal remains lawful.`,
  };
}

export function consentReceipt(input: {
  readonly record: ConsentRecord;
  readonly directory: Directory;
  readonly forms: ConsentFormLibrary;
  readonly now: Date;
}): ConsentReceipt {
  const { record, directory, forms, now } = input;
  const recorder = parsePrincipal(record.recordedBy);
  const authorityId = recorder?.kind === 'authority' ? recorder.id : record.recordedBy;
  const authorityName = authorityById(directory, authorityId)?.name ?? authorityId;
  const digest = formTextDigest(record.evidence.formVersion);
  const text = digest ? forms.byDigest(digest) : undefined;
  const second = (RECEIPT_LANGUAGES as readonly string[]).includes(record.evidence.language)
    ? record.evidence.language
    : 'en';
  const types = serviceTypesOf(directory);
  return {
    receiptVersion: '1',
    consentId: record.id,
    issuedAt: now.toISOString(),
    languages: second === 'de' ? ['de', 'en'] : ['de', second],
    jurisdiction: 'DE',
    legalBasis: { ...LEGAL_BASIS },
    controller: { authorityId, name: authorityName },
    subjectId: record.subjectId,
    givenBy: { role: record.givenByRole, label: { ...GIVEN_BY[record.givenByRole] } },
    givenAt: record.givenAt,
    validUntil: record.validUntil ?? null,
    status: consentStatus(record, now),
    purposes: record.purposes.map((code) => ({
      code,
      label: { de: PURPOSE_INFO[code].labelDe, en: PURPOSE_INFO[code].label },
    })),
    dataCategories: record.dataCategories.map((code) => ({
      code,
      label: { de: DATA_CATEGORY_INFO[code].labelDe, en: DATA_CATEGORY_INFO[code].label },
    })),
    recipients: {
      serviceTypes: record.scope.serviceTypes.map((code) => ({
        code,
        name: types.find((t) => t.code === code)?.name ?? code,
      })),
      providers: record.scope.providerIds.map((id) => ({
        id,
        name: providerById(directory, id)?.name ?? id,
      })),
    },
    form: {
      ...record.evidence,
      text: text
        ? {
            version: text.version,
            language: text.language,
            sha256: text.sha256,
            formVersion: `sha256-${text.sha256}`,
          }
        : null,
    },
    withdrawal: withdrawalWords(record.id, authorityName),
  };
}
