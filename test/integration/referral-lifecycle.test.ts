import { describe, expect, it } from 'vitest';
import { sqsCourier } from '#shared/adapters/courier.ts';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { withdrawConsent } from '#shared/api/consents.ts';
import { getReferral, getReferralCiphertext } from '#shared/api/referrals.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { deliverOutboxItem } from '#shared/application/delivery.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { decryptReferral } from '#shared/domain/crypto/jwe.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

/** The lifecycle after intake: receipt, status reports, deadlines, and recovery from crashes in delivery. */
const p = useReferralPlatform();
const DAY = 86_400_000;

const { receipt, report } = p;
const view = (id: string) =>
  invoke(
    p.handler('referrals'),
    apiEvent(getReferral, { principal: AUTHORITY, stage: p.emu.stage, params: { id } }),
  );
const queueNameFor = (officeId: string) =>
  officeQueue(p.emu.stage, p.directory.serviceOffices.find((x) => x.id === officeId)!).name;
const authorityQueueNameFor = (authorityId: string) => authorityQueue(p.emu.stage, { id: authorityId }).name;
const ciphertext = (id: string, officeId: string) =>
  invoke(
    p.handler('service'),
    apiEvent(getReferralCiphertext, { principal: `service:${officeId}`, stage: p.emu.stage, params: { id } }),
  );
const queuedOf = (id: string) =>
  until(async () => ((await view(id)).body.status === 'queued' ? true : undefined));

describe('receipt and status reports', () => {
  it('records the receipt once, then contact and closing, each with its audit entry', async () => {
    const { referralId: id, officeId } = await p.referral('1977-07-07');
    await queuedOf(id);
    const first = await receipt(id, officeId);
    expect(first).toMatchObject({ status: 200, body: { status: 'received' } });
    const again = await receipt(id, officeId);
    expect(again).toMatchObject({ status: 200, body: { status: 'received' } });
    expect((await report(id, officeId, { status: 'contacted' })).body.status).toBe('contacted');
    expect(
      (await report(id, officeId, { status: 'closed', reason: 'counselling-completed' })).body.status,
    ).toBe('closed');
    expect(await p.auditEvents(id)).toEqual([
      'referral.accepted',
      'referral.closed',
      'referral.contacted',
      'referral.queued',
      'referral.received',
    ]);
    const authoritySees = await view(id);
    expect(authoritySees.body.history.map((h: { status: string }) => h.status)).toEqual([
      'accepted',
      'queued',
      'received',
      'contacted',
      'closed',
    ]);
    // Closed: the person may be referred again.
    const guard = (await p.scan(p.records())).find((i) => i.sk === 'OPEN_REFERRAL' && i.referralId === id);
    expect(guard).toBeUndefined();
  });

  it('refuses transitions that make no sense with 409 and the allowed next states', async () => {
    const { referralId: id, officeId } = await p.referral('1982-02-12');
    const early = await report(id, officeId, { status: 'closed' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({
      currentStatus: expect.stringMatching(/accepted|queued/),
      allowedNext: expect.any(Array),
    });
    const bad = await report(id, officeId, { status: 'declined' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'reason', reason: expect.any(String) }]);
  });

  it('answers 410 to a receipt of a revoked referral and 404 to another office', async () => {
    const { referralId: id, officeId, consentId } = await p.referral('1969-10-10');
    const other = p.directory.serviceOffices.find((o) => o.id !== officeId)!.id;
    expect((await receipt(id, other)).status).toBe(404);
    expect((await report(id, other, { status: 'contacted' })).status).toBe(404);
    await invoke(
      p.handler('consents'),
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: p.emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    const gone = await receipt(id, officeId);
    expect(gone.status).toBe(410);
    expect(gone.body.currentStatus).toBe('revoked');
    expect((await view(id)).body.status).toBe('revoked');
    expect(await p.auditEvents(id)).not.toContain('referral.received');
  });
});

describe('the ciphertext for a client without the queue', () => {
  it('is refused before the receipt and answered after it: the JWE of the queue message', async () => {
    const { referralId: id, officeId, person } = await p.referral('1979-09-19');
    await queuedOf(id);
    const before = await ciphertext(id, officeId);
    expect(before.status).toBe(409);
    expect(before.body).toMatchObject({ reason: 'not-received', currentStatus: 'queued' });
    const other = p.directory.serviceOffices.find((o) => o.id !== officeId)!.id;
    expect((await ciphertext(id, other)).status).toBe(404);
    await receipt(id, officeId);
    const after = await ciphertext(id, officeId);
    expect(after.status).toBe(200);
    expect(Object.keys(after.body).sort()).toEqual(['jwe', 'kid', 'referralId']);
    const queued = (await p.drain(officeId)).find((m) => m.envelope.referralId === id);
    expect(after.body.jwe).toBe(queued!.envelope.jwe);
    const { payload } = await decryptReferral(after.body.jwe, p.privateKeys as never);
    expect(payload).toMatchObject({ referralId: id, person: { familyName: person.familyName } });
    // Reading it is no status change.
    expect((await view(id)).body.status).toBe('received');
  });

  it('answers 410 for a revoked referral', async () => {
    const { referralId: id, officeId, consentId } = await p.referral('1971-01-21');
    await invoke(
      p.handler('consents'),
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: p.emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    expect((await receipt(id, officeId)).status).toBe(410);
    const gone = await ciphertext(id, officeId);
    expect(gone.status).toBe(410);
    expect(gone.body.currentStatus).toBe('revoked');
  });
});

describe('deadlines (injected clock)', () => {
  it('re-announces on days 3 and 9, expires on day 14 and deletes the ciphertext on day 21', async () => {
    const { referralId: id, officeId } = await p.referral('1958-05-05');
    await queuedOf(id);
    await p.drain(officeId);
    const created = new Date((await view(id)).body.createdAt);
    const referrals = new DynamoReferralRepository(
      { recordsTable: p.records(), auditTable: p.audit() },
      queueNameFor,
      authorityQueueNameFor,
    );
    const clock = new FixedClock(created);
    // The job handles every due referral of the table; the assertions look at this one.
    const eventsOnDay = async (days: number) => {
      clock.set(new Date(created.getTime() + days * DAY + 60_000));
      await runDeadlines({ referrals, clock });
      return p.auditEvents(id);
    };
    const count = (events: string[], event: string) => events.filter((e) => e === event).length;
    expect(count(await eventsOnDay(2), 'referral.re-announced')).toBe(0);
    expect(count(await eventsOnDay(3), 'referral.re-announced')).toBe(1);
    expect(count(await eventsOnDay(3), 'referral.re-announced')).toBe(1);
    const announced = await until(async () => {
      const got = (await p.drain(officeId)).filter((m) => m.envelope.referralId === id);
      return got.length > 0 ? got : undefined;
    });
    expect(announced.map((m) => m.envelope.type)).toEqual(['referral.re-announcement']);
    expect(announced[0]!.envelope.jwe).toEqual(expect.any(String));
    expect(count(await eventsOnDay(9), 'referral.re-announced')).toBe(2);
    expect(count(await eventsOnDay(13), 'referral.expired')).toBe(0);
    expect(count(await eventsOnDay(14), 'referral.expired')).toBe(1);
    expect((await view(id)).body.status).toBe('expired');
    expect(count(await eventsOnDay(21), 'referral.ciphertext-deleted')).toBe(1);
    const item = (await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${id}`)!;
    expect(item.ciphertext).toBeUndefined();
    expect(await p.auditEvents(id)).toEqual([
      'referral.accepted',
      'referral.ciphertext-deleted',
      'referral.expired',
      'referral.queued',
      'referral.re-announced',
      'referral.re-announced',
    ]);
  });

  it("deletes a received referral's ciphertext 7 days after receipt", async () => {
    const { referralId: id, officeId } = await p.referral('1959-06-06');
    await queuedOf(id);
    await receipt(id, officeId);
    const referrals = new DynamoReferralRepository(
      { recordsTable: p.records(), auditTable: p.audit() },
      queueNameFor,
      authorityQueueNameFor,
    );
    const receivedAt = new Date((await view(id)).body.history.at(-1).at);
    const clock = new FixedClock(new Date(receivedAt.getTime() + 6 * DAY));
    await runDeadlines({ referrals, clock });
    expect(await p.auditEvents(id)).not.toContain('referral.ciphertext-deleted');
    clock.set(new Date(receivedAt.getTime() + 7 * DAY + 1000));
    await runDeadlines({ referrals, clock });
    expect(await p.auditEvents(id)).toContain('referral.ciphertext-deleted');
    expect((await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${id}`)!.ciphertext).toBeUndefined();
    expect((await view(id)).body.status).toBe('received');
    const deleted = await ciphertext(id, officeId);
    expect(deleted.status).toBe(410);
    expect(deleted.body.reason).toBe('ciphertext-deleted');
  });
});

describe('delivery recovers from a crash at every step', () => {
  it('sends exactly once when the relay crashes after the send and before marking queued', async () => {
    const pp = p;
    const { referralId: id, officeId } = await pp.referral('1961-11-11');
    // The stream relay has already delivered it; replay the same outbox item as a retry
    // after a crash between send and mark would.
    await queuedOf(id);
    const referrals = new DynamoReferralRepository(
      { recordsTable: pp.records(), auditTable: pp.audit() },
      queueNameFor,
      authorityQueueNameFor,
    );
    const deps = {
      referrals,
      courier: sqsCourier,
      clock: new FixedClock(new Date()),
      queueUrlFor: (name: string) => pp.emu.queueUrl(name),
    };
    const queueName = officeQueue(
      pp.emu.stage,
      pp.directory.serviceOffices.find((x) => x.id === officeId)!,
    ).name;
    await deliverOutboxItem(deps, { referralId: id, event: 'notify', queueName });
    await deliverOutboxItem(deps, { referralId: id, event: 'notify', queueName });
    const messages = (await pp.drain(officeId)).filter((m) => m.envelope.referralId === id);
    expect(messages).toHaveLength(1);
    expect((await pp.auditEvents(id)).filter((e) => e === 'referral.queued')).toHaveLength(1);
  });

  it('retries a failed send and marks queued once it succeeds', async () => {
    const { referralId: id, officeId } = await p.referral('1962-12-12');
    await queuedOf(id);
    await p.drain(officeId);
    // A fresh outbox run for a referral still "accepted" (crash after the transaction,
    // before the relay): the first send fails, the retry delivers.
    const referrals = new DynamoReferralRepository(
      { recordsTable: p.records(), auditTable: p.audit() },
      queueNameFor,
      authorityQueueNameFor,
    );
    let failures = 1;
    const flaky = {
      send: async (...args: Parameters<typeof sqsCourier.send>) => {
        if (failures-- > 0) throw new Error('ThrottlingException');
        return sqsCourier.send(...args);
      },
    };
    const deps = {
      referrals,
      courier: flaky,
      clock: new FixedClock(new Date()),
      queueUrlFor: (name: string) => p.emu.queueUrl(name),
    };
    const queueName = officeQueue(
      p.emu.stage,
      p.directory.serviceOffices.find((x) => x.id === officeId)!,
    ).name;
    await expect(
      deliverOutboxItem(deps, { referralId: id, event: 're-announce-1', queueName }),
    ).rejects.toThrow('ThrottlingException');
    await deliverOutboxItem(deps, { referralId: id, event: 're-announce-1', queueName });
    const messages = (await p.drain(officeId)).filter((m) => m.envelope.referralId === id);
    expect(messages.map((m) => m.envelope.type)).toEqual(['referral.re-announcement']);
  });
});
