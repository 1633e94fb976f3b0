import { describe, expect, it } from 'vitest';
import {
  createReferral,
  deadlineChange,
  passedDeadline,
  transition,
} from '#shared/domain/referral/change.ts';
import { NOTIFICATION_ID_PATTERN, notificationIdOf } from '#shared/domain/referral/notification.ts';
import type { ReferralRecord } from '#shared/domain/referral/referral.ts';

/** The mails to an office's contact address, as the domain computes them with each change. */

const DAY = 86_400_000;
const at = new Date('2026-03-02T12:00:00.000Z');
const later = (days: number) => new Date(at.getTime() + days * DAY);
const REFERRAL_ID = `ref_${'0'.repeat(10)}${'b'.repeat(16)}`;
const CANARY = 'Zqxwvcanaryfam';
const fields = {
  referralId: REFERRAL_ID,
  subjectId: `sub_${'c'.repeat(64)}`,
  consentId: `con_${CANARY}`,
  authorityId: 'abh-lk-karlsruhe',
  serviceOfficeId: 'mbe-caritas-bruchsal',
  serviceType: 'MBE',
  providerId: 'caritas-karlsruhe',
  purpose: 'migration-counselling',
  dataCategories: ['identity', 'address'],
  caseReference: `ABH-${CANARY}`,
  ciphertext: `jwe-${CANARY}`,
  kid: 'k1',
};
const created = createReferral(fields, 'authority:abh-lk-karlsruhe', at);
const queued = transition(created.referral, 'queued', 'system:outbox-relay', later(0.01));

describe('notifications to the office', () => {
  it('are one when the referral reaches the office queue: a new referral waits', () => {
    expect(queued.officeNotification).toEqual({
      kind: 'new-referral',
      schemaVersion: 1,
      notificationId: notificationIdOf(REFERRAL_ID, 2),
      referralId: REFERRAL_ID,
      serviceOfficeId: 'mbe-caritas-bruchsal',
      at: later(0.01).toISOString(),
    });
    expect(queued.officeNotification!.notificationId).toMatch(NOTIFICATION_ID_PATTERN);
  });

  it('are a reminder on each re-announcement (days 3 and 9), naming the day it expires unread', () => {
    let r: ReferralRecord = queued.to;
    const reminders = [];
    for (const day of [3, 9]) {
      const due = passedDeadline(r, later(day))!;
      expect(due.kind).toBe('re-announce');
      const change = deadlineChange(r, due, 'system:deadlines', later(day));
      reminders.push(change.officeNotification);
      r = change.to;
    }
    expect(reminders).toEqual([
      expect.objectContaining({
        kind: 'reminder',
        reminder: 1,
        notificationId: notificationIdOf(REFERRAL_ID, 3),
        expiresAt: later(14).toISOString(),
      }),
      expect.objectContaining({
        kind: 'reminder',
        reminder: 2,
        notificationId: notificationIdOf(REFERRAL_ID, 4),
        expiresAt: later(14).toISOString(),
      }),
    ]);
    // Expiry itself mails nobody: the referral is gone.
    const expiry = deadlineChange(r, passedDeadline(r, later(14))!, 'system:deadlines', later(14));
    expect(expiry.to.status).toBe('expired');
    expect(expiry.officeNotification).toBeUndefined();
  });

  it('are none for the intake and for every other change', () => {
    expect('officeNotification' in created).toBe(false);
    const received = transition(queued.to, 'received', 'service:mbe-caritas-bruchsal', later(1));
    const contacted = transition(received.to, 'contacted', 'service:mbe-caritas-bruchsal', later(2));
    const declined = transition(received.to, 'declined', 'service:mbe-caritas-bruchsal', later(2), {
      reason: 'not-responsible',
    });
    const closed = transition(contacted.to, 'closed', 'service:mbe-caritas-bruchsal', later(3));
    const revoked = transition(queued.to, 'revoked', 'authority:abh-lk-karlsruhe', later(1));
    const deleted = deadlineChange(
      received.to,
      passedDeadline(received.to, later(9))!,
      'system:deadlines',
      later(9),
    );
    expect(deleted.to.ciphertext).toBeUndefined();
    for (const change of [received, contacted, declined, closed, revoked, deleted]) {
      expect(change.officeNotification, change.to.status).toBeUndefined();
    }
  });

  it('carry ids, kind and times only: nothing of the referral beyond its id and office', () => {
    const reminder = deadlineChange(
      queued.to,
      passedDeadline(queued.to, later(3))!,
      'system:deadlines',
      later(3),
    );
    for (const n of [queued.officeNotification, reminder.officeNotification]) {
      const text = JSON.stringify(n);
      expect(text).not.toContain(CANARY);
      for (const value of [fields.subjectId, fields.authorityId, fields.providerId, 'identity', 'MBE']) {
        expect(text).not.toContain(value);
      }
      expect(Object.keys(n!).sort()).toEqual(
        expect.arrayContaining([
          'at',
          'kind',
          'notificationId',
          'referralId',
          'schemaVersion',
          'serviceOfficeId',
        ]),
      );
      expect(
        Object.keys(n!).filter(
          (k) =>
            ![
              'at',
              'kind',
              'notificationId',
              'referralId',
              'schemaVersion',
              'serviceOfficeId',
              'reminder',
              'expiresAt',
            ].includes(k),
        ),
      ).toEqual([]);
    }
  });
});
