import { describe, expect, it } from 'vitest';
import { buildAccessReport } from '#shared/application/audit/access-report.ts';
import type { DirectoryNames, StoredAuditItem } from '#shared/application/audit/ports.ts';
import { EMPTY_CHAIN_HEAD, sequenceDrafts } from '#shared/domain/audit/chain.ts';
import { type AuditDraftInput, auditDraft } from '#shared/domain/audit/entry.ts';
import { AccessReport } from '#shared/schemas/audit.ts';

const subject = 'sub_'.padEnd(68, 'd');
const at = (m: number) => new Date(Date.parse('2026-11-02T08:00:00.000Z') + m * 60_000);
const base = { actor: 'authority:abh-karlsruhe', subjectId: subject, authorityId: 'abh-karlsruhe' } as const;
const names: DirectoryNames = {
  office: (id) => (id === 'mbe-known' ? { name: 'MBE Bekannt', providerName: 'AWO' } : undefined),
  authority: () => undefined,
};
const pending = (input: Omit<AuditDraftInput, 'actor'> & { readonly actor?: string }): StoredAuditItem => ({
  entry: auditDraft({ ...base, ...input }),
  sequenced: false,
  expiresAt: undefined,
});

function report(items: StoredAuditItem[]) {
  return buildAccessReport({
    reportId: 'rep-1',
    subjectId: subject,
    generatedAt: '2027-01-10T12:00:00.000Z',
    generatedBy: 'dpo:lk-test',
    items,
    names,
    signedTreeSize: 3,
  });
}

const received = (minute: number, office: string, referralId: string, consentId = 'c-1') =>
  pending({
    actor: `service:${office}`,
    event: 'referral.received',
    time: at(minute),
    consentId,
    serviceOfficeId: office,
    referralId,
    dataCategories: ['contact'],
  });

describe('buildAccessReport (the report model, no rendering)', () => {
  it('lists recipients in time order whatever order the entries came in, with their sequence once sequenced', () => {
    const [first] = sequenceDrafts(EMPTY_CHAIN_HEAD, [received(2, 'mbe-known', 'r-1').entry]).entries;
    const items = [
      received(9, 'jmd-unknown', 'r-2'),
      { entry: first!, sequenced: true, expiresAt: undefined },
    ];
    const r = report(items);
    expect(AccessReport.parse(r)).toEqual(r);
    expect(r.recipients.map((x) => [x.referralId, x.serviceOfficeName, x.providerName, x.sequence])).toEqual([
      ['r-1', 'MBE Bekannt', 'AWO', 1],
      ['r-2', null, null, null],
    ]);
    expect(r.events.map((e) => [e.entry.referralId, e.sequenced])).toEqual([
      ['r-1', true],
      ['r-2', false],
    ]);
    expect(r).toMatchObject({ reportId: 'rep-1', generatedBy: 'dpo:lk-test', signedTreeSize: 3 });
  });

  it('lists to whom the erasure was communicated (Art. 19), the reminders, and when each confirmed', () => {
    const erasure = (
      minute: number,
      event: string,
      office: string,
      referralId: string,
      actor = 'system:relay',
    ) =>
      pending({
        actor,
        event: event as AuditDraftInput['event'],
        time: at(minute),
        consentId: 'c-1',
        serviceOfficeId: office,
        referralId,
        reason: 'consent-withdrawn',
      });
    const r = report([
      received(1, 'mbe-known', 'r-1'),
      received(2, 'jmd-unknown', 'r-2'),
      erasure(10, 'referral.erasure-requested', 'mbe-known', 'r-1'),
      erasure(11, 'referral.erasure-requested', 'jmd-unknown', 'r-2'),
      erasure(20, 'referral.erasure-reminded', 'jmd-unknown', 'r-2', 'system:deadlines'),
      erasure(30, 'referral.erasure-confirmed', 'mbe-known', 'r-1', 'service:mbe-known'),
      erasure(40, 'referral.erasure-confirmed', 'mbe-known', 'r-1', 'service:mbe-known'),
    ]);
    expect(AccessReport.parse(r)).toEqual(r);
    expect(r.erasures).toEqual([
      {
        serviceOfficeId: 'mbe-known',
        serviceOfficeName: 'MBE Bekannt',
        providerName: 'AWO',
        referralId: 'r-1',
        consentId: 'c-1',
        reason: 'consent-withdrawn',
        requestedAt: at(10).toISOString(),
        reminders: 0,
        confirmedAt: at(30).toISOString(),
      },
      {
        serviceOfficeId: 'jmd-unknown',
        serviceOfficeName: null,
        providerName: null,
        referralId: 'r-2',
        consentId: 'c-1',
        reason: 'consent-withdrawn',
        requestedAt: at(11).toISOString(),
        reminders: 1,
        confirmedAt: null,
      },
    ]);
    expect(report([received(1, 'mbe-known', 'r-1')]).erasures).toEqual([]);
  });

  it('names no recipient for referrals that were accepted but never received', () => {
    const r = report([
      pending({ event: 'referral.accepted', time: at(1), consentId: 'c-1', serviceOfficeId: 'mbe-known' }),
      pending({ event: 'referral.revoked', time: at(2), consentId: 'c-1', serviceOfficeId: 'mbe-known' }),
    ]);
    expect(r.recipients).toEqual([]);
    expect(r.events).toHaveLength(2);
  });

  it('keeps a withdrawal when the consent later expires, and marks an unwithdrawn one expired', () => {
    const r = report([
      pending({ event: 'consent.expired', time: at(30), consentId: 'c-1' }),
      pending({ event: 'consent.withdrawn', time: at(20), consentId: 'c-1', reason: 'subject-request' }),
      pending({
        event: 'consent.recorded',
        time: at(0),
        consentId: 'c-1',
        dataCategories: ['identity'],
        purpose: 'migration-counselling',
      }),
      pending({ event: 'consent.expired', time: at(40), consentId: 'c-2' }),
    ]);
    expect(r.consents).toEqual([
      {
        consentId: 'c-1',
        status: 'withdrawn',
        recordedAt: at(0).toISOString(),
        authorityId: 'abh-karlsruhe',
        dataCategories: ['identity'],
        purpose: 'migration-counselling',
        withdrawnAt: at(20).toISOString(),
        withdrawalReason: 'subject-request',
        expiredAt: at(30).toISOString(),
      },
      expect.objectContaining({ consentId: 'c-2', status: 'expired', recordedAt: null }),
    ]);
  });
});
