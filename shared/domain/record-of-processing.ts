/**
 * The record of processing activities (GDPR Art. 30), generated from the directory and
 * the deployment's retention: who is responsible, what is processed about whom and what
 * for, who receives it, how long each stored item is kept and how it is protected — as
 * the system implements it. Every text is German first, English beside it. Pure: the
 * caller passes the directory, the retention and the instant.
 */
import { DATA_CATEGORIES, DATA_CATEGORY_INFO, PURPOSE_INFO, PURPOSES } from './data-categories.ts';
import type { Directory } from './directory/index.ts';
import { type DeadlinePolicy, defaultDeadlines } from './referral/deadlines.ts';
import { type RetentionPolicy, retentionOf } from './retention.ts';

export interface Bilingual {
  readonly de: string;
  readonly en: string;
}

export interface RecordParty {
  readonly id: string;
  readonly name: string;
  readonly role: Bilingual;
}

export interface RecordRecipient {
  readonly officeId: string;
  readonly name: string;
  readonly serviceType: string;
  readonly providerId: string;
  readonly providerName: string;
}

export interface RecordItem {
  readonly code: string;
  readonly label: Bilingual;
  readonly description?: Bilingual;
}

/** How an item's deletion happens. */
export type RetentionEnforcement = 'ttl' | 'deadline-job' | 'job-then-ttl' | 'transition' | 'kept';

export interface RecordRetention {
  readonly item: string;
  readonly label: Bilingual;
  readonly retention: Bilingual;
  /** The directory setting that decides it, with its value in force; null where none does. */
  readonly setting: string | null;
  /** Why it is kept that long. */
  readonly reason: Bilingual;
  /**
   * How the deletion happens: DynamoDB TTL (`expiresAt`), the deadline job, the
   * deadline job setting the TTL (office states), with the step that ends the item, or kept on purpose.
   */
  readonly enforcement: RetentionEnforcement;
}

export interface RecordOfProcessing {
  readonly deployment: { readonly id: string; readonly name: string };
  readonly generatedAt: string;
  readonly controllers: readonly RecordParty[];
  readonly processors: readonly RecordParty[];
  readonly dataProtectionOfficers: readonly { readonly name: string; readonly scope: string }[];
  readonly purposes: readonly RecordItem[];
  readonly dataSubjects: readonly RecordItem[];
  readonly dataCategories: readonly RecordItem[];
  readonly recipients: readonly RecordRecipient[];
  readonly retention: readonly RecordRetention[];
  readonly measures: readonly RecordItem[];
}

const b = (de: string, en: string): Bilingual => ({ de, en });

const yearsAfter = (n: number, de: string, en: string) =>
  b(
    `bis zum Ende des ${n === 1 ? 'folgenden Jahres' : `${n}. Jahres danach`} (gezählt ab dem Jahr ${de})`,
    `until the end of the ${n === 1 ? 'following year' : `${ordinal(n)} year after`} (counted from the year ${en})`,
  );

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * Every kind of stored item, how long it is kept, by which setting, why, and how the
 * deletion happens — the table of docs/data-model.md, with the deployment's values.
 */
export function retentionItems(policy: RetentionPolicy, deadlines: DeadlinePolicy): RecordRetention[] {
  const auditSetting = `deployment.retention.auditYears = ${policy.auditYearsAfter}`;
  return [
    {
      item: 'consent',
      label: b('Einwilligungen (Nachweis)', 'Consents (evidence)'),
      retention: b(
        `Solange sie gilt; nach Widerruf oder Ablauf der Gültigkeit ${yearsAfter(policy.auditYearsAfter, 'ihres Endes', 'of its end').de}.`,
        `While in force; after withdrawal or the end of its validity ${yearsAfter(policy.auditYearsAfter, 'ihres Endes', 'of its end').en}.`,
      ),
      setting: auditSetting,
      reason: b(
        'Sie belegt die Rechtmäßigkeit der Übermittlungen, die auf ihr beruhen, so lange wie deren Protokolleinträge aufbewahrt werden (Art. 7 Abs. 1 DSGVO).',
        'It proves the lawfulness of the transfers based on it for as long as their log entries are kept (Art. 7(1) GDPR).',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'referral-metadata',
      label: b('Zuweisungsdaten (Kennungen, Status, Verlauf)', 'Referral metadata (ids, status, history)'),
      retention: b(
        `${policy.referralDaysAfterEnd} Tage, nachdem die Zuweisung beendet ist (abgeschlossen, abgelehnt, widerrufen, abgelaufen) und keine Frist mehr aussteht.`,
        `${policy.referralDaysAfterEnd} days after the referral ended (closed, declined, revoked, expired) with no deadline left.`,
      ),
      setting: `deployment.retention.referralDaysAfterEnd = ${policy.referralDaysAfterEnd}`,
      reason: b(
        'Behörde und Stelle können den Verlauf noch nachvollziehen; der Nachweis jeder Übermittlung bleibt im Prüfprotokoll.',
        'Authority and office can still look back at its course; the proof of every transfer stays in the audit log.',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'referral-ciphertext',
      label: b('Verschlüsselte Zuweisung (JWE)', 'Encrypted referral (JWE)'),
      retention: b(
        `Gelöscht ${deadlines.deleteAfterReceiptDays} Tage nach Empfang; nicht empfangen: Ablauf am Tag ${deadlines.expireDays}, Löschung am Tag ${deadlines.deleteCiphertextDays}; sofort bei Widerruf vor Empfang und bei Löschersuchen an die Stelle.`,
        `Deleted ${deadlines.deleteAfterReceiptDays} days after receipt; not received: expires on day ${deadlines.expireDays}, deleted on day ${deadlines.deleteCiphertextDays}; at once on withdrawal before receipt and with an erasure request to the office.`,
      ),
      setting: null,
      reason: b(
        'Die Plattform hält die Daten nur für die Zustellung; die Fristen der Zuweisung (nach FIT-Connect) bestimmen sie.',
        'The platform holds the data for delivery only; the referral’s deadlines (after FIT-Connect) decide it.',
      ),
      enforcement: 'deadline-job',
    },
    {
      item: 'erasure-request',
      label: b('Löschersuchen an Stellen', 'Erasure requests to offices'),
      retention: b(
        'Mit der Zuweisung, an der es steht: deren Frist beginnt erst mit der Bestätigung der Löschung.',
        'With the referral it is part of: that one’s period starts only once the erasure is confirmed.',
      ),
      setting: `deployment.retention.referralDaysAfterEnd = ${policy.referralDaysAfterEnd}`,
      reason: b(
        'Bis zur Bestätigung wird erinnert; wem die Löschung mitgeteilt wurde und wann sie bestätigt wurde, belegt das Prüfprotokoll (Art. 19 DSGVO).',
        'It is reminded until confirmed; whom the erasure was communicated to and when it was confirmed is proven by the audit log (Art. 19 GDPR).',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'outbox',
      label: b('Ausgangsnachrichten', 'Outbox items'),
      retention: b(
        `Gelöscht, sobald zugestellt; nicht zustellbare nach ${policy.outboxDays} Tagen.`,
        `Deleted once delivered; undeliverable ones after ${policy.outboxDays} days.`,
      ),
      setting: `deployment.retention.outboxDays = ${policy.outboxDays}`,
      reason: b(
        'Sie tragen nur Kennungen und Zeiten bis zur Zustellung; eine so lange nicht zugestellte Nachricht hat der Fehleralarm gemeldet, ihre Fristen sind vorbei.',
        'They carry ids and times until delivery only; one undelivered for that long was reported by the failure alarm and its deadlines have passed.',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'idempotency',
      label: b('Idempotenz-Einträge', 'Idempotency records'),
      retention: b(`${policy.idempotencyHours} Stunden`, `${policy.idempotencyHours} hours`),
      setting: `deployment.retention.idempotencyHours = ${policy.idempotencyHours}`,
      reason: b(
        'So lange beantworten sie Wiederholungen einer Anfrage mit dem ersten Ergebnis.',
        'For that long they answer retries of a request with its first outcome.',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'open-referral-guard',
      label: b('Sperre gegen doppelte Zuweisung', 'Open-referral guard'),
      retention: b('Solange die Zuweisung offen ist.', 'While the referral is open.'),
      setting: null,
      reason: b(
        'Sie verhindert eine zweite offene Zuweisung derselben Person und wird mit dem Schritt gelöscht, der die Zuweisung beendet.',
        'It prevents a second open referral of the same person and is deleted by the step that ends the referral.',
      ),
      enforcement: 'transition',
    },
    {
      item: 'office-state',
      label: b('Stellenzustand (Schlüssel, Zähler)', 'Office state (keys, counter)'),
      retention: b(
        `Solange die Stelle im Verzeichnis steht; danach ${policy.officeStateDaysAfterRemoval} Tage.`,
        `While the office is in the directory; then ${policy.officeStateDaysAfterRemoval} days.`,
      ),
      setting: `deployment.retention.officeStateDaysAfterRemoval = ${policy.officeStateDaysAfterRemoval}`,
      reason: b(
        'Öffentliche Schlüssel und ein Zähler, keine personenbezogenen Daten; die Frist lässt eine versehentliche Entfernung rückgängig machen.',
        'Public keys and a counter, no personal data; the period lets a removal by mistake be undone.',
      ),
      enforcement: 'job-then-ttl',
    },
    {
      item: 'retired-keys',
      label: b('Ausgemusterte Schlüssel', 'Retired keys'),
      retention: b('Mit dem Stellenzustand, in dem sie stehen.', 'With the office state they are part of.'),
      setting: `deployment.retention.officeStateDaysAfterRemoval = ${policy.officeStateDaysAfterRemoval}`,
      reason: b(
        'Öffentliche Schlüssel; sie bleiben, damit ihre Kennung (kid) nie wiederverwendet wird.',
        'Public keys; they stay so that their id (kid) is never used again.',
      ),
      enforcement: 'job-then-ttl',
    },
    {
      item: 'audit-entry',
      label: b('Einträge des Prüfprotokolls', 'Audit log entries'),
      retention: b(
        `Nach Aufbewahrungsepoche: ${yearsAfter(policy.auditYearsAfter, 'des Eintrags', 'of the entry').de}; eine Epoche nie vor der vorigen.`,
        `By retention epoch: ${yearsAfter(policy.auditYearsAfter, 'des Eintrags', 'of the entry').en}; an epoch never before the one before it.`,
      ),
      setting: auditSetting,
      reason: b(
        'Protokolle von Übermittlungen werden bis zum Ende des Folgejahres aufbewahrt (nach § 76 BDSG); ganze Epochen enden an einem signierten Prüfpunkt, so bleibt der Rest prüfbar.',
        'Transfer logs are kept until the end of the following year (after § 76 BDSG); whole epochs end at a signed checkpoint, so what remains stays verifiable.',
      ),
      enforcement: 'ttl',
    },
    {
      item: 'checkpoint',
      label: b('Signierte Prüfpunkte', 'Signed checkpoints'),
      retention: b('Für die Lebensdauer des Protokolls.', 'For the lifetime of the log.'),
      setting: null,
      reason: b(
        'Wenige hundert Byte ohne personenbezogene Daten; der Prüfpunkt am Ende einer gelöschten Epoche ist der Anker, von dem aus der Rest geprüft wird, und jeder früher ausgegebene Prüfpunkt bleibt abgleichbar.',
        'A few hundred bytes without personal data; the checkpoint at the end of a deleted epoch is the anchor the rest is verified from, and every checkpoint handed out earlier can still be matched.',
      ),
      enforcement: 'kept',
    },
  ];
}

const MEASURES: readonly RecordItem[] = [
  {
    code: 'end-to-end-encryption',
    label: b('Ende-zu-Ende-Verschlüsselung', 'End-to-end encryption'),
    description: b(
      'Die Zuweisung wird als JWE mit dem öffentlichen Schlüssel der Beratungsstelle verschlüsselt; die Plattform kann sie nicht lesen.',
      'The referral is encrypted as a JWE to the counselling office’s public key; the platform cannot read it.',
    ),
  },
  {
    code: 'encryption-at-rest',
    label: b('Verschlüsselung gespeicherter Daten', 'Encryption at rest'),
    description: b(
      'Tabellen, Warteschlangen und Protokolle sind mit KMS-Schlüsseln verschlüsselt.',
      'Tables, queues and logs are encrypted with KMS keys.',
    ),
  },
  {
    code: 'pseudonymisation',
    label: b('Pseudonymisierung', 'Pseudonymisation'),
    description: b(
      'Personen erscheinen nur als Pseudonym (HMAC der Identitätsdaten), nie im Klartext.',
      'People appear only as a pseudonym (an HMAC of their identity data), never in plaintext.',
    ),
  },
  {
    code: 'access-control',
    label: b('Zugriffskontrolle', 'Access control'),
    description: b(
      'Programme signieren mit SigV4, Personen melden sich mit OpenID Connect an; jeder Zugriff wird am einzelnen Objekt geprüft; Datenschutzbeauftragte sehen nur ihren Zuständigkeitsbereich.',
      'Programs sign with SigV4, people sign in with OpenID Connect; every access is checked on the object itself; data-protection officers see only their scope.',
    ),
  },
  {
    code: 'audit-log',
    label: b('Manipulationssicheres Prüfprotokoll', 'Tamper-evident audit log'),
    description: b(
      'Jeder Vorgang wird in einer Hash-Kette protokolliert; signierte Prüfpunkte sowie Einschluss- und Konsistenzbeweise machen Änderungen erkennbar.',
      'Every step is logged in a hash chain; signed checkpoints and inclusion and consistency proofs make changes evident.',
    ),
  },
];

/** The record of processing of a deployment at `now`. */
export function recordOfProcessing(
  directory: Directory,
  now: Date,
  retention: RetentionPolicy = retentionOf(directory.deployment),
  deadlines: DeadlinePolicy = defaultDeadlines,
): RecordOfProcessing {
  const providers = new Map(directory.providers.map((p) => [p.id, p.name]));
  return {
    deployment: { id: directory.deployment.id, name: directory.deployment.name },
    generatedAt: now.toISOString(),
    controllers: [
      ...directory.authorities.map((a) => ({
        id: a.id,
        name: a.name,
        role: b('Verantwortliche Stelle (übermittelnde Behörde)', 'Controller (referring authority)'),
      })),
      {
        id: directory.deployment.id,
        name: directory.deployment.name,
        role: b('Verantwortlich für den Betrieb der Plattform', 'Controller of the platform’s operation'),
      },
    ],
    processors: [
      {
        id: 'operator',
        name: directory.deployment.name,
        role: b('Betreiber der Plattform (Auftragsverarbeitung)', 'Operator of the platform (processor)'),
      },
      {
        id: 'aws',
        name: 'Amazon Web Services',
        role: b('Unterauftragsverarbeiter (Rechenzentrum)', 'Sub-processor (hosting)'),
      },
    ],
    dataProtectionOfficers: (directory.dataProtectionOfficers ?? []).map((d) => ({
      name: d.name,
      scope: d.scope,
    })),
    purposes: PURPOSES.map((p) => ({
      code: p,
      label: b(PURPOSE_INFO[p].labelDe, PURPOSE_INFO[p].label),
    })),
    dataSubjects: [
      { code: 'newcomer', label: b('Neuzugewanderte Personen', 'Newcomers') },
      { code: 'guardian', label: b('Ihre gesetzlichen Vertreter', 'Their guardians') },
      {
        code: 'staff',
        label: b('Beschäftigte, die sich anmelden', 'Staff who sign in'),
      },
    ],
    dataCategories: DATA_CATEGORIES.map((c) => ({
      code: c,
      label: b(DATA_CATEGORY_INFO[c].labelDe, DATA_CATEGORY_INFO[c].label),
    })),
    recipients: directory.serviceOffices.map((o) => ({
      officeId: o.id,
      name: o.name,
      serviceType: o.type,
      providerId: o.providerId,
      providerName: providers.get(o.providerId) ?? o.providerId,
    })),
    retention: retentionItems(retention, deadlines),
    measures: MEASURES,
  };
}
