/**
 * The words of the consent receipt (docs/consent.md, "The consent receipt"), German and
 * English: one list for the printable page the API renders and for the clerk desk, which
 * draws the same receipt into its own page. Plain constants, so the page bundle stays free
 * of schemas.
 */
export const RECEIPT_WORDS = {
  title: { de: 'Quittung über Ihre Einwilligung', en: 'Receipt for your consent' },
  number: { de: 'Nummer der Einwilligung', en: 'Consent number' },
  controller: { de: 'Verantwortliche Stelle', en: 'Controller' },
  givenAt: { de: 'Erteilt am', en: 'Given on' },
  givenBy: { de: 'Erteilt durch', en: 'Given by' },
  validUntil: { de: 'Gültig bis', en: 'Valid until' },
  untilWithdrawn: { de: 'bis zum Widerruf', en: 'until withdrawn' },
  legalBasis: { de: 'Rechtsgrundlage', en: 'Legal basis' },
  purposes: { de: 'Wofür Ihre Daten weitergegeben werden', en: 'What your data is passed on for' },
  categories: { de: 'Welche Daten weitergegeben werden dürfen', en: 'Which data may be passed on' },
  recipients: { de: 'Wer Ihre Daten bekommen darf', en: 'Who may receive your data' },
  serviceTypes: { de: 'Eine Beratungsstelle dieser Art', en: 'One counselling office of this kind' },
  providers: { de: 'Eine Beratungsstelle dieses Trägers', en: 'One counselling office of this organisation' },
  withdraw: { de: 'So widerrufen Sie', en: 'How to withdraw' },
  form: { de: 'Unterschriebenes Formular', en: 'Signed form' },
  formAndVersion: { de: 'Formular und Fassung', en: 'Form and version' },
  formText: { de: 'Formulartext', en: 'Form text' },
  fingerprint: { de: 'Fingerabdruck (SHA-256)', en: 'Fingerprint (SHA-256)' },
  issued: { de: 'Quittung erstellt am', en: 'Receipt issued on' },
} as const;
