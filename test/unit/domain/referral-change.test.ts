import { describe, expect, it } from 'vitest';
import {
  createReferral,
  deadlineChange,
  passedDeadline,
  transition,
} from '#shared/domain/referral/change.ts';
import { TransitionRefused } from '#shared/domain/referral/lifecycle.ts';

const DAY = 86_400_000;
const at = new Date('2026-03-02T12:00:00.000Z');
const { referral, due, audit } = createReferral(
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
const later = (days: number) => new Date(at.getTime() + days * DAY);

describe('the referral entity', () => {
  it('is created accepted, with its history, its first deadline and its audit entry', () => {
    expect(referral).toMatchObject({ status: 'accepted', version: 1, reAnnouncements: 0 });
    expect(referral.history).toEqual([
      { status: 'accepted', at: at.toISOString(), by: 'authority:abh-lk-karlsruhe' },
    ]);
    expect(due).toMatchObject({ kind: 're-announce', step: 1, at: later(3) });
    expect(audit).toMatchObject({ event: 'referral.accepted', referralId: 'ref_01abc', reason: null });
  });

  it('changes status only along the lifecycle table', () => {
    expect(() => transition(referral, 'closed', 'service:x', later(1))).toThrow(TransitionRefused);
    const queued = transition(referral, 'queued', 'system:outbox-relay', later(0)).to;
    expect(() => transition(queued, 'contacted', 'service:x', later(1))).toThrow(TransitionRefused);
  });

  it('returns all that follows from a change: history, version, guard release, outbox, audit entry', () => {
    const received = transition(referral, 'received', 'service:mbe-caritas-bruchsal', later(1));
    expect(received.to).toMatchObject({ status: 'received', version: 2, receivedAt: later(1).toISOString() });
    expect(received.to.history).toHaveLength(2);
    expect(received.releasesOpenReferral).toBe(false);
    expect(received.due).toMatchObject({ kind: 'delete-ciphertext', at: later(8) });
    expect(received.audit).toMatchObject({
      event: 'referral.received',
      actor: 'service:mbe-caritas-bruchsal',
    });
    const closed = transition(received.to, 'closed', 'service:mbe-caritas-bruchsal', later(2));
    expect(closed.releasesOpenReferral).toBe(true);
    expect(closed.audit.event).toBe('referral.closed');
  });

  it('revokes with the ciphertext dropped, the guard released and a revocation for the office', () => {
    const revoked = transition(referral, 'revoked', 'authority:abh-lk-karlsruhe', later(1));
    expect(revoked.to.ciphertext).toBeUndefined();
    expect(revoked.history).toMatchObject({ status: 'revoked', reason: 'consent-withdrawn' });
    expect(revoked.releasesOpenReferral).toBe(true);
    expect(revoked.outbox).toBe('revoke');
    expect(revoked.due).toBeUndefined();
  });

  it('declines with the forwarding named in the history and on the referral', () => {
    const received = transition(referral, 'received', 'service:a', later(1)).to;
    const declined = transition(received, 'declined', 'service:a', later(2), {
      reason: 'not-responsible',
      forwardedTo: { referralId: 'ref_02', serviceOfficeId: 'mbe-b' },
    });
    expect(declined.history).toMatchObject({ reason: 'not-responsible', forwardedTo: 'ref_02' });
    expect(declined.to).toMatchObject({ forwardedTo: 'ref_02', forwardedToOfficeId: 'mbe-b' });
    expect(declined.audit).toMatchObject({ event: 'referral.declined', reason: 'not-responsible' });
  });

  it('handles passed deadlines: re-announce twice, then expire, then delete the ciphertext', () => {
    let r = referral;
    const kinds: string[] = [];
    for (const day of [3, 9, 14, 21]) {
      const passed = passedDeadline(r, later(day));
      expect(passed).toBeDefined();
      const change = deadlineChange(r, passed!, 'system:deadlines', later(day));
      kinds.push(`${passed!.kind}:${change.audit.event}:${change.outbox ?? '-'}`);
      r = change.to;
    }
    expect(kinds).toEqual([
      're-announce:referral.re-announced:re-announce-1',
      're-announce:referral.re-announced:re-announce-2',
      'expire:referral.expired:revoke',
      'delete-ciphertext:referral.ciphertext-deleted:-',
    ]);
    expect(r).toMatchObject({ status: 'expired', reAnnouncements: 2, version: 5 });
    expect(r.ciphertext).toBeUndefined();
    expect(r.history.map((h) => h.status)).toEqual(['accepted', 'expired']);
    expect(passedDeadline(r, later(100))).toBeUndefined();
  });
});
