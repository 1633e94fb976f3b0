import { describe, expect, it } from 'vitest';
import { consentView } from '#shared/application/consent-view.ts';
import {
  ConsentRecord,
  consentStatus,
  mayRecordConsent,
  mayWithdraw,
  withdraw,
} from '#shared/domain/consent/index.ts';
import { ConsentView } from '#shared/schemas/consent.ts';
import { NOW, record } from './fixtures.ts';

const later = (ms: number) => new Date(NOW.getTime() + ms);
const DAY = 24 * 60 * 60 * 1000;

describe('consentStatus', () => {
  it('is active without withdrawal or expiry, however late', () => {
    expect(consentStatus(record(), later(3650 * DAY))).toBe('active');
  });

  it('is evaluated: expired from validUntil on', () => {
    const r = record({ validUntil: later(30 * DAY).toISOString() });
    expect(consentStatus(r, NOW)).toBe('active');
    expect(consentStatus(r, later(30 * DAY - 1))).toBe('active');
    expect(consentStatus(r, later(30 * DAY))).toBe('expired');
    expect(consentStatus(r, later(31 * DAY))).toBe('expired');
  });

  it('is withdrawn from the withdrawal on, and withdrawal wins over expiry', () => {
    const r = record({ validUntil: later(30 * DAY).toISOString() });
    const { record: w } = withdraw(r, { by: 'authority:abh-lk-karlsruhe', now: later(DAY) });
    expect(consentStatus(w, later(DAY - 1))).toBe('active');
    expect(consentStatus(w, later(DAY))).toBe('withdrawn');
    expect(consentStatus(w, later(60 * DAY))).toBe('withdrawn');
  });
});

describe('withdraw', () => {
  it('records who withdrew, when and why, and bumps the version', () => {
    const { record: w, changed } = withdraw(record(), {
      by: 'service:caritas-ka-mbe',
      now: later(DAY),
      reason: 'subject-request',
    });
    expect(changed).toBe(true);
    expect(w).toMatchObject({
      withdrawnAt: later(DAY).toISOString(),
      withdrawnBy: 'service:caritas-ka-mbe',
      withdrawalReason: 'subject-request',
      version: 2,
    });
    expect(ConsentRecord.parse(w)).toEqual(w);
  });

  it('leaves the original record untouched', () => {
    const r = record();
    withdraw(r, { by: 'authority:abh-lk-karlsruhe', now: later(DAY) });
    expect(r.withdrawnAt).toBeUndefined();
    expect(r.version).toBe(1);
  });

  it('is idempotent: a second withdrawal changes nothing', () => {
    const first = withdraw(record(), { by: 'authority:abh-lk-karlsruhe', now: later(DAY) });
    const second = withdraw(first.record, {
      by: 'service:caritas-ka-mbe',
      now: later(2 * DAY),
      reason: 'other',
    });
    expect(second.changed).toBe(false);
    expect(second.record).toBe(first.record);
    expect(second.record.withdrawnBy).toBe('authority:abh-lk-karlsruhe');
    expect(second.record.withdrawnAt).toBe(later(DAY).toISOString());
  });

  it('records the withdrawal of an expired consent', () => {
    const r = record({ validUntil: later(DAY).toISOString() });
    const { record: w, changed } = withdraw(r, { by: 'authority:abh-lk-karlsruhe', now: later(2 * DAY) });
    expect(changed).toBe(true);
    expect(consentStatus(w, later(2 * DAY))).toBe('withdrawn');
  });
});

describe('mayWithdraw', () => {
  const r = record();
  it('lets any authority withdraw', () => {
    expect(
      mayWithdraw({ kind: 'authority', id: 'abh-stadt-ka' }, r, {
        principalHoldsReferralUnderConsent: false,
      }),
    ).toBe(true);
  });

  it('lets a service withdraw only when it holds a referral under the consent', () => {
    const service = { kind: 'service', id: 'caritas-ka-mbe' } as const;
    expect(mayWithdraw(service, r, { principalHoldsReferralUnderConsent: true })).toBe(true);
    expect(mayWithdraw(service, r, { principalHoldsReferralUnderConsent: false })).toBe(false);
  });

  it('does not let data-protection officers or operators withdraw', () => {
    const ctx = { principalHoldsReferralUnderConsent: true };
    expect(mayWithdraw({ kind: 'dpo', scope: 'lk-karlsruhe' }, r, ctx)).toBe(false);
    expect(mayWithdraw({ kind: 'operator' }, r, ctx)).toBe(false);
  });
});

describe('mayRecordConsent', () => {
  it('is for authorities only', () => {
    expect(mayRecordConsent({ kind: 'authority', id: 'abh-lk-karlsruhe' })).toBe(true);
    expect(mayRecordConsent({ kind: 'service', id: 'caritas-ka-mbe' })).toBe(false);
    expect(mayRecordConsent({ kind: 'dpo', scope: 'lk-karlsruhe' })).toBe(false);
    expect(mayRecordConsent({ kind: 'operator' })).toBe(false);
  });
});

describe('consentView', () => {
  it('answers with the evaluated status and matches the response schema', () => {
    const r = record({ validUntil: later(DAY).toISOString() });
    const view = consentView(r, later(2 * DAY));
    expect(view.status).toBe('expired');
    expect(view.givenBy).toEqual({ role: 'subject' });
    expect(view.recordedAt).toBe(r.createdAt);
    expect(ConsentView.parse(view)).toEqual(view);
  });

  it('includes the withdrawal', () => {
    const { record: w } = withdraw(record(), {
      by: 'authority:abh-lk-karlsruhe',
      now: later(DAY),
      reason: 'other',
    });
    const view = consentView(w, later(DAY));
    expect(view).toMatchObject({
      status: 'withdrawn',
      withdrawnAt: later(DAY).toISOString(),
      withdrawnBy: 'authority:abh-lk-karlsruhe',
      withdrawalReason: 'other',
    });
    expect(ConsentView.parse(view)).toEqual(view);
  });

  it('omits absent optional members', () => {
    const keys = Object.keys(consentView(record(), NOW));
    for (const key of ['validUntil', 'withdrawnAt', 'withdrawnBy', 'withdrawalReason']) {
      expect(keys).not.toContain(key);
    }
  });
});
