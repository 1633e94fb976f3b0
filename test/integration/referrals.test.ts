import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordConsent, withdrawConsent } from '#shared/api/consents.ts';
import { getReferral } from '#shared/api/referrals.ts';
import { decryptReferral } from '#shared/domain/crypto/jwe.ts';
import { ReferralPayloadV1 } from '#shared/schemas/referral.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, CANARY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';
import { BRUCHSAL, consentRequest } from '#test/support/sample-requests.ts';

/**
 * Referral intake and delivery against DynamoDB Local and fauxqs: the intake handler,
 * the outbox relay driven by the real stream poller, and the service office's queue.
 */
const p = useReferralPlatform();
const OTHER_AUTHORITY = 'authority:abh-bruchsal';

const view = (id: string, principal = AUTHORITY) =>
  invoke(p.handler('referrals'), apiEvent(getReferral, { principal, stage: p.emu.stage, params: { id } }));
const withdraw = (consentId: string) =>
  invoke(
    p.handler('consents'),
    apiEvent(withdrawConsent, {
      principal: AUTHORITY,
      stage: p.emu.stage,
      params: { id: consentId },
      body: {},
    }),
  );

describe('POST /v1/referrals', () => {
  it('accepts a covered referral, routes it and delivers an encrypted notification to the office queue', async () => {
    const person = p.newPerson('1981-03-02');
    const consentId = await p.consentFor(person);
    const res = await p.submit(p.referralBody(consentId, person));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      referralId: expect.stringMatching(/^ref_[0-9a-z]{26}$/),
      status: 'accepted',
      serviceOffice: { type: 'MBE' },
      routing: { ruleId: expect.any(String), reason: expect.any(String) },
    });
    const { referralId } = res.body;
    const officeId = res.body.serviceOffice.id as string;

    const messages = await until(async () => {
      const got = await p.drain(officeId);
      return got.length > 0 ? got : undefined;
    });
    expect(messages).toHaveLength(1);
    const envelope = messages[0]!.envelope;
    expect(Object.keys(envelope).sort()).toEqual([
      'createdAt',
      'jwe',
      'referralId',
      'schemaVersion',
      'serviceOfficeId',
      'type',
    ]);
    expect(envelope).toMatchObject({
      type: 'referral.notification',
      referralId,
      serviceOfficeId: officeId,
      schemaVersion: 1,
    });

    const { payload } = await decryptReferral(String(envelope.jwe), p.privateKeys as never);
    const decrypted = ReferralPayloadV1.parse(payload);
    expect(decrypted.person.familyName).toBe(CANARY.familyName);
    expect(decrypted.person.phone).toBe(CANARY.phone);
    expect(decrypted).toMatchObject({
      referralId,
      consentId,
      serviceOfficeId: officeId,
      caseReference: 'ABH-2026/0042',
    });

    const queued = await until(async () => {
      const r = await view(referralId);
      return r.body.status === 'queued' ? r : undefined;
    });
    expect(queued.body.history.map((h: { status: string }) => h.status)).toEqual(['accepted', 'queued']);
    expect(await p.auditEvents(referralId)).toEqual(['referral.accepted', 'referral.queued']);
  });

  it('answers a retry with the first response and refuses the key for another body', async () => {
    const person = p.newPerson('1975-01-01');
    const consentId = await p.consentFor(person);
    const key = `retry-${randomUUID()}`;
    const first = await p.submit(p.referralBody(consentId, person), key);
    const again = await p.submit(p.referralBody(consentId, person), key);
    expect(again.status).toBe(first.status);
    expect(again.body.referralId).toBe(first.body.referralId);
    const other = await p.submit(p.referralBody(consentId, person, { languages: ['fa'] }), key);
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([{ field: 'Idempotency-Key', reason: expect.any(String) }]);
  });

  it('turns 50 concurrent identical submissions into exactly one referral, one message and one audit entry', async () => {
    const person = p.newPerson('1970-06-15');
    const consentId = await p.consentFor(person);
    const key = `burst-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => p.submit(p.referralBody(consentId, person), key)),
    );
    const ids = new Set(results.map((r) => r.body.referralId));
    expect(results.filter((r) => r.status !== 202).map((r) => [r.status, r.body])).toEqual([]);
    expect(ids.size).toBe(1);
    const referralId = [...ids][0] as string;
    const officeId = results[0]!.body.serviceOffice.id as string;
    expect((await p.scan(p.records())).filter((i) => i.pk === `REFERRAL#${referralId}`)).toHaveLength(1);
    const mine = (m: { envelope: Record<string, unknown> }) => m.envelope.referralId === referralId;
    const messages = await until(async () => {
      const got = (await p.drain(officeId)).filter(mine);
      return got.length > 0 ? got : undefined;
    });
    await until(async () => ((await view(referralId)).body.status === 'queued' ? true : undefined));
    const late = (await p.drain(officeId)).filter(mine);
    expect(messages.length + late.length).toBe(1);
    expect(await p.auditEvents(referralId)).toEqual(['referral.accepted', 'referral.queued']);
  });

  it('refuses a second open referral of the same person with the existing id', async () => {
    const person = p.newPerson('1966-12-24');
    const consentId = await p.consentFor(person);
    const first = await p.submit(p.referralBody(consentId, person));
    expect(first.status).toBe(202);
    const second = await p.submit(p.referralBody(consentId, person));
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(second.body).toMatchObject({
      reason: 'open-referral-exists',
      existingReferralId: first.body.referralId,
      instance: expect.any(String),
    });
  });

  it('lets only the authority that recorded a consent refer under it', async () => {
    const person = p.newPerson('1968-10-22');
    const consentId = await p.consentFor(person);
    const other = await p.submit(p.referralBody(consentId, person), undefined, 'authority:abh-bruchsal');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ reason: 'consent-not-found', errors: [{ field: 'consentId' }] });
    expect(
      (await p.scan(p.records())).some(
        (i) => i.consentId === consentId && String(i.pk).startsWith('REFERRAL#'),
      ),
    ).toBe(false);
    expect((await p.submit(p.referralBody(consentId, person))).status).toBe(202);
  });

  it("refuses another authority's second referral without revealing the first one", async () => {
    const person = p.newPerson('1967-11-23');
    const first = await p.submit(p.referralBody(await p.consentFor(person), person));
    expect(first.status).toBe(202);
    const other = 'authority:abh-bruchsal';
    const consentId = await p.consentFor(person, {}, other);
    const key = `other-${randomUUID()}`;
    const second = await p.submit(p.referralBody(consentId, person), key, other);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ reason: 'open-referral-exists', instance: expect.any(String) });
    expect(second.body).not.toHaveProperty('existingReferralId');
    expect(JSON.stringify(second.body)).not.toContain(first.body.referralId);
    expect(JSON.stringify(second.body)).not.toContain(first.body.serviceOffice.id);
    // The retry answers the same, and the refusal is in the log (ids and codes only).
    const again = await p.submit(p.referralBody(consentId, person), key, other);
    expect(again.body).toMatchObject({ reason: 'open-referral-exists' });
    expect(again.body).not.toHaveProperty('existingReferralId');
  });

  it('accepts a referral under the least consent docs/referrals.md names, with and without an AZR number', async () => {
    const minimal = (person: object) => ({
      consentId: '',
      caseReference: 'ABH-2026/0043',
      person: { ...person, address: { municipality: BRUCHSAL } },
    });
    // With an AZR number: identity and address.
    const withAzr = p.newPerson('1985-04-04');
    const azrConsent = await p.consentFor(withAzr, { dataCategories: ['identity', 'address'] });
    const first = await p.submit({ ...minimal(withAzr), consentId: azrConsent });
    expect(first.status).toBe(202);
    // Without one the pseudonym needs the nationality: identity, address and nationality-and-languages.
    const { azrNumber: _none, ...withoutAzr } = { ...p.newPerson('1986-05-05'), nationality: 'SYR' };
    const subject = {
      familyName: withoutAzr.familyName,
      givenNames: withoutAzr.givenNames,
      nationality: 'SYR',
    };
    const consentOf = (dataCategories: string[]) =>
      invoke(
        p.handler('consents'),
        apiEvent(recordConsent, {
          principal: AUTHORITY,
          stage: p.emu.stage,
          idempotencyKey: `consent-${randomUUID()}`,
          body: {
            ...consentRequest({ azrNumber: '', dateOfBirth: withoutAzr.dateOfBirth }),
            subject: { ...subject, dateOfBirth: withoutAzr.dateOfBirth },
            dataCategories,
          },
        }),
      );
    const narrow = await consentOf(['identity', 'address']);
    expect(narrow.status).toBe(201);
    const refused = await p.submit({ ...minimal(withoutAzr), consentId: narrow.body.id });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['person.nationality']);
    const enough = await consentOf(['identity', 'address', 'nationality-and-languages']);
    const accepted = await p.submit({ ...minimal(withoutAzr), consentId: enough.body.id });
    expect(accepted.status).toBe(202);
  });

  it('refuses fields outside the consent, naming each, and records the refusal', async () => {
    const person = p.newPerson('1990-02-02');
    const consentId = await p.consentFor(person, {
      dataCategories: ['identity', 'address', 'nationality-and-languages'],
    });
    const res = await p.submit(p.referralBody(consentId, person));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('data-categories-not-covered');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['note', 'person.phone']);
    expect(JSON.stringify(res.body)).not.toContain(CANARY.phone);
    const refused = (await p.scan(p.audit())).filter(
      (e) =>
        e.event === 'referral.refused' &&
        (e.entry as { legalBasis?: { consentId: string } }).legalBasis?.consentId === consentId,
    );
    expect(refused).toHaveLength(1);
    expect((refused[0]!.entry as { reason: string }).reason).toBe('data-categories-not-covered');
  });

  it('refuses a withdrawn consent and a consent of another person', async () => {
    const person = p.newPerson('1988-08-08');
    const consentId = await p.consentFor(person);
    expect((await withdraw(consentId)).status).toBe(200);
    const res = await p.submit(p.referralBody(consentId, person));
    expect(res).toMatchObject({ status: 409, body: { reason: 'consent-withdrawn' } });

    const owner = p.newPerson('1979-09-09');
    const ownersConsent = await p.consentFor(owner);
    const mismatch = await p.submit(p.referralBody(ownersConsent, p.newPerson('1979-09-09')));
    expect(mismatch).toMatchObject({ status: 422, body: { reason: 'subject-mismatch' } });
  });

  it('writes nothing for a malformed body and names every offending field', async () => {
    const before = (await p.scan(p.records())).length + (await p.scan(p.audit())).length;
    const res = await p.submit({
      consentId: 'x',
      person: { familyName: '', address: { municipality: '123' } },
      caseReference: '',
      extra: 1,
    });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['extra', 'person.familyName', 'person.address.municipality', 'caseReference']),
    );
    expect((await p.scan(p.records())).length + (await p.scan(p.audit())).length).toBe(before);
  });

  it('shows a referral only to its sender and its recipient', async () => {
    const { referralId: id, officeId } = await p.referral('1960-01-31');
    expect((await view(id)).status).toBe(200);
    expect((await view(id, `service:${officeId}`)).status).toBe(200);
    expect((await view(id, OTHER_AUTHORITY)).status).toBe(404);
    const otherOffice = p.directory.serviceOffices.find((o) => o.id !== officeId)!.id;
    expect((await view(id, `service:${otherOffice}`)).status).toBe(404);
    expect((await view(id, 'dpo:lk-karlsruhe')).status).toBe(403);
  });

  it('revokes an unreceived referral when its consent is withdrawn, and tells the office', async () => {
    const { referralId: id, officeId, consentId } = await p.referral('1983-04-04');
    await withdraw(consentId);
    const revoked = await until(async () => {
      const r = await view(id);
      return r.body.status === 'revoked' ? r : undefined;
    });
    expect(revoked.body.history.at(-1)).toMatchObject({ status: 'revoked', reason: 'consent-withdrawn' });
    const item = (await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${id}`)!;
    expect(item.ciphertext).toBeUndefined();
    expect(
      (await p.scan(p.records())).find(
        (i) => i.pk === `SUBJECT#${item.subjectId}` && i.sk === 'OPEN_REFERRAL',
      ),
    ).toBeUndefined();
    const types = await until(async () => {
      const got = (await p.drain(officeId)).map((m) => m.envelope).filter((e) => e.referralId === id);
      return got.some((e) => e.type === 'referral.revocation') ? got.map((e) => e.type) : undefined;
    });
    expect(types).toContain('referral.revocation');
    expect((await p.auditEvents(id)).filter((e) => e === 'referral.revoked')).toHaveLength(1);
  });

  it('keeps the canary person data out of every table item', async () => {
    const items = [...(await p.scan(p.records())), ...(await p.scan(p.audit()))];
    const text = JSON.stringify(items);
    for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
    expect(items.some((i) => typeof i.ciphertext === 'string')).toBe(true);
  });
});
