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

  it('states the audit retention the deployment configures, under either name', () => {
    const five = recordOfProcessing(
      variant((d) => {
        (d.deployment as { auditRetentionYears?: number }).auditRetentionYears = 5;
      }),
      NOW,
    );
    const audit = five.retention.find((i) => i.item === 'audit-entry');
    expect(audit?.setting).toBe('deployment.retention.auditYears = 5');
    expect(audit?.retention.de).toContain('bis zum Ende des 5. Jahres danach');
    expect(audit?.retention.en).toContain('until the end of the 5th year after');
    expect(audit?.enforcement).toBe('ttl');
    // The consent evidence follows the audit retention.
    expect(five.retention.find((i) => i.item === 'consent')?.setting).toBe(
      'deployment.retention.auditYears = 5',
    );
    const renamed = recordOfProcessing(
      variant((d) => {
        (d.deployment as { retention?: unknown }).retention = { auditYears: 5 };
      }),
      NOW,
    );
    expect(renamed.retention).toEqual(five.retention);
    expect(
      recordOfProcessing(EXAMPLE, NOW).retention.find((i) => i.item === 'idempotency')?.retention.en,
    ).toBe('24 hours');
  });

  it('states a real retention, its setting, reason and enforcement for every kind of stored item', () => {
    const r = recordOfProcessing(
      variant((d) => {
        (d.deployment as { retention?: unknown }).retention = {
          referralDaysAfterEnd: 60,
          outboxDays: 10,
          idempotencyHours: 48,
          officeStateDaysAfterRemoval: 7,
        };
      }),
      NOW,
    );
    expect(r.retention.map((i) => i.item)).toEqual([
      'consent',
      'referral-metadata',
      'referral-ciphertext',
      'erasure-request',
      'outbox',
      'idempotency',
      'open-referral-guard',
      'office-state',
      'retired-keys',
      'audit-entry',
      'checkpoint',
    ]);
    const byItem = new Map(r.retention.map((i) => [i.item, i]));
    expect(byItem.get('referral-metadata')?.retention.de).toMatch(/^60 Tage, nachdem/);
    expect(byItem.get('referral-metadata')?.setting).toBe('deployment.retention.referralDaysAfterEnd = 60');
    expect(byItem.get('outbox')?.retention.en).toBe(
      'Deleted once delivered; undeliverable ones after 10 days.',
    );
    expect(byItem.get('idempotency')?.retention.de).toBe('48 Stunden');
    expect(byItem.get('office-state')?.retention.en).toContain('then 7 days');
    expect(byItem.get('office-state')?.enforcement).toBe('job-then-ttl');
    expect(byItem.get('checkpoint')?.enforcement).toBe('kept');
    for (const item of r.retention) {
      expect(item.reason.de.length, item.item).toBeGreaterThan(20);
      expect(item.reason.en.length, item.item).toBeGreaterThan(20);
      expect(`${item.retention.de} ${item.retention.en}`).not.toMatch(
        /Noch keine|not implemented|Nicht umgesetzt/i,
      );
    }
    expect(renderRecordOfProcessingHtml(r)).not.toContain('Nicht umgesetzt');
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
