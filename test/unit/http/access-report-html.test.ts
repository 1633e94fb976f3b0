import { describe, expect, it } from 'vitest';
import { EMPTY_CHAIN_HEAD, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { escapeHtml, renderAccessReportHtml } from '#shared/http/access-report-html.ts';
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
  events: [
    { sequenced: true, entry: sequenced },
    { sequenced: false, entry: withdrawn },
  ],
  signedTreeSize: 1,
});

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

  it('has German and English headings and one row per recipient, consent and log entry', () => {
    const html = renderAccessReportHtml(report);
    expect(html.startsWith('<!doctype html>\n<html lang="de">')).toBe(true);
    for (const heading of ['Empfänger Ihrer Daten', 'Recipients of your data', 'Einwilligungen', 'Art. 15'])
      expect(html).toContain(heading);
    expect(rows(html, 'Empfänger / Recipients')).toEqual([
      [
        '2. November 2026 um 09:05 Uhr',
        'MBE Caritas &lt;Karlsruhe&gt; &amp; Co (mbe-caritas-karlsruhe)',
        '—',
        'Kontaktdaten, Personalien',
        'c-1',
        'Migrationsberatung für erwachsene Zuwanderer (MBE)',
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
        'authority:abh-karlsruhe',
        '—',
        'ausstehend / pending',
      ],
    ]);
    expect(html).toContain('Einträge bis Nr. 1 sind durch einen signierten Prüfpunkt gesichert.');
  });

  it('says so in both languages where a table would be empty', () => {
    const html = renderAccessReportHtml({ ...report, recipients: [], consents: [], events: [] });
    expect(html).not.toContain('<table>');
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
