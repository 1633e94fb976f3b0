/**
 * The record of processing activities (Art. 30) as a printable page: German first,
 * English beside it in each table — a representation of `getRecordOfProcessing` next to
 * the JSON one.
 */
import type { Bilingual, RecordOfProcessing } from '#shared/domain/record-of-processing.ts';
import { berlinTime, escapeHtml as e, htmlDocument } from './html-document.ts';

const T = {
  title: {
    de: 'Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)',
    en: 'Record of processing activities (Art. 30 GDPR)',
  },
  generated: { de: 'Erstellt am', en: 'Generated on' },
  controllers: { de: 'Verantwortliche', en: 'Controllers' },
  processors: { de: 'Auftragsverarbeiter', en: 'Processors' },
  dpos: { de: 'Datenschutzbeauftragte', en: 'Data-protection officers' },
  purposes: { de: 'Zwecke', en: 'Purposes' },
  subjects: { de: 'Kategorien betroffener Personen', en: 'Categories of data subjects' },
  categories: { de: 'Kategorien personenbezogener Daten', en: 'Categories of personal data' },
  recipients: { de: 'Empfänger', en: 'Recipients' },
  retention: { de: 'Löschfristen', en: 'Retention' },
  measures: { de: 'Technische und organisatorische Maßnahmen', en: 'Technical and organisational measures' },
  name: { de: 'Name', en: 'Name' },
  role: { de: 'Rolle', en: 'Role' },
  scope: { de: 'Zuständigkeit', en: 'Scope' },
  office: { de: 'Beratungsstelle', en: 'Counselling office' },
  type: { de: 'Art', en: 'Type' },
  provider: { de: 'Träger', en: 'Provider' },
  item: { de: 'Gespeichertes', en: 'Stored item' },
  how: { de: 'Umsetzung', en: 'Enforced by' },
  reason: { de: 'Grund', en: 'Reason' },
  setting: { de: 'Einstellung', en: 'Setting' },
} as const;

const ENFORCEMENT: Record<RecordOfProcessing['retention'][number]['enforcement'], Bilingual> = {
  ttl: { de: 'DynamoDB-TTL', en: 'DynamoDB TTL' },
  'deadline-job': { de: 'Fristenjob', en: 'Deadline job' },
  'job-then-ttl': {
    de: 'Fristenjob setzt die Frist, DynamoDB-TTL löscht',
    en: 'Deadline job sets the expiry, DynamoDB TTL deletes',
  },
  transition: { de: 'Beim Vorgang', en: 'With the step' },
  kept: { de: 'Bewusst aufbewahrt', en: 'Kept on purpose' },
};

const two = (t: Bilingual) => `${e(t.de)}<br><span lang="en" class="en">${e(t.en)}</span>`;
const head = (t: Bilingual) => `<th scope="col">${two(t)}</th>`;

function table(
  id: keyof typeof T,
  columns: readonly Bilingual[],
  rows: readonly (readonly string[])[],
): string {
  const t = T[id];
  return `<section aria-labelledby="${id}">
<h2 id="${id}">${e(t.de)} <span lang="en" class="en">/ ${e(t.en)}</span></h2>
<table>
<thead><tr>${columns.map(head).join('')}</tr></thead>
<tbody>
${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}
</tbody>
</table>
</section>`;
}

export function renderRecordOfProcessingHtml(r: RecordOfProcessing): string {
  const body = [
    `<h1>${e(T.title.de)}<br><span lang="en" class="en">${e(T.title.en)}</span></h1>`,
    `<dl>
<dt>${e(r.deployment.name)}</dt><dd><code>${e(r.deployment.id)}</code></dd>
<dt>${two(T.generated)}</dt><dd>${e(berlinTime(r.generatedAt, 'de'))}<br><span lang="en" class="en">${e(berlinTime(r.generatedAt, 'en'))}</span></dd>
</dl>`,
    table(
      'controllers',
      [T.name, T.role],
      r.controllers.map((c) => [e(c.name), two(c.role)]),
    ),
    table(
      'processors',
      [T.name, T.role],
      r.processors.map((c) => [e(c.name), two(c.role)]),
    ),
    table(
      'dpos',
      [T.name, T.scope],
      r.dataProtectionOfficers.map((d) => [e(d.name), `<code>${e(d.scope)}</code>`]),
    ),
    table(
      'purposes',
      [T.purposes],
      r.purposes.map((p) => [two(p.label)]),
    ),
    table(
      'subjects',
      [T.subjects],
      r.dataSubjects.map((p) => [two(p.label)]),
    ),
    table(
      'categories',
      [T.categories],
      r.dataCategories.map((p) => [two(p.label)]),
    ),
    table(
      'recipients',
      [T.office, T.type, T.provider],
      r.recipients.map((o) => [e(o.name), e(o.serviceType), e(o.providerName)]),
    ),
    table(
      'retention',
      [T.item, T.retention, T.reason, T.setting, T.how],
      r.retention.map((i) => [
        two(i.label),
        two(i.retention),
        two(i.reason),
        i.setting === null ? '—' : `<code>${e(i.setting)}</code>`,
        two(ENFORCEMENT[i.enforcement]),
      ]),
    ),
    table(
      'measures',
      [T.measures, { de: 'Beschreibung', en: 'Description' }],
      r.measures.map((m) => [two(m.label), m.description ? two(m.description) : '']),
    ),
  ].join('\n');
  return htmlDocument(`${e(T.title.de)} – ${e(T.title.en)}`, body);
}
