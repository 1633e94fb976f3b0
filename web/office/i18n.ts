/** The office page's words in German and English. Keys are used in index.html (data-i18n) and app.ts. */
import type { DeclineRequest, ReferralStatus } from '#shared/schemas/referral.ts';
import { type Language, type MessageParams, translator } from '#web/common/i18n.ts';

export type { Language, MessageParams };

const de = {
  title: 'Zuweisungen — Beratungsstelle',
  skip: 'Zum Inhalt springen',
  signInHeading: 'Anmelden',
  signInIntro:
    'Melden Sie sich mit dem Konto Ihrer Beratungsstelle an. Passwort und zweiten Faktor geben Sie beim Anmeldedienst ein, nie auf dieser Seite. Die Daten der Personen werden nur in diesem Browser entschlüsselt.',
  signIn: 'Anmelden',
  signOut: 'Abmelden',
  signedInAs: 'Angemeldet: {person} ({unit})',
  someone: 'angemeldet',
  wrongPage: 'Sie sind für {name} angemeldet. Diese Seite ist für Beratungsstellen.',
  settingsUnavailable:
    'Die Einstellungen der Seite können nicht geladen werden. Bitte laden Sie die Seite neu.',
  signInNotConfigured: 'Die Anmeldung für Personen ist in dieser Installation nicht eingerichtet.',
  working: 'Einen Moment …',

  keysHeading: 'Schlüssel Ihrer Stelle',
  keysIntro:
    'Zuweisungen werden für den Schlüssel Ihrer Stelle verschlüsselt. Den privaten Teil hat nur Ihre Stelle: in diesem Browser (nicht auslesbar gespeichert) und in der Sicherungsdatei, die nur mit Ihrem Passwort zu öffnen ist. Die Plattform erhält nur den öffentlichen Teil.',
  keysNone:
    'Ihre Stelle hat noch keinen Schlüssel. Erzeugen Sie ihn jetzt: Sie speichern zuerst die Sicherungsdatei, erst dann wird der öffentliche Schlüssel veröffentlicht.',
  keysMissingHere:
    'Die Schlüssel Ihrer Stelle sind in diesem Browser nicht vorhanden. Lesen Sie die Sicherungsdatei ein, die beim Erzeugen gespeichert wurde.',
  keysReady: 'Bereit: {count} Schlüssel in diesem Browser, aktueller Schlüssel {kid}.',
  keysCurrentMissing:
    'Der aktuelle Schlüssel {kid} ist in diesem Browser nicht vorhanden. Neue Zuweisungen können Sie hier erst öffnen, wenn Sie seine Sicherungsdatei einlesen.',
  setupHeading: 'Neuen Schlüssel erzeugen',
  setupIntro:
    'Wählen Sie ein Passwort für die Sicherungsdatei (mindestens 12 Zeichen) und bewahren Sie es getrennt von der Datei auf. Ohne Datei und Passwort kann niemand – auch nicht der Betreiber – die Zuweisungen an diesen Schlüssel wiederherstellen.',
  password: 'Passwort für die Sicherungsdatei',
  passwordRepeat: 'Passwort wiederholen',
  passwordShort: 'Das Passwort muss mindestens 12 Zeichen lang sein.',
  passwordMismatch: 'Die beiden Passwörter stimmen nicht überein.',
  generate: 'Schlüssel erzeugen',
  generating: 'Der Schlüssel wird in diesem Browser erzeugt …',
  backupReady:
    'Der Schlüssel ist erzeugt, aber noch nicht veröffentlicht. Speichern Sie jetzt die Sicherungsdatei an einem sicheren Ort (z. B. auf dem Laufwerk Ihrer Stelle).',
  downloadBackup: 'Sicherungsdatei speichern',
  backupSaved: 'Ich habe die Sicherungsdatei gespeichert und kenne das Passwort.',
  publish: 'Öffentlichen Schlüssel veröffentlichen',
  publishNeedsBackup: 'Bitte speichern Sie zuerst die Sicherungsdatei und bestätigen Sie das.',
  cancel: 'Abbrechen',
  published: 'Veröffentlicht. Neue Zuweisungen werden für den Schlüssel {kid} verschlüsselt.',
  importHeading: 'Sicherungsdatei einlesen',
  importIntro:
    'Für einen weiteren Browser oder Arbeitsplatz: Lesen Sie die Sicherungsdatei mit ihrem Passwort ein. Die Datei kann auch mit „rex keys export“ erstellt worden sein.',
  backupFile: 'Sicherungsdatei',
  backupPassword: 'Passwort der Sicherungsdatei',
  importButton: 'Sicherung einlesen',
  imported: 'Schlüssel {kid} ist jetzt in diesem Browser.',
  importNoFile: 'Bitte wählen Sie die Sicherungsdatei aus.',
  'backup.not-a-backup': 'Diese Datei ist keine Schlüsselsicherung.',
  'backup.wrong-password': 'Das Passwort öffnet diese Sicherungsdatei nicht.',
  'backup.inconsistent': 'Die Sicherungsdatei ist beschädigt: Schlüssel und Angaben passen nicht zusammen.',
  'backup.weak-password': 'Das Passwort muss mindestens 12 Zeichen lang sein.',
  backupOtherOffice: 'Diese Sicherungsdatei gehört zu einer anderen Stelle ({office}).',
  backupUnknownKey: 'Dieser Schlüssel wurde von Ihrer Stelle nie veröffentlicht.',
  rotate: 'Schlüssel wechseln',
  rotateIntro:
    'Beim Wechsel wird ein neuer Schlüssel erzeugt und aktuell; die bisherigen bleiben zum Öffnen älterer Zuweisungen, bis Sie sie zurückziehen.',
  keysCaption: 'Schlüssel Ihrer Stelle',
  colKid: 'Schlüssel',
  colAlg: 'Verfahren',
  colKeyStatus: 'Stand',
  colPublished: 'Veröffentlicht',
  colHere: 'In diesem Browser',
  colActions: 'Aktion',
  'keyStatus.current': 'aktuell',
  'keyStatus.published': 'veröffentlicht',
  'keyStatus.retired': 'zurückgezogen',
  yes: 'ja',
  no: 'nein',
  retire: 'Zurückziehen',
  retireLabel: 'Zurückziehen: Schlüssel {kid}',
  retireConfirm:
    'Schlüssel {kid} zurückziehen? Er wird nicht mehr veröffentlicht und aus diesem Browser gelöscht. Zuweisungen, die noch für ihn verschlüsselt sind, können dann hier nicht mehr geöffnet werden.',
  retired: 'Schlüssel {kid} ist zurückgezogen.',

  inboxHeading: 'Zuweisungen',
  inboxIntro:
    'Die Zuweisungen an Ihre Stelle, die zuletzt geänderten zuerst. Beim Öffnen einer neuen Zuweisung wird zuerst der Empfang bestätigt, dann wird sie in diesem Browser entschlüsselt.',
  filter: 'Anzeigen',
  'filter.all': 'alle',
  'filter.new': 'neu',
  'filter.received': 'empfangen',
  'filter.contacted': 'Kontakt aufgenommen',
  'filter.closed': 'abgeschlossen',
  'filter.declined': 'abgelehnt',
  'filter.revoked': 'widerrufen',
  'filter.expired': 'abgelaufen',
  refresh: 'Aktualisieren',
  nextPage: 'Weitere Zuweisungen',
  inboxCaption: 'Zuweisungen an Ihre Stelle',
  colReceived: 'Eingegangen',
  colCase: 'Aktenzeichen',
  colAuthority: 'Ausländerbehörde',
  colStatus: 'Stand',
  colDue: 'Frist',
  noReferrals: 'Keine Zuweisungen.',
  inboxCount: '{count} Zuweisungen angezeigt.',
  inboxCountOne: '1 Zuweisung angezeigt.',
  today: 'heute',
  oneDayAgo: 'vor 1 Tag',
  daysAgo: 'vor {days} Tagen',
  'due.re-announce': 'Erinnerung am {date}',
  'due.expire': 'läuft ab am {date}',
  'due.delete-ciphertext': 'verschlüsselte Daten werden am {date} gelöscht',
  open: 'Öffnen',
  openNew: 'Öffnen und Empfang bestätigen',
  openLabel: '{action}: Zuweisung {caseReference}',
  cannotOpen: 'nicht zu öffnen',
  forwardedToShort: 'weitergeleitet an {office}',

  referralHeading: 'Zuweisung {caseReference}',
  close: 'Schließen',
  receipting: 'Der Empfang wird bestätigt …',
  decrypting: 'Die Zuweisung wird in diesem Browser entschlüsselt …',
  revokedCannotOpen:
    'Diese Zuweisung wurde widerrufen (die Einwilligung wurde zurückgezogen). Sie kann nicht geöffnet werden; es wurde nichts entschlüsselt.',
  expiredCannotOpen:
    'Diese Zuweisung ist abgelaufen, weil sie nicht rechtzeitig geöffnet wurde. Sie kann nicht geöffnet werden; es wurde nichts entschlüsselt.',
  ciphertextDeleted:
    'Die verschlüsselten Daten dieser Zuweisung wurden nach Ablauf der Frist gelöscht (7 Tage nach Empfang). Übernehmen Sie Zuweisungen rechtzeitig in Ihre Akte.',
  unknownKid:
    'Diese Zuweisung ist für den Schlüssel {kid} verschlüsselt. Er ist in diesem Browser nicht vorhanden: Lesen Sie seine Sicherungsdatei ein.',
  decryptionFailed:
    'Diese Zuweisung lässt sich mit keinem Schlüssel dieses Browsers entschlüsseln. Sie ist für den Schlüssel {kid} verschlüsselt – entweder wurde sie verändert, oder die Sicherungsdatei gehört zu einem anderen Schlüssel.',
  notThisReferral:
    'Der entschlüsselte Inhalt gehört nicht zu dieser Zuweisung. Er wird nicht angezeigt; bitte melden Sie die Zuweisungsnummer dem Betrieb der Plattform.',
  noKeysHere: 'In diesem Browser ist kein Schlüssel Ihrer Stelle. Lesen Sie zuerst die Sicherungsdatei ein.',
  referralFacts: 'Angaben zur Zuweisung',
  factAuthority: 'Ausländerbehörde',
  factCase: 'Aktenzeichen der Behörde',
  factCreated: 'Zugewiesen am',
  factStatus: 'Stand',
  factDue: 'Nächste Frist',
  factReferralId: 'Zuweisungsnummer',
  factForwardedFrom: 'Weitergeleitet von',
  personHeading: 'Angaben zur Person',
  printNote:
    'Für die Akte: Drucken Sie die Angaben oder speichern Sie sie als PDF. Die Angaben werden nicht gespeichert und beim Abmelden oder nach einigen Minuten im Hintergrund ausgeblendet.',
  print: 'Drucken / als PDF speichern',
  printedFrom: 'Ausgedruckt aus dem Zuweisungsverfahren am {date}. Vertraulich: personenbezogene Daten.',
  dropped:
    'Die entschlüsselten Angaben wurden ausgeblendet, weil die Seite einige Minuten im Hintergrund war. Öffnen Sie die Zuweisung erneut, um sie zu sehen.',

  actionsHeading: 'Rückmeldung an die Ausländerbehörde',
  actionContacted: 'Kontakt aufgenommen',
  actionContactedSees:
    'Die Ausländerbehörde sieht: „Kontakt aufgenommen“ mit Datum und Uhrzeit – keine Inhalte des Gesprächs.',
  actionClose: 'Abgeschlossen',
  closeReason: 'Grund für den Abschluss',
  'closeReason.counselling-completed': 'Beratung abgeschlossen',
  'closeReason.person-moved': 'Person ist verzogen',
  'closeReason.other': 'anderer Grund',
  actionCloseSees:
    'Die Ausländerbehörde sieht: „Abgeschlossen“ und den gewählten Grund, keinen Freitext. Die Person kann danach neu zugewiesen werden.',
  actionDecline: 'Nicht zuständig – ablehnen',
  declineReason: 'Grund der Ablehnung',
  'declineReason.not-responsible': 'nicht zuständig',
  'declineReason.no-capacity': 'keine Kapazität',
  'declineReason.person-unreachable': 'Person nicht erreichbar',
  'declineReason.person-declined': 'Person möchte keine Beratung',
  'declineReason.other': 'anderer Grund',
  actionDeclineSees:
    'Die Ausländerbehörde sieht: „Abgelehnt“ und den gewählten Grund, keinen Freitext. Die Person kann danach neu zugewiesen werden.',
  actionForward: 'Weiterleiten an …',
  forwardTo: 'Stelle, die die Person übernehmen soll',
  forwardNone: 'Keine andere Stelle versorgt die Gemeinde der Person.',
  forwardSees:
    'Die Angaben zur Person gehen über die gesicherte Verbindung an die Plattform, die sie – wie bei der Zuweisung selbst – nur für die gewählte Stelle verschlüsselt und nicht im Klartext speichert. Die Ausländerbehörde sieht: „Abgelehnt“, den Grund und „weitergeleitet an {office}“; die gewählte Stelle erhält eine neue Zuweisung.',
  forwardButton: 'Ablehnen und weiterleiten',
  forwardNeedsData: 'Zum Weiterleiten muss die Zuweisung entschlüsselt angezeigt werden.',
  reported: 'Gemeldet: {status}.',
  forwarded: 'Weitergeleitet an {office}. Die neue Zuweisung hat die Nummer {referralId}.',
  noActions: 'Für diesen Stand ist keine Rückmeldung mehr möglich.',

  'status.accepted': 'neu',
  'status.queued': 'neu',
  'status.received': 'empfangen',
  'status.contacted': 'Kontakt aufgenommen',
  'status.closed': 'abgeschlossen',
  'status.declined': 'abgelehnt',
  'status.revoked': 'widerrufen',
  'status.expired': 'abgelaufen',
};

export type MessageKey = keyof typeof de;

const en: Readonly<Record<MessageKey, string>> = {
  title: 'Referrals — counselling office',
  skip: 'Skip to content',
  signInHeading: 'Sign in',
  signInIntro:
    "Sign in with your counselling office's account. You enter your password and second factor at the sign-in service, never on this page. People's data is decrypted in this browser only.",
  signIn: 'Sign in',
  signOut: 'Sign out',
  signedInAs: 'Signed in: {person} ({unit})',
  someone: 'signed in',
  wrongPage: 'You are signed in for {name}. This page is for counselling offices.',
  settingsUnavailable: 'The page’s settings cannot be loaded. Please reload the page.',
  signInNotConfigured: 'Sign-in for people is not set up in this deployment.',
  working: 'One moment …',

  keysHeading: "Your office's keys",
  keysIntro:
    'Referrals are encrypted to your office’s key. Only your office has its private half: in this browser (stored so that it cannot be read out) and in the backup file, which only your password opens. The platform gets the public half only.',
  keysNone:
    'Your office has no key yet. Create it now: you save the backup file first; only then is the public key published.',
  keysMissingHere:
    "Your office's keys are not in this browser. Import the backup file that was saved when the key was created.",
  keysReady: 'Ready: {count} key(s) in this browser, current key {kid}.',
  keysCurrentMissing:
    'The current key {kid} is not in this browser. You can open new referrals here only after importing its backup file.',
  setupHeading: 'Create a new key',
  setupIntro:
    'Choose a password for the backup file (at least 12 characters) and keep it apart from the file. Without file and password nobody — not even the operator — can recover the referrals encrypted to this key.',
  password: 'Password for the backup file',
  passwordRepeat: 'Repeat the password',
  passwordShort: 'The password must be at least 12 characters long.',
  passwordMismatch: 'The two passwords do not match.',
  generate: 'Create key',
  generating: 'The key is being created in this browser …',
  backupReady:
    'The key is created but not yet published. Save the backup file now in a safe place (e.g. your office’s drive).',
  downloadBackup: 'Save the backup file',
  backupSaved: 'I have saved the backup file and know its password.',
  publish: 'Publish the public key',
  publishNeedsBackup: 'Please save the backup file first and confirm it.',
  cancel: 'Cancel',
  published: 'Published. New referrals are encrypted to key {kid}.',
  importHeading: 'Import a backup file',
  importIntro:
    'For another browser or workplace: import the backup file with its password. The file may also come from “rex keys export”.',
  backupFile: 'Backup file',
  backupPassword: "The backup file's password",
  importButton: 'Import backup',
  imported: 'Key {kid} is now in this browser.',
  importNoFile: 'Please choose the backup file.',
  'backup.not-a-backup': 'This file is not a key backup.',
  'backup.wrong-password': 'The password does not open this backup file.',
  'backup.inconsistent': 'The backup file is damaged: key and description do not match.',
  'backup.weak-password': 'The password must be at least 12 characters long.',
  backupOtherOffice: 'This backup file belongs to another office ({office}).',
  backupUnknownKey: 'Your office never published this key.',
  rotate: 'Change key',
  rotateIntro:
    'Changing creates a new key that becomes current; the earlier ones stay for opening older referrals until you retire them.',
  keysCaption: "Your office's keys",
  colKid: 'Key',
  colAlg: 'Algorithm',
  colKeyStatus: 'State',
  colPublished: 'Published',
  colHere: 'In this browser',
  colActions: 'Action',
  'keyStatus.current': 'current',
  'keyStatus.published': 'published',
  'keyStatus.retired': 'retired',
  yes: 'yes',
  no: 'no',
  retire: 'Retire',
  retireLabel: 'Retire: key {kid}',
  retireConfirm:
    'Retire key {kid}? It is no longer published and is deleted from this browser. Referrals still encrypted to it can then no longer be opened here.',
  retired: 'Key {kid} is retired.',

  inboxHeading: 'Referrals',
  inboxIntro:
    'The referrals to your office, most recently changed first. Opening a new referral first acknowledges its receipt, then decrypts it in this browser.',
  filter: 'Show',
  'filter.all': 'all',
  'filter.new': 'new',
  'filter.received': 'received',
  'filter.contacted': 'contact made',
  'filter.closed': 'closed',
  'filter.declined': 'declined',
  'filter.revoked': 'revoked',
  'filter.expired': 'expired',
  refresh: 'Refresh',
  nextPage: 'More referrals',
  inboxCaption: 'Referrals to your office',
  colReceived: 'Arrived',
  colCase: 'File number',
  colAuthority: 'Immigration authority',
  colStatus: 'State',
  colDue: 'Deadline',
  noReferrals: 'No referrals.',
  inboxCount: '{count} referrals shown.',
  inboxCountOne: '1 referral shown.',
  today: 'today',
  oneDayAgo: '1 day ago',
  daysAgo: '{days} days ago',
  'due.re-announce': 'reminder on {date}',
  'due.expire': 'expires on {date}',
  'due.delete-ciphertext': 'encrypted data deleted on {date}',
  open: 'Open',
  openNew: 'Open and acknowledge receipt',
  openLabel: '{action}: referral {caseReference}',
  cannotOpen: 'cannot be opened',
  forwardedToShort: 'forwarded to {office}',

  referralHeading: 'Referral {caseReference}',
  close: 'Close',
  receipting: 'Acknowledging the receipt …',
  decrypting: 'Decrypting the referral in this browser …',
  revokedCannotOpen:
    'This referral was revoked (the consent was withdrawn). It cannot be opened; nothing was decrypted.',
  expiredCannotOpen:
    'This referral expired because it was not opened in time. It cannot be opened; nothing was decrypted.',
  ciphertextDeleted:
    "This referral's encrypted data was deleted when its time was up (7 days after receipt). Take referrals over into your files in time.",
  unknownKid:
    'This referral is encrypted to key {kid}, which is not in this browser: import its backup file.',
  decryptionFailed:
    'This referral does not decrypt with any key of this browser. It is encrypted to key {kid} — either it was altered, or the backup file holds a different key.',
  notThisReferral:
    'The decrypted content does not belong to this referral. It is not shown; please report the referral number to the platform’s operator.',
  noKeysHere: 'This browser holds no key of your office. Import the backup file first.',
  referralFacts: 'About the referral',
  factAuthority: 'Immigration authority',
  factCase: "The authority's file number",
  factCreated: 'Referred on',
  factStatus: 'State',
  factDue: 'Next deadline',
  factReferralId: 'Referral number',
  factForwardedFrom: 'Forwarded from',
  personHeading: 'About the person',
  printNote:
    'For the case file: print the data or save it as PDF. The data is not stored and is hidden on sign-out or after a few minutes in the background.',
  print: 'Print / save as PDF',
  printedFrom: 'Printed from the referral exchange on {date}. Confidential: personal data.',
  dropped:
    'The decrypted data was hidden because the page was in the background for a few minutes. Open the referral again to see it.',

  actionsHeading: 'Report back to the immigration authority',
  actionContacted: 'Contact made',
  actionContactedSees:
    'The immigration authority sees: “contact made” with date and time — nothing of the conversation.',
  actionClose: 'Closed',
  closeReason: 'Reason for closing',
  'closeReason.counselling-completed': 'counselling completed',
  'closeReason.person-moved': 'person moved away',
  'closeReason.other': 'other reason',
  actionCloseSees:
    'The immigration authority sees: “closed” and the reason chosen, no free text. The person can then be referred again.',
  actionDecline: 'Not responsible — decline',
  declineReason: 'Reason for declining',
  'declineReason.not-responsible': 'not responsible',
  'declineReason.no-capacity': 'no capacity',
  'declineReason.person-unreachable': 'person unreachable',
  'declineReason.person-declined': 'person does not want counselling',
  'declineReason.other': 'other reason',
  actionDeclineSees:
    'The immigration authority sees: “declined” and the reason chosen, no free text. The person can then be referred again.',
  actionForward: 'Forward to …',
  forwardTo: 'Office to take the person over',
  forwardNone: "No other office serves the person's municipality.",
  forwardSees:
    "The person's data goes over the secure connection to the platform, which — as for the referral itself — encrypts it for the chosen office only and does not store it in plaintext. The immigration authority sees: “declined”, the reason and “forwarded to {office}”; the chosen office gets a new referral.",
  forwardButton: 'Decline and forward',
  forwardNeedsData: 'To forward, the referral must be shown decrypted.',
  reported: 'Reported: {status}.',
  forwarded: 'Forwarded to {office}. The new referral has number {referralId}.',
  noActions: 'No more reports are possible in this state.',

  'status.accepted': 'new',
  'status.queued': 'new',
  'status.received': 'received',
  'status.contacted': 'contact made',
  'status.closed': 'closed',
  'status.declined': 'declined',
  'status.revoked': 'revoked',
  'status.expired': 'expired',
};

export const MESSAGES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { de, en };

export const translate = translator(MESSAGES);

/** The inbox filters and the statuses each shows. */
export const FILTERS = {
  all: [],
  new: ['accepted', 'queued'],
  received: ['received'],
  contacted: ['contacted'],
  closed: ['closed'],
  declined: ['declined'],
  revoked: ['revoked'],
  expired: ['expired'],
} as const satisfies Record<string, readonly ReferralStatus[]>;
export type FilterName = keyof typeof FILTERS;

export const CLOSE_REASONS = ['counselling-completed', 'person-moved', 'other'] as const;
export const DECLINE_REASONS = [
  'not-responsible',
  'no-capacity',
  'person-unreachable',
  'person-declined',
  'other',
] as const satisfies readonly DeclineRequest['reason'][];
// Every reason of the API has words (a new reason is a compile error here).
const _allDeclineReasons: DeclineRequest['reason'] extends (typeof DECLINE_REASONS)[number] ? true : false =
  true;
void _allDeclineReasons;
