import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_CHAIN_HEAD, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { defaultRetention } from '#shared/domain/retention.ts';
import { escapeHtml, renderAccessReportHtml, secondLanguage } from '#shared/http/access-report-html.ts';
import { documentCsp } from '#shared/http/html-document.ts';
import { AccessReport } from '#shared/schemas/audit.ts';

const subject = 'sub_'.padEnd(68, 'c');
const received = auditDraft({
  event: 'referral.received',
  actor: 'service:mbe-caritas-karlsruhe',
  subjectId: subject,
  authorityId: 'abh-karlsruhe',
  serviceOfficeId: 'mbe-caritas-karlsruhe',
  referralId: 'r-1',
  consentId: 'c-1',
  dataCategories: ['contact', 'identity'],
  time: new Date('2026-11-02T08:05:00.000Z'),
});
const withdrawn = auditDraft({
  event: 'consent.withdrawn',
  actor: 'authority:abh-karlsruhe',
  subjectId: subject,
  consentId: 'c-2',
  reason: 'subject-request',
  time: new Date('2026-11-02T08:12:00.000Z'),
});
const [sequenced] = sequenceDrafts(EMPTY_CHAIN_HEAD, [received]).entries;

/** A report as the application builds it, written out: the renderer needs nothing else. */
const report: AccessReport = AccessReport.parse({
  reportId: 'rep-1',
  subjectId: subject,
  generatedAt: '2027-01-10T12:00:00.000Z',
  generatedBy: 'dpo:lk-test',
  recipients: [
    {
      serviceOfficeId: 'mbe-caritas-karlsruhe',
      serviceOfficeName: 'MBE Caritas <Karlsruhe> & Co',
      providerName: null,
      authorityId: 'abh-karlsruhe',
      referralId: 'r-1',
      receivedAt: received.time,
      dataCategories: ['contact', 'identity'],
      consentId: 'c-1',
      purpose: 'migration-counselling',
      sequence: 1,
    },
  ],
  consents: [
    {
      consentId: 'c-2',
      status: 'withdrawn',
      recordedAt: null,
      authorityId: null,
      dataCategories: [],
      purpose: null,
      withdrawnAt: withdrawn.time,
      withdrawalReason: 'subject-request',
      expiredAt: null,
    },
  ],
  erasures: [
    {
      serviceOfficeId: 'mbe-caritas-karlsruhe',
      serviceOfficeName: 'MBE Caritas Karlsruhe',
      providerName: 'Caritasverband Karlsruhe e.V.',
      referralId: 'r-1',
      consentId: 'c-1',
      reason: 'consent-withdrawn',
      requestedAt: withdrawn.time,
      reminders: 1,
      confirmedAt: '2026-11-06T10:00:00.000Z',
    },
    {
      serviceOfficeId: 'mbe-diakonie-karlsruhe',
      serviceOfficeName: null,
      providerName: null,
      referralId: 'r-2',
      consentId: 'c-1',
      reason: 'consent-withdrawn',
      requestedAt: withdrawn.time,
      reminders: 0,
      confirmedAt: null,
    },
  ],
  events: [
    { sequenced: true, entry: sequenced },
    { sequenced: false, entry: withdrawn },
  ],
  signedTreeSize: 1,
});

const names = (id: string) =>
  id === 'abh-karlsruhe' ? 'Landratsamt Karlsruhe – Ausländerbehörde' : undefined;

/** The text of the data cells of one table, row by row. */
function rows(html: string, caption: string): string[][] {
  const table = html.split('<table>').find((t) => t.includes(`<caption>${caption}</caption>`)) ?? '';
  return [...table.matchAll(/<tr>((?:<td>.*?<\/td>)+)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<td>(.*?)<\/td>/g)].map((cell) => cell[1] ?? ''),
  );
}

describe('renderAccessReportHtml', () => {
  it('escapes every value it takes from the report, in content and in attributes', () => {
    const hostile = {
      ...report,
      reportId: '"><script>alert(1)</script>',
      generatedBy: "dpo:<b onmouseover='x'>",
      recipients: report.recipients.map((r) => ({ ...r, referralId: "<img src=x onerror='x'>" })),
    };
    const html = renderAccessReportHtml(hostile);
    expect(html).not.toMatch(/<(?:link|img|script|iframe|b)\b|href=/);
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('dpo:&lt;b onmouseover=&#39;x&#39;&gt;');
    expect(html).toContain('MBE Caritas &lt;Karlsruhe&gt; &amp; Co (mbe-caritas-karlsruhe)');
  });

  it('has German and English headings and one row per recipient, consent and log entry, in words', () => {
    const html = renderAccessReportHtml(report, { authorityName: names });
    expect(html.startsWith('<!doctype html>\n<html lang="de">')).toBe(true);
    for (const heading of ['Empfänger Ihrer Daten', 'Recipients of your data', 'Einwilligungen', 'Art. 15'])
      expect(html).toContain(heading);
    expect(rows(html, 'Empfänger / Recipients')).toEqual([
      [
        '2. November 2026 um 09:05 Uhr',
        'MBE Caritas &lt;Karlsruhe&gt; &amp; Co (mbe-caritas-karlsruhe)',
        '—',
        'Landratsamt Karlsruhe – Ausländerbehörde (abh-karlsruhe)',
        'Kontaktdaten (Contact details), Personalien (Identity)',
        'c-1',
        'Migrationsberatung für erwachsene Zuwanderer (MBE) / Migration counselling for adults',
        'r-1',
      ],
    ]);
    expect(rows(html, 'Einwilligungen / Consents')).toEqual([
      ['c-2', 'widerrufen / withdrawn', '—', '—', '', '2. November 2026 um 09:12 Uhr', '—'],
    ]);
    expect(rows(html, 'Protokolleinträge / Log entries')).toEqual([
      [
        '2. November 2026 um 09:05 Uhr',
        'Von der Stelle empfangen / received by the office',
        'service:mbe-caritas-karlsruhe',
        'mbe-caritas-karlsruhe',
        '1',
      ],
      [
        '2. November 2026 um 09:12 Uhr',
        'Einwilligung widerrufen / consent withdrawn',
        'Landratsamt Karlsruhe – Ausländerbehörde (abh-karlsruhe)',
        '—',
        'ausstehend / pending',
      ],
    ]);
    expect(html).toContain('Einträge bis Nr. 1 sind durch einen signierten Prüfpunkt gesichert.');
  });

  it('lists to whom the erasure was communicated (Art. 19) and when each confirmed', () => {
    const html = renderAccessReportHtml(report);
    expect(html).toContain('Mitteilung der Löschung an die Empfänger (Art. 19 DSGVO)');
    expect(rows(html, 'Löschersuchen / Erasure requests')).toEqual([
      [
        '2. November 2026 um 09:12 Uhr',
        'MBE Caritas Karlsruhe (mbe-caritas-karlsruhe)',
        'Caritasverband Karlsruhe e.V.',
        'Einwilligung widerrufen / consent withdrawn',
        '1',
        '6. November 2026 um 11:00 Uhr',
        'r-1',
      ],
      [
        '2. November 2026 um 09:12 Uhr',
        'mbe-diakonie-karlsruhe',
        '—',
        'Einwilligung widerrufen / consent withdrawn',
        '0',
        'noch nicht bestätigt / not confirmed yet',
        'r-2',
      ],
    ]);
  });

  it('names an authority the directory does not know by its id', () => {
    const html = renderAccessReportHtml(report, { authorityName: () => undefined });
    expect(rows(html, 'Empfänger / Recipients')[0]?.[3]).toBe('abh-karlsruhe');
    expect(rows(html, 'Protokolleinträge / Log entries')[1]?.[2]).toBe('authority:abh-karlsruhe');
  });

  it('says how long each kind of item is kept, from the deployment’s retention and deadlines', () => {
    const retention = rows(renderAccessReportHtml(report), 'Aufbewahrung / Retention');
    expect(retention.map((r) => r[0])).toEqual([
      'Ihre Angaben (verschlüsselt, beim System) / Your details (encrypted, held by the system)',
      'Einwilligung (Nachweis) / Consent (evidence)',
      'Angaben zur Weitergabe (Stelle, Datenkategorien, Stand; keine Inhalte) / Facts of the transfer (office, data categories, status; no contents)',
      'Protokolleinträge (diese Auskunft beruht darauf) / Log entries (this report is based on them)',
      'Ihre Daten bei der Beratungsstelle / Your data at the counselling office',
    ]);
    expect(retention[0]?.[1]).toContain(
      'Gelöscht 7 Tage nach dem Empfang durch die Stelle; nicht abgeholt nach 21 Tagen',
    );
    expect(retention[0]?.[1]).toContain(
      'deleted 7 days after the office received them'.replace('deleted', 'Deleted'),
    );
    expect(retention[3]?.[1]).toContain('Bis zum Ende des Jahres nach dem Jahr des Eintrags.');
    const longer = rows(
      renderAccessReportHtml(report, {
        retention: { ...defaultRetention, auditYearsAfter: 3, referralDaysAfterEnd: 45 },
        deadlines: {
          reAnnounceDays: [3],
          expireDays: 10,
          deleteCiphertextDays: 15,
          deleteAfterReceiptDays: 2,
        },
      }),
      'Aufbewahrung / Retention',
    );
    expect(longer[0]?.[1]).toContain(
      'Gelöscht 2 Tage nach dem Empfang durch die Stelle; nicht abgeholt nach 15 Tagen',
    );
    expect(retention[1]?.[1]).toContain('bis zum Ende des Jahres nach dem Jahr ihres Endes');
    expect(retention[2]?.[1]).toContain('Gelöscht 90 Tage, nachdem die Zuweisung abgeschlossen ist');
    expect(longer[1]?.[1]).toContain('bis zum Ende des 3. Jahres nach dem Jahr ihres Endes');
    expect(longer[1]?.[1]).toContain('until the end of the 3rd year after the year of its end');
    expect(longer[2]?.[1]).toContain('Deleted 45 days after the referral ended');
    for (const row of retention) expect(row[1]).not.toMatch(/Ohne feste Löschfrist|No fixed deletion/);
    expect(longer[3]?.[1]).toBe(
      'Bis zum Ende des 3. Jahres nach dem Jahr des Eintrags. — Until the end of the 3rd year after the year of the entry.',
    );
  });

  it('puts the person’s language beside German where a form text and the words exist, else English', () => {
    expect(secondLanguage('en', ['de', 'en'])).toBe('en');
    expect(secondLanguage(undefined, ['de', 'en'])).toBe('en');
    expect(secondLanguage('de', ['de', 'en'])).toBe('en');
    // Arabic: a form text may exist, the report's words do not (yet): English.
    expect(secondLanguage('ar', ['de', 'en', 'ar'])).toBe('en');
    const html = renderAccessReportHtml(report, { language: 'ar', formLanguages: ['de', 'en', 'ar'] });
    expect(html).toContain('<span lang="en">/ Recipients of your data</span>');
    expect(html).not.toContain('lang="ar"');
  });

  it('is a document for the strict hashed-style CSP: one style sheet, no inline style or script', () => {
    const html = renderAccessReportHtml(report);
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/\sstyle=|<script|\son[a-z]+=/);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(documentCsp()).toContain(`'sha256-${createHash('sha256').update(css).digest('base64')}'`);
    expect(documentCsp()).not.toContain('unsafe-inline');
  });

  it('says so in both languages where a table would be empty', () => {
    const html = renderAccessReportHtml({ ...report, recipients: [], consents: [], events: [] });
    for (const caption of [
      'Empfänger / Recipients',
      'Einwilligungen / Consents',
      'Protokolleinträge / Log entries',
    ])
      expect(html).not.toContain(`<caption>${caption}</caption>`);
    expect(html).toContain('<p class="empty">Keine Übermittlung erfolgt. / No data was passed on.</p>');
    expect(html).toContain('<p class="empty">Keine Einwilligung erfasst. / No consent recorded.</p>');
    expect(html).toContain('<p class="empty">Keine Einträge. / No entries.</p>');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter, and shows nothing for null', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });
});
