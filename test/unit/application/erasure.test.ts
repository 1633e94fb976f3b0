import { beforeEach, describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { revokeReferralsOfConsent } from '#shared/application/delivery.ts';
import { confirmErasureByOffice, erasureStatus, recordErasureRequest } from '#shared/application/erasure.ts';
import { submitReferral } from '#shared/application/referrals.ts';
import { acknowledgeReceipt, reportStatus } from '#shared/application/service-side.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { emptyKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { Forbidden, NotFound } from '#shared/domain/errors.ts';
import { NoErasureRequest } from '#shared/domain/referral/erasure.ts';
import { subjectIdOfPerson } from '#shared/domain/referral/referral.ts';
import type { SubmitReferralRequest } from '#shared/schemas/referral.ts';
import { NOW, record, SECRET } from '#test/unit/consent/fixtures.ts';
import { InMemoryReferrals } from './referral-fakes.ts';

/** Erasure after receipt over the repository port, without I/O (docs/consent.md, erasure). */

const directory = loadDirectory('config/directory.example.json');
const authority = { kind: 'authority', id: 'abh-lk-karlsruhe' } as const;
const otherAuthority = { kind: 'authority', id: 'abh-stadt-karlsruhe' } as const;
const dpo = { kind: 'dpo', scope: 'lk-karlsruhe' } as const;
const scopedDpo = (scope: string) => ({ kind: 'dpo', scope }) as const;
const person = {
  familyName: 'Müller',
  givenNames: 'Anna',
  dateOfBirth: '1981-03-02',
  nationality: 'SYR',
  address: { municipality: '08215009' },
};
const request: SubmitReferralRequest = { consentId: 'con_0001abcd', person, caseReference: 'AZ 1/26' };

let repo: InMemoryReferrals;
let clock: FixedClock;
const deps = () => ({ referrals: repo, directory, clock, secret: async () => SECRET });
const office = (id: string) => ({ kind: 'service', id }) as const;

beforeEach(async () => {
  repo = new InMemoryReferrals();
  clock = new FixedClock(new Date(NOW.getTime() + 60_000));
  for (const o of directory.serviceOffices) {
    const pair = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
    repo.offices.set(o.id, {
      keySet: publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, NOW),
      openReferrals: 0,
    });
  }
  repo.consents.set('con_0001abcd', {
    ...record({
      scope: { serviceTypes: ['MBE'], providerIds: [] },
      purposes: ['migration-counselling'],
      dataCategories: ['identity', 'nationality-and-languages', 'address', 'needs'],
    }),
    subjectId: subjectIdOfPerson(person, SECRET),
  });
});

/** A referral received by its office, then declined and forwarded to another office which received it too. */
async function receivedAndForwarded() {
  const first = await submitReferral(deps(), authority, request, 'k1');
  const me = office(first.serviceOffice.id);
  await acknowledgeReceipt(deps(), me, first.referralId);
  const target = directory.serviceOffices.find(
    (o) => o.type === 'MBE' && o.id !== first.serviceOffice.id && o.municipalities.includes('08215009'),
  )!;
  const declined = await reportStatus(deps(), me, first.referralId, {
    status: 'declined',
    reason: 'not-responsible',
    forwardTo: target.id,
    person,
  });
  const second = declined.forwardedTo!.referralId;
  await acknowledgeReceipt(deps(), office(target.id), second);
  return { first: first.referralId, firstOffice: me.id, second, secondOffice: target.id };
}

const consentOf = () => repo.consents.get('con_0001abcd')!;

describe('a withdrawal after receipt', () => {
  it('asks every office that received the data, forwarded ones included, and deletes the ciphertexts at once', async () => {
    const { first, firstOffice, second, secondOffice } = await receivedAndForwarded();
    const outcome = await revokeReferralsOfConsent(deps(), {
      id: 'con_0001abcd',
      subjectId: consentOf().subjectId,
      withdrawnBy: 'authority:abh-lk-karlsruhe',
    });
    expect(outcome).toEqual({ revoked: 0, erasureRequested: 2, ciphertextsDeleted: 0 });
    for (const id of [first, second]) {
      const r = repo.referrals.get(id)!;
      expect(r.ciphertext).toBeUndefined();
      expect(r.erasure).toMatchObject({ reason: 'consent-withdrawn', reminders: 0 });
    }
    expect(
      repo.outbox
        .filter((o) => o.event === 'erasure-request')
        .map((o) => o.referralId)
        .sort(),
    ).toEqual([first, second].sort());
    const asked = repo.audit.filter((a) => a.event === 'referral.erasure-requested');
    expect(asked.map((a) => a.serviceOfficeId).sort()).toEqual([firstOffice, secondOffice].sort());
    // Handled again (the stream redelivers): nobody is asked twice.
    const again = await revokeReferralsOfConsent(deps(), {
      id: 'con_0001abcd',
      subjectId: consentOf().subjectId,
    });
    expect(again).toEqual({ revoked: 0, erasureRequested: 0, ciphertextsDeleted: 0 });
  });

  it('revokes a referral not yet received instead of asking for erasure', async () => {
    const { referralId } = await submitReferral(deps(), authority, request, 'k1');
    const outcome = await revokeReferralsOfConsent(deps(), {
      id: 'con_0001abcd',
      subjectId: consentOf().subjectId,
    });
    expect(outcome.revoked).toBe(1);
    expect(repo.referrals.get(referralId)).toMatchObject({ status: 'revoked' });
    expect(repo.referrals.get(referralId)?.erasure).toBeUndefined();
  });
});

describe('an explicit erasure request', () => {
  it('is recorded by an authority or a DPO, never by an office or an operator', async () => {
    await receivedAndForwarded();
    await expect(
      recordErasureRequest(deps(), office('mbe-caritas-bruchsal'), 'con_0001abcd', {}),
    ).rejects.toBeInstanceOf(Forbidden);
    await expect(
      recordErasureRequest(deps(), { kind: 'operator' }, 'con_0001abcd', {}),
    ).rejects.toBeInstanceOf(Forbidden);
    await expect(recordErasureRequest(deps(), dpo, 'con_0009zzzz', {})).rejects.toBeInstanceOf(NotFound);
    expect(repo.audit.some((a) => a.event === 'erasure.requested')).toBe(false);
    const status = await recordErasureRequest(deps(), dpo, 'con_0001abcd', { reason: 'person-request' });
    expect(status.recipients).toHaveLength(2);
    expect(status.recipients.every((r) => r.erasure.reason === 'erasure-requested')).toBe(true);
    expect(repo.audit.find((a) => a.event === 'erasure.requested')).toMatchObject({
      actor: 'dpo:lk-karlsruhe',
      reason: 'person-request',
    });
  });

  it('shows who confirmed: the DPO all recipients, an authority those of its own referrals', async () => {
    const { first, firstOffice, second, secondOffice } = await receivedAndForwarded();
    await recordErasureRequest(deps(), authority, 'con_0001abcd', {});
    await confirmErasureByOffice(deps(), office(secondOffice), second);
    const seen = await erasureStatus(deps(), dpo, 'con_0001abcd');
    expect(seen.recipients.map((r) => [r.referralId, r.erasure.confirmedAt !== undefined])).toEqual([
      [first, false],
      [second, true],
    ]);
    expect((await erasureStatus(deps(), authority, 'con_0001abcd')).recipients).toHaveLength(2);
    expect((await erasureStatus(deps(), otherAuthority, 'con_0001abcd')).recipients).toEqual([]);
    await expect(erasureStatus(deps(), office(firstOffice), 'con_0001abcd')).rejects.toBeInstanceOf(
      Forbidden,
    );
  });
});

describe("an office's confirmation", () => {
  it('is only the receiving office’s, only when asked, and counted once', async () => {
    const { first, firstOffice, secondOffice } = await receivedAndForwarded();
    await expect(confirmErasureByOffice(deps(), office(firstOffice), first)).rejects.toBeInstanceOf(
      NoErasureRequest,
    );
    await recordErasureRequest(deps(), dpo, 'con_0001abcd', {});
    await expect(confirmErasureByOffice(deps(), office(secondOffice), first)).rejects.toBeInstanceOf(
      NotFound,
    );
    const view = await confirmErasureByOffice(deps(), office(firstOffice), first);
    expect(view.erasure?.confirmedAt).toBe(clock.now().toISOString());
    expect(view.due).toBeUndefined();
    await confirmErasureByOffice(deps(), office(firstOffice), first);
    expect(repo.audit.filter((a) => a.event === 'referral.erasure-confirmed')).toHaveLength(1);
  });
});

describe('a scoped DPO', () => {
  it('sees only the recipients its scope covers, and no consent its scope does not reach', async () => {
    const { first, firstOffice, second, secondOffice } = await receivedAndForwarded();
    await recordErasureRequest(deps(), authority, 'con_0001abcd', {});
    const providerOf = (id: string) => directory.serviceOffices.find((o) => o.id === id)!.providerId;
    const seenBy = async (scope: string) =>
      (await erasureStatus(deps(), scopedDpo(scope), 'con_0001abcd')).recipients.map((r) => r.referralId);
    expect(await seenBy(providerOf(firstOffice))).toEqual([first]);
    expect(await seenBy(providerOf(secondOffice))).toEqual([second]);
    expect(await seenBy(firstOffice)).toEqual([first]);
    // The authority that recorded the consent and sent both referrals: both.
    expect(await seenBy('abh-lk-karlsruhe')).toEqual([first, second]);
    // Another authority's DPO, a provider without a referral, a scope no longer listed: not there.
    for (const scope of ['abh-bruchsal', 'ib-mittelbaden', 'gone']) {
      await expect(erasureStatus(deps(), scopedDpo(scope), 'con_0001abcd')).rejects.toBeInstanceOf(NotFound);
      await expect(
        recordErasureRequest(deps(), scopedDpo(scope), 'con_0001abcd', {}, `k-${scope}`),
      ).rejects.toBeInstanceOf(NotFound);
    }
    expect(repo.audit.filter((a) => a.event === 'erasure.requested')).toHaveLength(1);
  });
});

describe('the Idempotency-Key of an erasure request', () => {
  it('answers a retry with the same key and body as the first time, records once, refuses another body', async () => {
    const { secondOffice, second } = await receivedAndForwarded();
    const once = await recordErasureRequest(
      deps(),
      dpo,
      'con_0001abcd',
      { reason: 'person-request' },
      'erase-1',
    );
    await confirmErasureByOffice(deps(), office(secondOffice), second);
    const again = await recordErasureRequest(
      deps(),
      dpo,
      'con_0001abcd',
      { reason: 'person-request' },
      'erase-1',
    );
    // The first answer, not the state since (the second office has confirmed meanwhile).
    expect(again).toEqual(once);
    expect(again.recipients.every((r) => r.erasure.confirmedAt === undefined)).toBe(true);
    expect(repo.audit.filter((a) => a.event === 'erasure.requested')).toHaveLength(1);
    await expect(
      recordErasureRequest(deps(), dpo, 'con_0001abcd', { reason: 'other' }, 'erase-1'),
    ).rejects.toMatchObject({ code: 'idempotency-key-reused' });
    // The key is the caller's: an authority using the same key makes its own request.
    await recordErasureRequest(deps(), authority, 'con_0001abcd', { reason: 'person-request' }, 'erase-1');
    expect(repo.audit.filter((a) => a.event === 'erasure.requested')).toHaveLength(2);
  });
});
