import { describe, expect, it } from 'vitest';
import { getReferral } from '#shared/api/referrals.ts';
import { decryptReferral } from '#shared/domain/crypto/jwe.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, BRUCHSAL, CANARY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

/** Declining a referral with forwarding to another office (`forwardTo`). */
const p = useReferralPlatform();

const { receipt, report } = p;
const view = (id: string, principal = AUTHORITY) =>
  invoke(p.handler('referrals'), apiEvent(getReferral, { principal, stage: p.emu.stage, params: { id } }));

/** The other MBE office serving Bruchsal (two do). */
const otherMbeIn = (officeId: string, ags = BRUCHSAL) =>
  p.directory.serviceOffices.find(
    (o) => o.type === 'MBE' && o.id !== officeId && o.municipalities.includes(ags),
  )!.id;

/** A fresh person's referral, delivered and received by its office. */
async function receivedReferral(dateOfBirth: string, consent: Record<string, unknown> = {}) {
  const person = p.newPerson(dateOfBirth);
  const consentId = await p.consentFor(person, consent);
  const body = p.referralBody(consentId, person);
  const res = await p.submit(body);
  expect(res.status).toBe(202);
  const referralId = res.body.referralId as string;
  const officeId = res.body.serviceOffice.id as string;
  await until(async () => ((await view(referralId)).body.status === 'queued' ? true : undefined));
  expect((await receipt(referralId, officeId)).status).toBe(200);
  return { person, consentId, body, referralId, officeId };
}

const forwardBody = (
  body: ReturnType<typeof p.referralBody>,
  forwardTo: string,
  person: Record<string, unknown> = body.person,
) => ({ status: 'declined', reason: 'not-responsible', forwardTo, person, note: body.note });

async function auditEntries(referralId: string) {
  return (await p.scan(p.audit()))
    .map((i) => i.entry as Record<string, unknown> | undefined)
    .filter((e): e is Record<string, unknown> => e?.referralId === referralId);
}

async function openReferralCounts(): Promise<Map<string, number>> {
  const items = await p.scan(p.records());
  return new Map(
    items
      .filter((i) => String(i.pk).startsWith('OFFICE#') && i.sk === 'STATE')
      .map((i) => [String(i.pk).slice('OFFICE#'.length), Number(i.openReferrals ?? 0)]),
  );
}

describe('declining with forwarding', () => {
  it('declines the old referral, delivers a new one to the other office and moves the guard', async () => {
    const { body, referralId: oldId, officeId, consentId, person } = await receivedReferral('1980-01-15');
    const target = otherMbeIn(officeId);
    const before = await openReferralCounts();

    const res = await report(oldId, officeId, forwardBody(body, target));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      referralId: oldId,
      status: 'declined',
      forwardedTo: { referralId: expect.stringMatching(/^ref_[0-9a-z]{26}$/), serviceOffice: { id: target } },
    });
    const newId = res.body.forwardedTo.referralId as string;
    expect(newId).not.toBe(oldId);
    expect(res.body.history.at(-1)).toMatchObject({
      status: 'declined',
      by: `service:${officeId}`,
      reason: 'not-responsible',
      forwardedTo: newId,
    });

    // The authority sees both; the new office sees the new one, the old office does not.
    const oldSeen = await view(oldId);
    expect(oldSeen.body).toMatchObject({ status: 'declined', forwardedTo: { referralId: newId } });
    const newSeen = await view(newId);
    expect(newSeen.status).toBe(200);
    expect(newSeen.body).toMatchObject({
      referralId: newId,
      status: expect.stringMatching(/^(accepted|queued)$/),
      consentId,
      authorityId: 'abh-lk-karlsruhe',
      caseReference: body.caseReference,
      serviceOffice: { id: target, type: 'MBE' },
      forwardedFrom: { referralId: oldId, serviceOffice: { id: officeId } },
    });
    expect((await view(newId, `service:${target}`)).status).toBe(200);
    expect((await view(newId, `service:${officeId}`)).status).toBe(404);

    // The notification reaches the new office and decrypts to the re-submitted data.
    const message = await until(async () => {
      const got = (await p.drain(target)).find((m) => m.envelope.referralId === newId);
      return got;
    });
    expect(message.envelope).toMatchObject({ type: 'referral.notification', serviceOfficeId: target });
    const { payload } = await decryptReferral(String(message.envelope.jwe), p.privateKeys as never);
    expect(payload).toMatchObject({
      referralId: newId,
      serviceOfficeId: target,
      consentId,
      caseReference: body.caseReference,
      person: { familyName: CANARY.familyName, azrNumber: person.azrNumber, phone: CANARY.phone },
      note: body.note,
    });
    expect((await receipt(newId, target)).body.status).toBe('received');

    // The trail: declined on the old referral, forwarded on the new one, both by the office.
    const declined = (await auditEntries(oldId)).filter((e) => e.event === 'referral.declined');
    expect(declined).toHaveLength(1);
    expect(declined[0]).toMatchObject({
      actor: `service:${officeId}`,
      serviceOfficeId: officeId,
      reason: 'not-responsible',
    });
    const forwarded = (await auditEntries(newId)).filter((e) => e.event === 'referral.forwarded');
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]).toMatchObject({
      actor: `service:${officeId}`,
      serviceOfficeId: target,
      reason: 'forwarded',
      legalBasis: { consentId },
      purpose: 'migration-counselling',
    });
    expect(await p.auditEvents(newId)).toEqual(
      expect.arrayContaining(['referral.forwarded', 'referral.queued', 'referral.received']),
    );

    // The open-referral guard names the new referral: a second intake is refused with it.
    const guard = (await p.scan(p.records())).find(
      (i) => i.sk === 'OPEN_REFERRAL' && (i.referralId === newId || i.referralId === oldId),
    );
    expect(guard?.referralId).toBe(newId);
    const again = await p.submit(p.referralBody(consentId, person));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ reason: 'open-referral-exists', existingReferralId: newId });

    const after = await openReferralCounts();
    expect(after.get(officeId)).toBe((before.get(officeId) ?? 0) - 1);
    expect(after.get(target)).toBe((before.get(target) ?? 0) + 1);

    // No personal data outside the ciphertext.
    const stored = JSON.stringify(
      (await p.scan(p.records())).map(({ ciphertext: _ciphertext, ...rest }) => rest),
    );
    for (const canary of Object.values(CANARY)) expect(stored).not.toContain(canary);
    expect(JSON.stringify(await p.scan(p.audit()))).not.toContain(CANARY.familyName);
  });

  it('answers a repeated forward with the same view and makes no second referral', async () => {
    const { body, referralId: oldId, officeId } = await receivedReferral('1979-02-16');
    const target = otherMbeIn(officeId);
    const first = await report(oldId, officeId, forwardBody(body, target));
    expect(first.status).toBe(200);
    const again = await report(oldId, officeId, forwardBody(body, target));
    expect(again.status).toBe(200);
    expect(again.body.forwardedTo.referralId).toBe(first.body.forwardedTo.referralId);
    const made = (await p.scan(p.records())).filter(
      (i) => String(i.pk).startsWith('REFERRAL#') && i.forwardedFrom === oldId,
    );
    expect(made).toHaveLength(1);
    expect((await auditEntries(oldId)).filter((e) => e.event === 'referral.declined')).toHaveLength(1);
    // Forwarding the declined referral elsewhere is refused.
    const elsewhere = await report(oldId, officeId, forwardBody(body, 'jmd-caritas-bruchsal'));
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body).toMatchObject({ reason: 'already-declined', currentStatus: 'declined' });
  });
});

describe('forwarding refusals', () => {
  /** The refusal's problem, that the old referral is unchanged, and its audit entry. */
  async function expectRefused(
    res: { status: number; body: Record<string, unknown> },
    oldId: string,
    status: number,
    reason: string,
  ) {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ reason, status });
    expect(String(res.body.type)).toContain(reason);
    expect((await view(oldId)).body.status).toBe('received');
    const refused = (await auditEntries(oldId)).filter((e) => e.event === 'referral.refused');
    expect(refused.map((e) => e.reason)).toContain(reason);
    expect(JSON.stringify(res.body)).not.toContain(CANARY.familyName);
  }

  it('refuses an unknown office (422) and a malformed office id (400)', async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1978-03-17');
    const unknown = await report(id, officeId, forwardBody(body, 'mbe-nowhere'));
    await expectRefused(unknown, id, 422, 'unknown-office');
    expect(unknown.body.errors).toEqual([{ field: 'forwardTo', reason: expect.any(String) }]);
    const malformed = await report(id, officeId, forwardBody(body, 'Not An Office'));
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([{ field: 'forwardTo', reason: expect.any(String) }]);
    const self = await report(id, officeId, forwardBody(body, officeId));
    await expectRefused(self, id, 422, 'forward-to-self');
  });

  it("refuses an office that does not serve the person's municipality", async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1977-04-18');
    const ettlingen = p.directory.serviceOffices.find(
      (o) => o.type === 'MBE' && !o.municipalities.includes(BRUCHSAL),
    )!.id;
    await expectRefused(
      await report(id, officeId, forwardBody(body, ettlingen)),
      id,
      422,
      'recipient-not-covering-municipality',
    );
  });

  it('refuses an office whose type the consent does not name, with an audit entry', async () => {
    const {
      body,
      referralId: id,
      officeId,
    } = await receivedReferral('1976-05-19', {
      scope: { serviceTypes: ['MBE'], providerIds: [] },
    });
    const res = await report(id, officeId, forwardBody(body, 'jmd-caritas-bruchsal'));
    await expectRefused(res, id, 422, 'recipient-not-in-scope');
    const entry = (await auditEntries(id)).find((e) => e.reason === 'recipient-not-in-scope')!;
    expect(entry).toMatchObject({
      actor: `service:${officeId}`,
      serviceOfficeId: 'jmd-caritas-bruchsal',
      referralId: id,
    });
    // Nothing was forwarded: no new referral, and the guard still names the old one.
    const records = await p.scan(p.records());
    expect(records.filter((i) => i.forwardedFrom === id)).toHaveLength(0);
    expect(records.find((i) => i.sk === 'OPEN_REFERRAL' && i.referralId === id)).toBeDefined();
  });

  it('refuses the data of another person', async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1975-06-20');
    const stranger = { ...body.person, azrNumber: p.newPerson().azrNumber };
    const res = await report(id, officeId, forwardBody(body, otherMbeIn(officeId), stranger));
    await expectRefused(res, id, 422, 'subject-mismatch');
    expect(res.body.errors).toEqual([{ field: 'person', reason: expect.any(String) }]);
  });

  it('refuses data categories the consent does not name, field by field', async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1974-07-21');
    const more = { ...body.person, residenceStatus: 'employment', family: { children: 2 } };
    const res = await report(id, officeId, forwardBody(body, otherMbeIn(officeId), more));
    await expectRefused(res, id, 422, 'data-categories-not-covered');
    expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'person.family',
      'person.residenceStatus',
    ]);
  });

  it("answers 404 for another office's referral and 409 before receipt", async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1973-08-22');
    const stranger = otherMbeIn(officeId);
    expect((await report(id, stranger, forwardBody(body, 'jmd-caritas-bruchsal'))).status).toBe(404);

    const person = p.newPerson('1972-09-23');
    const consentId = await p.consentFor(person);
    const fresh = p.referralBody(consentId, person);
    const submitted = await p.submit(fresh);
    expect(submitted.status).toBe(202);
    const early = await report(
      submitted.body.referralId,
      submitted.body.serviceOffice.id,
      forwardBody(fresh, otherMbeIn(submitted.body.serviceOffice.id)),
    );
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({
      currentStatus: expect.stringMatching(/^(accepted|queued)$/),
      allowedNext: expect.any(Array),
    });
  });

  it('refuses person data without forwardTo, and forwardTo without person data (400)', async () => {
    const { body, referralId: id, officeId } = await receivedReferral('1971-10-24');
    const noTarget = await report(id, officeId, {
      status: 'declined',
      reason: 'not-responsible',
      person: body.person,
    });
    expect(noTarget.status).toBe(400);
    expect(noTarget.body.errors).toEqual([{ field: 'person', reason: expect.any(String) }]);
    const noPerson = await report(id, officeId, {
      status: 'declined',
      reason: 'not-responsible',
      forwardTo: otherMbeIn(officeId),
    });
    expect(noPerson.status).toBe(400);
    expect(noPerson.body.errors).toEqual([{ field: 'person', reason: expect.any(String) }]);
    expect((await view(id)).body.status).toBe('received');
  });
});
