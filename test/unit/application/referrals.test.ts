import { compactDecrypt, importJWK } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { submitReferral } from '#shared/application/referrals.ts';
import { acknowledgeReceipt, ReferralGone, reportStatus } from '#shared/application/service-side.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { emptyKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair, type RecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { InvalidRequest } from '#shared/domain/errors.ts';
import { ReferralRefused } from '#shared/domain/referral/errors.ts';
import { TransitionRefused } from '#shared/domain/referral/lifecycle.ts';
import { subjectIdOfPerson } from '#shared/domain/referral/referral.ts';
import type { SubmitReferralRequest } from '#shared/schemas/referral.ts';
import { NOW, record, SECRET } from '#test/unit/consent/fixtures.ts';
import { InMemoryReferrals } from './referral-fakes.ts';

/** Intake, receipt, status reports and forwarding over the repository port, without I/O. */

const directory = loadDirectory('config/directory.example.json');
const authority = { kind: 'authority', id: 'abh-lk-karlsruhe' } as const;
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
let keys: Map<string, RecipientKeyPair>;
const deps = () => ({ referrals: repo, directory, clock, secret: async () => SECRET });
const office = (id: string) => ({ kind: 'service', id }) as const;

beforeEach(async () => {
  repo = new InMemoryReferrals();
  clock = new FixedClock(new Date(NOW.getTime() + 60_000));
  keys = new Map();
  for (const o of directory.serviceOffices) {
    const pair = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
    keys.set(o.id, pair);
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

const refusalOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReferralRefused);
  return (error as ReferralRefused).refusal;
};

describe('submitReferral', () => {
  it('accepts, encrypts to the routed office and writes referral, audit entry and idempotency record', async () => {
    const accepted = await submitReferral(deps(), authority, request, 'k1');
    const stored = repo.referrals.get(accepted.referralId)!;
    expect(stored).toMatchObject({
      status: 'accepted',
      version: 1,
      serviceOfficeId: accepted.serviceOffice.id,
    });
    expect(repo.audit.map((a) => a.event)).toEqual(['referral.accepted']);
    expect(repo.outbox).toEqual([{ referralId: accepted.referralId, event: 'notify' }]);
    const pair = keys.get(stored.serviceOfficeId)!;
    const { plaintext } = await compactDecrypt(stored.ciphertext!, await importJWK(pair.privateJwk));
    expect(JSON.parse(new TextDecoder().decode(plaintext)).person).toEqual(person);
    // The same request again answers the first answer and writes nothing.
    expect(await submitReferral(deps(), authority, request, 'k1')).toEqual(accepted);
    expect(repo.referrals.size).toBe(1);
  });

  it('records a refusal, throws it, and throws it again for a retry of the same request', async () => {
    await submitReferral(deps(), authority, request, 'k1');
    const refusal = await refusalOf(submitReferral(deps(), authority, request, 'k2'));
    expect(refusal.reason).toBe('open-referral-exists');
    expect(repo.audit.map((a) => a.event)).toEqual(['referral.accepted', 'referral.refused']);
    expect(await refusalOf(submitReferral(deps(), authority, request, 'k2'))).toEqual(refusal);
    expect(repo.audit).toHaveLength(2);
  });

  it('turns a consent withdrawn between read and write into a recorded refusal', async () => {
    const consent = repo.consents.get('con_0001abcd')!;
    repo.create = async () => {
      throw new (await import('#shared/domain/referral/errors.ts')).ConsentWithdrawnRace();
    };
    expect((await refusalOf(submitReferral(deps(), authority, request, 'k3'))).reason).toBe(
      'consent-withdrawn',
    );
    expect(repo.audit.at(-1)).toMatchObject({ event: 'referral.refused', reason: 'consent-withdrawn' });
    expect(repo.audit.at(-1)?.legalBasis?.consentId).toBe(consent.id);
  });
});

describe('field paths of refusals', () => {
  it('names a missing nationality (no AZR number) where the client wrote it: person.nationality', async () => {
    const { nationality: _n, ...withoutNationality } = person;
    const error = await submitReferral(
      deps(),
      authority,
      { ...request, person: withoutNationality },
      'k9',
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidRequest);
    expect((error as InvalidRequest).issues.map((i) => i.field)).toEqual(['person.nationality']);
    expect(repo.audit).toEqual([]);
  });
});

describe('receipt and status reports', () => {
  it('receives once, then reports contact and close, each an audit entry; the guard is released at close', async () => {
    const { referralId, serviceOffice } = await submitReferral(deps(), authority, request, 'k1');
    const me = office(serviceOffice.id);
    expect((await acknowledgeReceipt(deps(), me, referralId)).status).toBe('received');
    expect((await acknowledgeReceipt(deps(), me, referralId)).status).toBe('received');
    expect((await reportStatus(deps(), me, referralId, { status: 'contacted' })).status).toBe('contacted');
    expect(repo.openBySubject.size).toBe(1);
    expect((await reportStatus(deps(), me, referralId, { status: 'closed' })).status).toBe('closed');
    expect(repo.openBySubject.size).toBe(0);
    expect(repo.audit.map((a) => a.event)).toEqual([
      'referral.accepted',
      'referral.received',
      'referral.contacted',
      'referral.closed',
    ]);
    await expect(reportStatus(deps(), me, referralId, { status: 'contacted' })).rejects.toBeInstanceOf(
      TransitionRefused,
    );
  });

  it('revokes at receipt when the consent is withdrawn, and answers gone', async () => {
    const { referralId, serviceOffice } = await submitReferral(deps(), authority, request, 'k1');
    const consent = repo.consents.get('con_0001abcd')!;
    repo.consents.set(consent.id, { ...consent, withdrawnAt: clock.now().toISOString() });
    await expect(acknowledgeReceipt(deps(), office(serviceOffice.id), referralId)).rejects.toBeInstanceOf(
      ReferralGone,
    );
    expect(repo.referrals.get(referralId)).toMatchObject({ status: 'revoked' });
    expect(repo.referrals.get(referralId)?.ciphertext).toBeUndefined();
    expect(repo.outbox.at(-1)).toEqual({ referralId, event: 'revoke' });
  });

  it('re-reads and retries when the referral changed between read and write', async () => {
    const { referralId, serviceOffice } = await submitReferral(deps(), authority, request, 'k1');
    let moved = false;
    repo.beforeWrite = () => {
      if (moved) return;
      moved = true;
      const r = repo.referrals.get(referralId)!;
      repo.referrals.set(referralId, { ...r, status: 'queued', version: r.version + 1 });
    };
    const view = await acknowledgeReceipt(deps(), office(serviceOffice.id), referralId);
    expect(view.status).toBe('received');
    expect(repo.referrals.get(referralId)?.version).toBe(3);
  });

  it("does not show another office's referral", async () => {
    const { referralId } = await submitReferral(deps(), authority, request, 'k1');
    await expect(acknowledgeReceipt(deps(), office('jmd-caritas-bruchsal'), referralId)).rejects.toThrow(
      'not found',
    );
  });
});

describe('forwarding', () => {
  it('declines and forwards in one step, moving the open referral to the new office', async () => {
    const { referralId, serviceOffice } = await submitReferral(deps(), authority, request, 'k1');
    const me = office(serviceOffice.id);
    await acknowledgeReceipt(deps(), me, referralId);
    const target = directory.serviceOffices.find(
      (o) => o.type === 'MBE' && o.id !== serviceOffice.id && o.municipalities.includes('08215009'),
    )!;
    const view = await reportStatus(deps(), me, referralId, {
      status: 'declined',
      reason: 'not-responsible',
      forwardTo: target.id,
      person,
    });
    expect(view.status).toBe('declined');
    const next = repo.referrals.get(view.forwardedTo!.referralId)!;
    expect(next).toMatchObject({ status: 'accepted', serviceOfficeId: target.id, forwardedFrom: referralId });
    expect(repo.openBySubject.get(next.subjectId)).toBe(next.referralId);
    expect(repo.audit.slice(-2).map((a) => a.event)).toEqual(['referral.declined', 'referral.forwarded']);
    // Repeating the same forwarding answers the same view and writes nothing.
    const again = await reportStatus(deps(), me, referralId, {
      status: 'declined',
      reason: 'not-responsible',
      forwardTo: target.id,
      person,
    });
    expect(again.forwardedTo?.referralId).toBe(next.referralId);
    expect(repo.referrals.size).toBe(2);
  });

  it('records a refused forwarding and leaves the referral as it was', async () => {
    const { referralId, serviceOffice } = await submitReferral(deps(), authority, request, 'k1');
    const me = office(serviceOffice.id);
    await acknowledgeReceipt(deps(), me, referralId);
    const refusal = await refusalOf(
      reportStatus(deps(), me, referralId, {
        status: 'declined',
        reason: 'not-responsible',
        forwardTo: serviceOffice.id,
        person,
      }),
    );
    expect(refusal.reason).toBe('forward-to-self');
    expect(repo.referrals.get(referralId)?.status).toBe('received');
    expect(repo.audit.at(-1)).toMatchObject({ event: 'referral.refused', reason: 'forward-to-self' });
  });
});

describe('a refusal that loses to a concurrent identical request', () => {
  it('answers what the first request answered (202), not the refusal', async () => {
    const first = await submitReferral(deps(), authority, request, 'k-race');
    // The second request read before the first committed: it saw no idempotency record,
    // then lost the open-referral race; its refusal finds the first answer stored.
    const snapshot = repo.intakeSnapshot.bind(repo);
    repo.intakeSnapshot = async (q) => {
      const s = await snapshot(q);
      const { idempotency: _hidden, ...rest } = s;
      return rest;
    };
    expect(await submitReferral(deps(), authority, request, 'k-race')).toEqual(first);
  });
});
