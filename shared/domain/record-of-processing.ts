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
import { defaultRetention, type RetentionPolicy } from './retention.ts';

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

export interface RecordRetention {
  readonly item: string;
  readonly label: Bilingual;
  readonly retention: Bilingual;
  /** How the deletion happens: DynamoDB TTL, the deadline job, a transition, or not at all yet. */
  readonly enforcement: 'ttl' | 'deadline-job' | 'transition' | 'none';
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

const years = (n: number) =>
  b(
    `bis zum Ende des ${n === 1 ? 'auf das Jahr des Ereignisses folgenden Jahres' : `${n}. Jahres nach dem Jahr des Ereignisses`}`,
    `until the end of the ${n === 1 ? 'year after the year of the event' : `${n}th year after the year of the event`}`,
  );

function retentionItems(policy: RetentionPolicy, deadlines: DeadlinePolicy): RecordRetention[] {
  return [
    {
      item: 'audit-entry',
      label: b('Einträge des Prüfprotokolls', 'Audit log entries'),
      retention: b(
        `Nach Aufbewahrungsepoche: ${years(policy.auditYearsAfter).de} (deployment.auditRetentionYears = ${policy.auditYearsAfter}); eine Epoche nie vor der vorigen.`,
        `By retention epoch: ${years(policy.auditYearsAfter).en} (deployment.auditRetentionYears = ${policy.auditYearsAfter}); an epoch never before the one before it.`,
      ),
      enforcement: 'ttl',
    },
    {
      item: 'idempotency',
      label: b('Idempotenz-Einträge', 'Idempotency records'),
      retention: b(`${policy.idempotencyHours} Stunden`, `${policy.idempotencyHours} hours`),
      enforcement: 'ttl',
    },
    {
      item: 'referral-ciphertext',
      label: b('Verschlüsselte Zuweisung (JWE)', 'Encrypted referral (JWE)'),
      retention: b(
        `Gelöscht ${deadlines.deleteAfterReceiptDays} Tage nach Empfang; nicht empfangen: Ablauf am Tag ${deadlines.expireDays}, Löschung am Tag ${deadlines.deleteCiphertextDays}; sofort bei Widerruf vor Empfang und bei Löschersuchen an die Stelle.`,
        `Deleted ${deadlines.deleteAfterReceiptDays} days after receipt; not received: expires on day ${deadlines.expireDays}, deleted on day ${deadlines.deleteCiphertextDays}; at once on withdrawal before receipt and with an erasure request to the office.`,
      ),
      enforcement: 'deadline-job',
    },
    {
      item: 'referral-metadata',
      label: b('Zuweisungsdaten (Kennungen, Status, Verlauf)', 'Referral metadata (ids, status, history)'),
      retention: b('Noch keine Löschfrist umgesetzt.', 'No retention implemented yet.'),
      enforcement: 'none',
    },
    {
      item: 'consent',
      label: b('Einwilligungen (Nachweis)', 'Consents (evidence)'),
      retention: b('Noch keine Löschfrist umgesetzt.', 'No retention implemented yet.'),
      enforcement: 'none',
    },
    {
      item: 'outbox',
      label: b('Ausgangsnachrichten', 'Outbox items'),
      retention: b('Gelöscht, sobald zugestellt.', 'Deleted once delivered.'),
      enforcement: 'transition',
    },
    {
      item: 'open-referral-guard',
      label: b('Sperre gegen doppelte Zuweisung', 'Open-referral guard'),
      retention: b('Gelöscht, wenn die Zuweisung abgeschlossen ist.', 'Deleted when the referral ends.'),
      enforcement: 'transition',
    },
    {
      item: 'office-state',
      label: b('Stellenzustand und ausgemusterte Schlüssel', 'Office state and retired keys'),
      retention: b('Noch keine Löschfrist umgesetzt.', 'No retention implemented yet.'),
      enforcement: 'none',
    },
    {
      item: 'checkpoint',
      label: b('Signierte Prüfpunkte', 'Signed checkpoints'),
      retention: b('Noch keine Löschfrist umgesetzt.', 'No retention implemented yet.'),
      enforcement: 'none',
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
  retention: RetentionPolicy = {
    ...defaultRetention,
    auditYearsAfter: directory.deployment.auditRetentionYears ?? defaultRetention.auditYearsAfter,
  },
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
