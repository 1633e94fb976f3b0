import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { DATA_CATEGORIES, PURPOSES } from '#shared/domain/data-categories.ts';
import { type Directory, parseDirectory } from '#shared/domain/directory/index.ts';
import { recordOfProcessing } from '#shared/domain/record-of-processing.ts';
import { renderRecordOfProcessingHtml } from '#shared/http/record-of-processing-html.ts';
import { RecordOfProcessing } from '#shared/schemas/record-of-processing.ts';

const EXAMPLE = loadDirectory(new URL('../../../config/directory.example.json', import.meta.url).pathname);
const NOW = new Date('2026-12-03T12:00:00Z');

function variant(edit: (d: Directory) => void): Directory {
  const copy = structuredClone(EXAMPLE) as Directory;
  edit(copy);
  return parseDirectory(copy);
}

describe('record of processing (Art. 30)', () => {
  it('names every authority as controller and every office as recipient with its provider', () => {
    const r = recordOfProcessing(EXAMPLE, NOW);
    expect(r.controllers.map((c) => c.id)).toEqual([
      ...EXAMPLE.authorities.map((a) => a.id),
      EXAMPLE.deployment.id,
    ]);
    expect(r.recipients.map((o) => o.officeId)).toEqual(EXAMPLE.serviceOffices.map((o) => o.id));
    for (const o of r.recipients) {
      expect(o.providerName).toBe(EXAMPLE.providers.find((p) => p.id === o.providerId)?.name);
    }
    expect(r.processors.map((p) => p.id)).toEqual(['operator', 'aws']);
    expect(r.generatedAt).toBe(NOW.toISOString());
  });

  it('lists every purpose and data category with German and English labels', () => {
    const r = recordOfProcessing(EXAMPLE, NOW);
    expect(r.purposes.map((p) => p.code)).toEqual([...PURPOSES]);
    expect(r.dataCategories.map((c) => c.code)).toEqual([...DATA_CATEGORIES]);
    expect(r.dataCategories.find((c) => c.code === 'identity')?.label).toEqual({
      de: 'Personalien',
      en: 'Identity',
    });
  });

  it('states the audit retention the deployment configures, and no retention where none is built', () => {
    const five = recordOfProcessing(
      variant((d) => {
        (d.deployment as { auditRetentionYears?: number }).auditRetentionYears = 5;
      }),
      NOW,
    );
    const audit = five.retention.find((i) => i.item === 'audit-entry');
    expect(audit?.retention.de).toContain('auditRetentionYears = 5');
    expect(audit?.enforcement).toBe('ttl');
    expect(
      recordOfProcessing(EXAMPLE, NOW).retention.find((i) => i.item === 'idempotency')?.retention.en,
    ).toBe('24 hours');
    expect(five.retention.find((i) => i.item === 'consent')?.enforcement).toBe('none');
  });

  it('matches its schema and renders as an escaped German-first page', () => {
    const r = recordOfProcessing(
      variant((d) => {
        (d.providers[0] as { name: string }).name = 'Träger <script>';
      }),
      NOW,
    );
    expect(RecordOfProcessing.parse(r)).toEqual(r);
    const html = renderRecordOfProcessingHtml(r);
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Träger &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html.indexOf('Verzeichnis von Verarbeitungstätigkeiten')).toBeLessThan(
      html.indexOf('Record of processing activities'),
    );
  });
});
