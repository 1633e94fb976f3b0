import { describe, expect, it } from 'vitest';
import { coverage, type TransferRequest, withdraw } from '#shared/domain/consent/index.ts';
import { NOW, record, SUBJECT_ID } from './fixtures.ts';

const DAY = 24 * 60 * 60 * 1000;
const later = (ms: number) => new Date(NOW.getTime() + ms);

// The fixture consent: scope MBE or provider caritas-karlsruhe; purposes migration-counselling,
// contact-feedback; categories identity, contact, needs.
const transfer: TransferRequest = {
  subjectId: SUBJECT_ID,
  serviceType: 'MBE',
  providerId: 'awo-karlsruhe',
  purpose: 'migration-counselling',
  dataCategories: ['identity', 'contact'],
};

describe('coverage', () => {
  it('covers a transfer to a service type in scope', () => {
    expect(coverage(record(), transfer, NOW)).toEqual({ ok: true });
  });

  it('covers a transfer to a named provider of another service type', () => {
    expect(
      coverage(record(), { ...transfer, serviceType: 'JMD', providerId: 'caritas-karlsruhe' }, NOW),
    ).toEqual({
      ok: true,
    });
  });

  it('covers a transfer without data categories', () => {
    expect(coverage(record(), { ...transfer, dataCategories: [] }, NOW)).toEqual({ ok: true });
  });

  it('refuses a recipient neither by type nor by provider in scope', () => {
    expect(coverage(record(), { ...transfer, serviceType: 'JMD' }, NOW)).toEqual({
      ok: false,
      reasons: ['recipient-not-in-scope'],
      uncoveredCategories: [],
    });
  });

  it('refuses a purpose the consent does not name', () => {
    expect(coverage(record(), { ...transfer, purpose: 'integration-management' }, NOW)).toEqual({
      ok: false,
      reasons: ['purpose-not-covered'],
      uncoveredCategories: [],
    });
  });

  it('lists each uncovered category once', () => {
    const result = coverage(
      record(),
      { ...transfer, dataCategories: ['identity', 'family', 'residence-status', 'family', 'needs'] },
      NOW,
    );
    expect(result).toEqual({
      ok: false,
      reasons: ['data-categories-not-covered'],
      uncoveredCategories: ['family', 'residence-status'],
    });
  });

  it('refuses under an expired consent', () => {
    const r = record({ validUntil: later(DAY).toISOString() });
    expect(coverage(r, transfer, later(DAY - 1))).toEqual({ ok: true });
    expect(coverage(r, transfer, later(DAY))).toMatchObject({ ok: false, reasons: ['consent-expired'] });
  });

  it('refuses under a withdrawn consent', () => {
    const { record: w } = withdraw(record(), { by: 'authority:abh-lk-karlsruhe', now: later(DAY) });
    expect(coverage(w, transfer, later(DAY))).toMatchObject({ ok: false, reasons: ['consent-withdrawn'] });
  });

  it("refuses another person's consent", () => {
    expect(coverage(record(), { ...transfer, subjectId: `sub_${'c'.repeat(64)}` }, NOW)).toMatchObject({
      ok: false,
      reasons: ['subject-mismatch'],
    });
  });

  it('reports every reason at once', () => {
    const { record: w } = withdraw(record(), { by: 'authority:abh-lk-karlsruhe', now: NOW });
    expect(
      coverage(
        w,
        {
          ...transfer,
          serviceType: 'IM',
          purpose: 'integration-management',
          dataCategories: ['address', 'family'],
        },
        NOW,
      ),
    ).toEqual({
      ok: false,
      reasons: [
        'consent-withdrawn',
        'recipient-not-in-scope',
        'purpose-not-covered',
        'data-categories-not-covered',
      ],
      uncoveredCategories: ['address', 'family'],
    });
  });
});
