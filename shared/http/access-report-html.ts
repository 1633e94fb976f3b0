/**
 * The access report as one printable HTML page — a representation of the
 * `getAccessReport` response, next to the JSON one. The report itself is built in
 * shared/application/audit/access-report.ts.
 */
import { DATA_CATEGORY_INFO, PURPOSE_INFO } from '#shared/domain/data-categories.ts';
import type { AccessReport } from '#shared/schemas/audit.ts';
import { berlinTime, escapeHtml } from './html-document.ts';

export { escapeHtml };

/** What happened, in words (German / English); an event without words here shows its code. */
const EVENT_LABEL: Readonly<Record<string, string>> = {
  'consent.recorded': 'Einwilligung erfasst / consent recorded',
  'consent.withdrawn': 'Einwilligung widerrufen / consent withdrawn',
  'consent.expired': 'Einwilligung abgelaufen / consent expired',
  'referral.accepted': 'Weitergabe angenommen / transfer accepted',
  'referral.refused': 'Weitergabe abgelehnt / transfer refused',
  'referral.queued': 'Bereitgestellt / made available',
  'referral.re-announced': 'Erinnerung an die Stelle / reminder to the office',
  'referral.received': 'Von der Stelle empfangen / received by the office',
  'referral.contacted': 'Kontakt aufgenommen / contact made',
  'referral.closed': 'Abgeschlossen / closed',
  'referral.declined': 'Von der Stelle abgelehnt / declined by the office',
  'referral.forwarded': 'Weitergeleitet / forwarded',
  'referral.revoked': 'Zurückgezogen / revoked',
  'referral.expired': 'Nicht abgeholt, abgelaufen / expired uncollected',
  'referral.ciphertext-deleted': 'Verschlüsselte Daten gelöscht / encrypted data deleted',
  'report.generated': 'Auskunft erstellt / access report generated',
  'export.made': 'Protokoll exportiert / log exported',
};

const categoryWords = (codes: readonly string[]) =>
  codes.map((c) => DATA_CATEGORY_INFO[c as keyof typeof DATA_CATEGORY_INFO]?.labelDe ?? c).join(', ');
const purposeWords = (code: string | null) =>
  code === null ? null : (PURPOSE_INFO[code as keyof typeof PURPOSE_INFO]?.labelDe ?? code);
const time = (iso: string | null) => (iso === null ? null : berlinTime(iso, 'de'));

const STATUS_LABEL: Readonly<Record<string, string>> = {
  active: 'aktiv / active',
  withdrawn: 'widerrufen / withdrawn',
  expired: 'abgelaufen / expired',
};

function table(
  caption: string,
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
  empty: string,
) {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((cell) => `<td>${escapeHtml(cell === null ? '—' : cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * The report as one printable, self-contained HTML page: German and English
 * headings, no scripts and no external assets, every value escaped.
 */
export function renderAccessReportHtml(report: AccessReport): string {
  const recipients = table(
    'Empfänger / Recipients',
    [
      'Empfangen am / Received at',
      'Beratungsstelle / Service office',
      'Träger / Provider',
      'Datenkategorien / Data categories',
      'Einwilligung / Consent',
      'Zweck / Purpose',
      'Vorgang / Referral',
    ],
    report.recipients.map((r) => [
      time(r.receivedAt),
      r.serviceOfficeName ? `${r.serviceOfficeName} (${r.serviceOfficeId})` : r.serviceOfficeId,
      r.providerName,
      categoryWords(r.dataCategories),
      r.consentId,
      purposeWords(r.purpose),
      r.referralId,
    ]),
    'Keine Übermittlung erfolgt. / No data was passed on.',
  );
  const consents = table(
    'Einwilligungen / Consents',
    [
      'Einwilligung / Consent',
      'Status',
      'Erfasst am / Recorded at',
      'Behörde / Authority',
      'Datenkategorien / Data categories',
      'Widerrufen am / Withdrawn at',
      'Abgelaufen am / Expired at',
    ],
    report.consents.map((c) => [
      c.consentId,
      STATUS_LABEL[c.status] ?? c.status,
      time(c.recordedAt),
      c.authorityId,
      categoryWords(c.dataCategories),
      time(c.withdrawnAt),
      time(c.expiredAt),
    ]),
    'Keine Einwilligung erfasst. / No consent recorded.',
  );
  const events = table(
    'Protokolleinträge / Log entries',
    ['Zeit / Time', 'Ereignis / Event', 'Handelnd / Actor', 'Stelle / Office', 'Nr. / Sequence'],
    report.events.map(({ entry, sequenced }) => [
      time(entry.time),
      EVENT_LABEL[entry.event] ?? entry.event,
      entry.actor,
      entry.serviceOfficeId,
      sequenced && 'sequence' in entry ? entry.sequence : 'ausstehend / pending',
    ]),
    'Keine Einträge. / No entries.',
  );
  return `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Auskunft nach Art. 15 DSGVO / Access report (GDPR Art. 15)</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111;line-height:1.4}
table{border-collapse:collapse;width:100%;margin:1rem 0}
caption{text-align:left;font-weight:bold;padding:.25rem 0}
th,td{border:1px solid #555;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:bold}
code{word-break:break-all}
@media print{body{margin:0}a{color:inherit}}
</style>
</head>
<body>
<main>
<h1>Auskunft nach Art. 15 DSGVO <span lang="en">/ Access report under Art. 15 GDPR</span></h1>
<dl>
<dt>Person (Pseudonym) / Subject (pseudonym)</dt><dd><code>${escapeHtml(report.subjectId)}</code></dd>
<dt>Erstellt am / Generated at</dt><dd>${escapeHtml(time(report.generatedAt))}</dd>
<dt>Erstellt von / Generated by</dt><dd>${escapeHtml(report.generatedBy)}</dd>
<dt>Bericht-Nr. / Report id</dt><dd><code>${escapeHtml(report.reportId)}</code></dd>
</dl>
<section aria-labelledby="h-recipients">
<h2 id="h-recipients">Empfänger Ihrer Daten <span lang="en">/ Recipients of your data</span></h2>
${recipients}
</section>
<section aria-labelledby="h-consents">
<h2 id="h-consents">Einwilligungen <span lang="en">/ Consents</span></h2>
${consents}
</section>
<section aria-labelledby="h-events">
<h2 id="h-events">Protokoll <span lang="en">/ Log</span></h2>
${events}
</section>
<section aria-labelledby="h-rights">
<h2 id="h-rights">Rechtsgrundlage und Widerruf <span lang="en">/ Legal basis and withdrawal</span></h2>
<p>Ihre Daten wurden auf Grund Ihrer Einwilligung weitergegeben (Art. 6 Abs. 1 Buchst. a, Art. 7 DSGVO); jede Zeile oben nennt die Einwilligung. Sie können eine Einwilligung jederzeit bei der Ausländerbehörde oder der Beratungsstelle widerrufen, mit ihrer Nummer. Zeiten sind deutsche Zeit.</p>
<p lang="en">Your data was passed on based on your consent (Art. 6(1)(a), Art. 7 GDPR); each line above names the consent. You can withdraw a consent at any time at the immigration authority or the counselling office, quoting its number. Times are German time.</p>
</section>
<section aria-labelledby="h-about">
<h2 id="h-about">Über diesen Bericht <span lang="en">/ About this report</span></h2>
<p>Grundlage ist das manipulationssichere Übermittlungsprotokoll. Einträge bis Nr. ${escapeHtml(report.signedTreeSize)} sind durch einen signierten Prüfpunkt gesichert.</p>
<p lang="en">Based on the tamper-evident transfer log. Entries up to sequence ${escapeHtml(report.signedTreeSize)} are covered by a signed checkpoint.</p>
</section>
</main>
</body>
</html>
`;
}
