import { describe, expect, it } from 'vitest';
import {
  createReferral,
  deadlineChange,
  passedDeadline,
  transition,
} from '#shared/domain/referral/change.ts';
import { nextDeadline } from '#shared/domain/referral/deadlines.ts';
import {
  ciphertextDeletion,
  confirmErasure,
  erasureReminderAt,
  erasureStepOf,
  NoErasureRequest,
  requestErasure,
} from '#shared/domain/referral/erasure.ts';

const DAY = 86_400_000;
const at = new Date('2026-03-02T12:00:00.000Z');
const later = (days: number) => new Date(at.getTime() + days * DAY);
const { referral: accepted } = createReferral(
  {
    referralId: 'ref_01abc',
    subjectId: `sub_${'a'.repeat(64)}`,
    consentId: 'con_01abc',
    authorityId: 'abh-lk-karlsruhe',
    serviceOfficeId: 'mbe-caritas-bruchsal',
    serviceType: 'MBE',
    providerId: 'caritas-karlsruhe',
    purpose: 'migration-counselling',
    dataCategories: ['identity', 'address'],
    caseReference: 'AZ 1',
    ciphertext: 'jwe',
    kid: 'k1',
  },
  'authority:abh-lk-karlsruhe',
  at,
);
const queued = transition(accepted, 'queued', 'system:relay', at).to;
const received = transition(queued, 'received', 'service:mbe-caritas-bruchsal', later(1)).to;
const withdrawnBy = 'authority:abh-lk-karlsruhe';

describe('erasure after receipt', () => {
  it('chooses by how far the referral got: revoke unread, ask a recipient, delete an unread leftover', () => {
    expect(erasureStepOf(accepted)).toBe('revoke');
    expect(erasureStepOf(queued)).toBe('revoke');
    expect(erasureStepOf(received)).toBe('request-erasure');
    const expired = transition(queued, 'expired', 'system:deadlines', later(14)).to;
    expect(erasureStepOf(expired)).toBe('delete-ciphertext');
    expect(erasureStepOf({ ...expired, ciphertext: undefined })).toBe('none');
    const asked = requestErasure(received, withdrawnBy, later(2), 'consent-withdrawn')!.to;
    expect(erasureStepOf(asked)).toBe('none');
  });

  it('asks the office once: ciphertext gone at once, a queue message, an audit entry naming the office', () => {
    const change = requestErasure(received, withdrawnBy, later(2), 'consent-withdrawn');
    expect(change).toBeDefined();
    expect(change!.to.ciphertext).toBeUndefined();
    expect(change!.to.kid).toBe('k1');
    expect(change!.to.status).toBe('received');
    expect(change!.to.version).toBe(received.version + 1);
    expect(change!.to.erasure).toEqual({
      requestedAt: later(2).toISOString(),
      requestedBy: withdrawnBy,
      reason: 'consent-withdrawn',
      reminders: 0,
    });
    expect(change!.outbox).toBe('erasure-request');
    expect(change!.releasesOpenReferral).toBe(false);
    expect(change!.audit).toMatchObject({
      event: 'referral.erasure-requested',
      serviceOfficeId: 'mbe-caritas-bruchsal',
      referralId: 'ref_01abc',
      reason: 'consent-withdrawn',
    });
    expect(change!.due).toMatchObject({ kind: 'erasure-reminder', step: 1, at: later(5) });
    expect(requestErasure(change!.to, withdrawnBy, later(3), 'erasure-requested')).toBeUndefined();
    expect(requestErasure(queued, withdrawnBy, later(3), 'erasure-requested')).toBeUndefined();
  });

  it('reminds on days 3, 7 and 14 after the request, then every 14 days, until confirmed', () => {
    const requestedAt = later(2).toISOString();
    const days = [0, 1, 2, 3, 4].map(
      (reminders) => (erasureReminderAt({ requestedAt, reminders }).getTime() - later(2).getTime()) / DAY,
    );
    expect(days).toEqual([3, 7, 14, 28, 42]);
    let r = requestErasure(received, withdrawnBy, later(2), 'consent-withdrawn')!.to;
    expect(passedDeadline(r, later(4))).toBeUndefined();
    const due = passedDeadline(r, later(5))!;
    const reminder = deadlineChange(r, due, 'system:deadlines', later(5));
    expect(reminder.outbox).toBe('erasure-reminder-1');
    expect(reminder.audit).toMatchObject({
      event: 'referral.erasure-reminded',
      reason: 'erasure-reminder-1',
    });
    r = reminder.to;
    expect(r.erasure?.reminders).toBe(1);
    expect(reminder.due).toMatchObject({ kind: 'erasure-reminder', step: 2, at: later(9) });
    const confirmed = confirmErasure(r, 'service:mbe-caritas-bruchsal', later(6))!;
    expect(confirmed.due).toBeUndefined();
    expect(confirmed.outbox).toBeUndefined();
    expect(confirmed.to.erasure).toMatchObject({
      confirmedAt: later(6).toISOString(),
      confirmedBy: 'service:mbe-caritas-bruchsal',
    });
    expect(confirmed.audit).toMatchObject({
      event: 'referral.erasure-confirmed',
      actor: 'service:mbe-caritas-bruchsal',
      serviceOfficeId: 'mbe-caritas-bruchsal',
    });
    expect(nextDeadline({ ...confirmed.to, hasCiphertext: false })).toBeUndefined();
    expect(confirmErasure(confirmed.to, 'service:mbe-caritas-bruchsal', later(7))).toBeUndefined();
    expect(() => deadlineChange(confirmed.to, due, 'system:deadlines', later(8))).toThrow(NoErasureRequest);
  });

  it('refuses a confirmation nobody asked for', () => {
    expect(() => confirmErasure(received, 'service:mbe-caritas-bruchsal', later(2))).toThrow(
      NoErasureRequest,
    );
  });

  it('deletes the ciphertext of a referral that ended unread, with the reason, once', () => {
    const expired = transition(queued, 'expired', 'system:deadlines', later(14)).to;
    const change = ciphertextDeletion(expired, withdrawnBy, later(15), 'erasure-requested')!;
    expect(change.to.ciphertext).toBeUndefined();
    expect(change.audit).toMatchObject({ event: 'referral.ciphertext-deleted', reason: 'erasure-requested' });
    expect(change.due).toBeUndefined();
    expect(ciphertextDeletion(change.to, withdrawnBy, later(16), 'erasure-requested')).toBeUndefined();
  });
});
