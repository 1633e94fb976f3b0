import { describe, expect, it } from 'vitest';
import { createReferral, deadlineChange, transition } from '#shared/domain/referral/change.ts';
import { EVENT_ID_PATTERN, eventIdOf } from '#shared/domain/referral/events.ts';
import { AuthorityEventMessage } from '#shared/schemas/referral.ts';

/** The authority's events and the change time, as the domain computes them with each change. */

const DAY = 86_400_000;
const at = new Date('2026-03-02T12:00:00.000Z');
const later = (days: number) => new Date(at.getTime() + days * DAY);
const REFERRAL_ID = `ref_${'0'.repeat(10)}${'a'.repeat(16)}`;
const fields = {
  referralId: REFERRAL_ID,
  subjectId: `sub_${'a'.repeat(64)}`,
  consentId: 'con_01abc',
  authorityId: 'abh-lk-karlsruhe',
  serviceOfficeId: 'mbe-caritas-bruchsal',
  serviceType: 'MBE',
  providerId: 'caritas-karlsruhe',
  purpose: 'migration-counselling',
  dataCategories: ['identity', 'address'],
  caseReference: 'ABH-2026/0042',
  ciphertext: 'jwe',
  kid: 'k1',
};
const created = createReferral(fields, 'authority:abh-lk-karlsruhe', at);

describe('events for the authority', () => {
  it('are none for the intake (the authority has the answer), one for a referral made by forwarding', () => {
    expect(created.authorityEvent).toBeUndefined();
    const forwarded = createReferral(
      { ...fields, forwardedFrom: 'ref_old', forwardedFromOfficeId: 'mbe-diakonie-bruchsal' },
      'service:mbe-diakonie-bruchsal',
      at,
      { forwarded: true },
    );
    expect(forwarded.authorityEvent).toEqual({
      type: 'referral.forwarded',
      schemaVersion: 1,
      eventId: eventIdOf(REFERRAL_ID, 1),
      referralId: REFERRAL_ID,
      authorityId: 'abh-lk-karlsruhe',
      serviceOfficeId: 'mbe-caritas-bruchsal',
      status: 'accepted',
      at: at.toISOString(),
      reason: 'forwarded',
      forwardedFrom: 'ref_old',
    });
  });

  it('follow every status change with its status, time, reason and a unique id', () => {
    const queued = transition(created.referral, 'queued', 'system:outbox-relay', later(0));
    const received = transition(queued.to, 'received', 'service:x', later(1));
    const declined = transition(received.to, 'declined', 'service:x', later(2), {
      reason: 'not-responsible',
      forwardedTo: { referralId: 'ref_new', serviceOfficeId: 'mbe-diakonie-bruchsal' },
    });
    const events = [queued, received, declined].map((c) => c.authorityEvent!);
    expect(events.map((e) => [e.type, e.status, e.at])).toEqual([
      ['referral.queued', 'queued', later(0).toISOString()],
      ['referral.received', 'received', later(1).toISOString()],
      ['referral.declined', 'declined', later(2).toISOString()],
    ]);
    expect(events[2]).toMatchObject({ reason: 'not-responsible', forwardedTo: 'ref_new' });
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
    for (const e of events) {
      expect(e.eventId).toMatch(EVENT_ID_PATTERN);
      expect(AuthorityEventMessage.safeParse(e).success).toBe(true);
    }
    // The same change computed twice has the same id: a retried send is deduplicated.
    expect(
      transition(created.referral, 'queued', 'system:outbox-relay', later(0)).authorityEvent!.eventId,
    ).toBe(events[0]!.eventId);
  });

  it('report revocation and expiry, and remind at each re-announcement — never the ciphertext or the case', () => {
    const revoked = transition(created.referral, 'revoked', 'authority:abh-lk-karlsruhe', later(1));
    expect(revoked.authorityEvent).toMatchObject({ type: 'referral.revoked', reason: 'consent-withdrawn' });
    const first = deadlineChange(
      created.referral,
      { kind: 're-announce', at: later(3), step: 1 },
      'system:x',
      later(3),
    );
    expect(first.authorityEvent).toMatchObject({
      type: 'referral.unread-reminder',
      status: 'accepted',
      reminder: 1,
      at: later(3).toISOString(),
    });
    const second = deadlineChange(
      first.to,
      { kind: 're-announce', at: later(9), step: 2 },
      'system:x',
      later(9),
    );
    expect(second.authorityEvent).toMatchObject({ reminder: 2 });
    const expired = deadlineChange(second.to, { kind: 'expire', at: later(14) }, 'system:x', later(14));
    expect(expired.authorityEvent).toMatchObject({
      type: 'referral.expired',
      reason: 'not-received-in-time',
    });
    const deleted = deadlineChange(
      expired.to,
      { kind: 'delete-ciphertext', at: later(21) },
      'system:x',
      later(21),
    );
    expect(deleted.authorityEvent).toBeUndefined();
    const text = JSON.stringify([revoked, first, second, expired].map((c) => c.authorityEvent));
    expect(text).not.toContain('jwe');
    expect(text).not.toContain('ABH-2026');
    expect(text).not.toContain('sub_');
  });
});

describe('the change time', () => {
  it('is the creation, then every change: status, re-announcement, deletion of the ciphertext', () => {
    expect(created.referral.updatedAt).toBe(at.toISOString());
    const received = transition(created.referral, 'received', 'service:x', later(1)).to;
    expect(received.updatedAt).toBe(later(1).toISOString());
    const reminded = deadlineChange(
      created.referral,
      { kind: 're-announce', at: later(3), step: 1 },
      'system:x',
      later(3),
    );
    expect(reminded.to.updatedAt).toBe(later(3).toISOString());
    const deleted = deadlineChange(
      received,
      { kind: 'delete-ciphertext', at: later(8) },
      'system:x',
      later(8),
    );
    expect(deleted.to.updatedAt).toBe(later(8).toISOString());
  });
});
