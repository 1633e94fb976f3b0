import { describe, expect, it } from 'vitest';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { withdrawConsent } from '#shared/api/consents.ts';
import { confirmErasure, getErasureStatus, requestErasure } from '#shared/api/erasure.ts';
import { getReferral } from '#shared/api/referrals.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, BRUCHSAL, CANARY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

/**
 * Erasure after receipt end to end (GDPR Arts. 17, 19; docs/consent.md, "Erasure after
 * receipt"): over DynamoDB Local, the SQS emulator and the relay on the real stream.
 */
const p = useReferralPlatform();
const DAY = 86_400_000;
const DPO = 'dpo:lk-karlsruhe';
const { receipt, report } = p;

const view = (id: string, principal = AUTHORITY) =>
  invoke(p.handler('referrals'), apiEvent(getReferral, { principal, stage: p.emu.stage, params: { id } }));
const withdraw = (consentId: string, principal = AUTHORITY) =>
  invoke(
    p.handler('consents'),
    apiEvent(withdrawConsent, {
      principal,
      stage: p.emu.stage,
      params: { id: consentId },
      body: { reason: 'subject-request' },
    }),
  );
const ask = (consentId: string, principal: string, body: unknown, idempotencyKey?: string) =>
  invoke(
    p.handler('consents'),
    apiEvent(requestErasure, {
      principal,
      stage: p.emu.stage,
      params: { id: consentId },
      body,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    }),
  );
const status = (consentId: string, principal = DPO) =>
  invoke(
    p.handler('consents'),
    apiEvent(getErasureStatus, { principal, stage: p.emu.stage, params: { id: consentId } }),
  );
const confirm = (referralId: string, officeId: string) =>
  invoke(
    p.handler('service'),
    apiEvent(confirmErasure, {
      principal: `service:${officeId}`,
      stage: p.emu.stage,
      params: { id: referralId },
    }),
  );
const repository = () =>
  new DynamoReferralRepository(
    { recordsTable: p.records(), auditTable: p.audit() },
    (officeId) => officeQueue(p.emu.stage, p.directory.serviceOffices.find((x) => x.id === officeId)!).name,
    (authorityId) => authorityQueue(p.emu.stage, { id: authorityId }).name,
  );

/** A fresh person's referral, delivered and received by its office (its queue drained). */
async function receivedReferral(dateOfBirth: string) {
  const person = p.newPerson(dateOfBirth);
  const consentId = await p.consentFor(person);
  const body = p.referralBody(consentId, person);
  const res = await p.submit(body);
  expect(res.status).toBe(202);
  const referralId = res.body.referralId as string;
  const officeId = res.body.serviceOffice.id as string;
  await until(async () => ((await view(referralId)).body.status === 'queued' ? true : undefined));
  expect((await receipt(referralId, officeId)).status).toBe(200);
  await p.drain(officeId);
  return { person, consentId, body, referralId, officeId };
}

/** Declines the received referral with forwarding to the other MBE office, which receives it too. */
async function forwarded(r: Awaited<ReturnType<typeof receivedReferral>>) {
  const target = p.directory.serviceOffices.find(
    (o) => o.type === 'MBE' && o.id !== r.officeId && o.municipalities.includes(BRUCHSAL),
  )!.id;
  const res = await report(r.referralId, r.officeId, {
    status: 'declined',
    reason: 'not-responsible',
    forwardTo: target,
    person: r.body.person,
    note: r.body.note,
  });
  expect(res.status).toBe(200);
  const referralId = res.body.forwardedTo.referralId as string;
  await until(async () => ((await view(referralId)).body.status === 'queued' ? true : undefined));
  expect((await receipt(referralId, target)).status).toBe(200);
  await p.drain(target);
  return { referralId, officeId: target };
}

/** The erasure requests that reached an office's queue for a referral (waits for the first). */
async function erasureMessages(officeId: string, referralId: string) {
  return until(async () => {
    const got = (await p.drain(officeId)).filter(
      (m) => m.envelope.referralId === referralId && m.envelope.type === 'referral.erasure-request',
    );
    return got.length > 0 ? got : undefined;
  });
}

async function auditOf(referralId: string) {
  return (await p.scan(p.audit()))
    .map((i) => i.entry as Record<string, unknown> | undefined)
    .filter((e): e is Record<string, unknown> => e?.referralId === referralId);
}

function expectNoPersonalData(text: string) {
  for (const canary of Object.values(CANARY)) expect(text).not.toContain(canary);
}

describe('a withdrawal after receipt', () => {
  it('reaches the office and the forwarded office, reminds after the deadline, and shows each confirmation', async () => {
    const first = await receivedReferral('1983-02-11');
    const second = await forwarded(first);
    const before = (await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${second.referralId}`)!;
    expect(before.ciphertext).toEqual(expect.any(String));

    expect((await withdraw(first.consentId)).status).toBe(200);

    // Each office that received the data gets the request on its queue: ids and times only.
    for (const r of [first, second]) {
      const [message] = await erasureMessages(r.officeId, r.referralId);
      expect(Object.keys(message!.envelope).sort()).toEqual([
        'createdAt',
        'referralId',
        'schemaVersion',
        'serviceOfficeId',
        'type',
      ]);
      expect(message!.envelope).toMatchObject({ serviceOfficeId: r.officeId, schemaVersion: 1 });
      expectNoPersonalData(JSON.stringify(message!.envelope));
    }
    // The platform's ciphertexts are gone at once, not at their deadline.
    const items = await p.scan(p.records());
    for (const r of [first, second]) {
      const item = items.find((i) => i.pk === `REFERRAL#${r.referralId}`)!;
      expect(item.ciphertext).toBeUndefined();
      expect(item.erasure).toMatchObject({ reason: 'consent-withdrawn', reminders: 0 });
    }
    expectNoPersonalData(JSON.stringify(items.map(({ ciphertext: _c, ...rest }) => rest)));

    // The DPO and the authority see both recipients, neither confirmed.
    const asked = await status(first.consentId);
    expect(asked.status).toBe(200);
    const recipientOf = (id: string) =>
      asked.body.recipients.find((r: { referralId: string }) => r.referralId === id);
    expect(asked.body.recipients).toHaveLength(2);
    for (const r of [first, second])
      expect(recipientOf(r.referralId)).toMatchObject({ serviceOffice: { id: r.officeId } });
    expect(asked.body.recipients.every((r: { erasure: object }) => !('confirmedAt' in r.erasure))).toBe(true);
    expect((await status(first.consentId, AUTHORITY)).body.recipients).toHaveLength(2);
    // The Caritas DPO sees only the recipient among the Caritas offices (the two MBE offices
    // of Bruchsal belong to two providers); another authority's DPO sees no such consent.
    const caritas = [first, second].filter((r) => r.officeId === 'mbe-caritas-bruchsal');
    const scoped = await status(first.consentId, 'dpo:caritas-bruchsal');
    expect(scoped.status).toBe(200);
    expect(scoped.body.recipients.map((r: { referralId: string }) => r.referralId)).toEqual(
      caritas.map((r) => r.referralId),
    );
    expect(caritas).toHaveLength(1);
    expect((await status(first.consentId, 'dpo:abh-bruchsal')).status).toBe(404);
    expect((await view(first.referralId)).body.due).toMatchObject({ kind: 'erasure-reminder' });

    // After the deadline (day 3) the office is reminded: another message, another audit entry.
    const requestedAt = new Date(recipientOf(first.referralId).erasure.requestedAt);
    const clock = new FixedClock(new Date(requestedAt.getTime() + 2 * DAY));
    await runDeadlines({ referrals: repository(), clock });
    expect((await auditOf(first.referralId)).map((e) => e.event)).not.toContain('referral.erasure-reminded');
    clock.set(new Date(requestedAt.getTime() + 3 * DAY + 60_000));
    await runDeadlines({ referrals: repository(), clock });
    const [reminder] = await erasureMessages(first.officeId, first.referralId);
    expectNoPersonalData(JSON.stringify(reminder!.envelope));
    const reminded = (await auditOf(first.referralId)).filter((e) => e.event === 'referral.erasure-reminded');
    expect(reminded).toHaveLength(1);
    expect(reminded[0]).toMatchObject({ actor: 'system:deadlines', serviceOfficeId: first.officeId });

    // The offices confirm; again changes nothing; the status shows each confirmation.
    const confirmed = await confirm(first.referralId, first.officeId);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.erasure.confirmedAt).toEqual(expect.any(String));
    expect(confirmed.body.due).toBeUndefined();
    const again = await confirm(first.referralId, first.officeId);
    expect(again.status).toBe(200);
    expect(again.body.erasure.confirmedAt).toBe(confirmed.body.erasure.confirmedAt);
    const half = await status(first.consentId);
    const confirmedIds = (body: {
      recipients: { referralId: string; erasure: { confirmedAt?: string } }[];
    }) => body.recipients.filter((r) => r.erasure.confirmedAt !== undefined).map((r) => r.referralId);
    expect(confirmedIds(half.body)).toEqual([first.referralId]);
    expect((await confirm(second.referralId, second.officeId)).status).toBe(200);
    const all = await status(first.consentId);
    expect(
      all.body.recipients.every(
        (r: { erasure: { confirmedAt?: string } }) => r.erasure.confirmedAt !== undefined,
      ),
    ).toBe(true);

    // No reminder once confirmed, however late.
    clock.set(new Date(requestedAt.getTime() + 60 * DAY));
    await runDeadlines({ referrals: repository(), clock });
    expect(
      (await auditOf(first.referralId)).filter((e) => e.event === 'referral.erasure-reminded'),
    ).toHaveLength(1);

    // Every step in the log, once: to whom it was communicated and when each confirmed (Art. 19).
    for (const r of [first, second]) {
      const events = (await auditOf(r.referralId)).map((e) => e.event);
      expect(events.filter((e) => e === 'referral.erasure-requested')).toHaveLength(1);
      expect(events.filter((e) => e === 'referral.erasure-confirmed')).toHaveLength(1);
    }
    expect(JSON.stringify(await p.scan(p.audit()))).not.toContain(CANARY.familyName);
  });
});

describe('an explicit erasure request', () => {
  it('by an authority asks the office, and a retry with the same Idempotency-Key answers the same', async () => {
    const r = await receivedReferral('1984-03-12');
    const res = await ask(r.consentId, AUTHORITY, { reason: 'person-request' }, 'erase-authority-1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ consentId: r.consentId, revoked: 0 });
    expect(res.body.recipients).toHaveLength(1);
    expect(res.body.recipients[0]).toMatchObject({
      referralId: r.referralId,
      serviceOffice: { id: r.officeId },
      erasure: { reason: 'erasure-requested', reminders: 0 },
    });
    await erasureMessages(r.officeId, r.referralId);

    // The same key and body: the first answer, nothing recorded again.
    expect((await confirm(r.referralId, r.officeId)).status).toBe(200);
    const retry = await ask(r.consentId, AUTHORITY, { reason: 'person-request' }, 'erase-authority-1');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(res.body);
    // The same key, another body: the existing problem, naming the header.
    const reused = await ask(r.consentId, AUTHORITY, { reason: 'objection' }, 'erase-authority-1');
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toBe('application/problem+json');
    expect(reused.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    expect(reused.body.type).toMatch(/idempotency-key-reused$/);
    const recorded = (await p.scan(p.audit()))
      .map((i) => i.entry as Record<string, unknown> | undefined)
      .filter(
        (e) =>
          e?.event === 'erasure.requested' &&
          (e.legalBasis as { consentId?: string } | undefined)?.consentId === r.consentId,
      );
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ actor: AUTHORITY, reason: 'person-request' });
  });

  it('by the DPO revokes what was not received and asks who received it; a scoped DPO sees its part', async () => {
    const r = await receivedReferral('1985-04-13');
    const res = await ask(r.consentId, DPO, {}, 'erase-dpo-1');
    expect(res.status).toBe(200);
    expect(res.body.recipients.map((x: { referralId: string }) => x.referralId)).toEqual([r.referralId]);
    await erasureMessages(r.officeId, r.referralId);
    expect((await view(r.referralId)).body.erasure).toMatchObject({ reason: 'erasure-requested' });

    // Another authority's DPO: to it, there is no such consent.
    expect((await status(r.consentId, 'dpo:abh-bruchsal')).status).toBe(404);
    expect((await ask(r.consentId, 'dpo:abh-bruchsal', {}, 'erase-dpo-3')).status).toBe(404);

    // Before receipt: an erasure request revokes the referral, nobody is asked.
    const person = p.newPerson('1986-05-14');
    const consentId = await p.consentFor(person);
    const sent = await p.submit(p.referralBody(consentId, person));
    expect(sent.status).toBe(202);
    const unread = await ask(consentId, DPO, { reason: 'unlawful' }, 'erase-dpo-2');
    expect(unread.body).toMatchObject({ recipients: [], revoked: 1 });
    expect((await view(sent.body.referralId)).body.status).toBe('revoked');
  });
});

describe('bad input', () => {
  it('is refused as problem+json naming the field, and nothing is written', async () => {
    const r = await receivedReferral('1987-06-15');
    const before = (await p.scan(p.audit())).length;
    const cases: [string, unknown, string | undefined, string][] = [
      [r.consentId, { reason: 'because' }, 'erase-bad-1', 'reason'],
      [r.consentId, { reason: 'person-request', name: CANARY.familyName }, 'erase-bad-2', 'name'],
      [r.consentId, {}, undefined, 'Idempotency-Key'],
      [r.consentId, {}, 'short', 'Idempotency-Key'],
      ['not a consent', {}, 'erase-bad-3', 'path.id'],
    ];
    for (const [consentId, body, key, field] of cases) {
      const res = await ask(consentId, AUTHORITY, body, key);
      expect(res.status, field).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(JSON.stringify(res.body)).not.toContain(CANARY.familyName);
    }
    // An office may neither request nor follow; an unknown consent is 404.
    expect((await ask(r.consentId, `service:${r.officeId}`, {}, 'erase-bad-4')).status).toBe(403);
    expect((await status(r.consentId, `service:${r.officeId}`)).status).toBe(403);
    expect((await ask('con_0000zzzz', AUTHORITY, {}, 'erase-bad-5')).status).toBe(404);
    // Confirming what nobody asked: 409 no-erasure-request; another office's referral: 404.
    const unasked = await confirm(r.referralId, r.officeId);
    expect(unasked.status).toBe(409);
    expect(unasked.body.reason).toBe('no-erasure-request');
    const other = p.directory.serviceOffices.find((o) => o.id !== r.officeId)!.id;
    expect((await confirm(r.referralId, other)).status).toBe(404);

    expect((await p.scan(p.audit())).length).toBe(before);
    const item = (await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${r.referralId}`)!;
    expect(item.erasure).toBeUndefined();
    expect(item.ciphertext).toEqual(expect.any(String));
  });
});
