/**
 * Retention of every item kind of the records table against DynamoDB Local, with an
 * injected clock: the local TTL sweeper (local/ttl-sweeper.ts, the stand-in for DynamoDB
 * TTL) deletes what has expired by that clock. After each period exactly the items of
 * that kind are gone, nothing else is, and what remains still works — a closed
 * referral's history is readable until its own expiry. The deployment's retention is
 * configured (`REX_RETENTION`, as the stack sets it from `deployment.retention`), so the
 * periods are the configured ones, not the defaults. The audit log's retention by epoch
 * is tested in audit-retention.test.ts (it verifies after the sweeper removed an epoch).
 */
import { describe, expect, it } from 'vitest';
import { sweepExpired } from '#local/ttl-sweeper.ts';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { DynamoOfficeStateRetention, saveKeySet } from '#shared/adapters/office-keys-store.ts';
import { withdrawConsent } from '#shared/api/consents.ts';
import { confirmErasure } from '#shared/api/erasure.ts';
import { getReferral } from '#shared/api/referrals.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { runRetention } from '#shared/application/retention.ts';
import { auditDraft } from '#shared/domain/audit/entry.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { emptyKeySet, publishKeys } from '#shared/domain/crypto/key-set.ts';
import { generateRecipientKeyPair } from '#shared/domain/crypto/keygen.ts';
import { consentExpiry, retentionFromEnvironment } from '#shared/domain/retention.ts';
import { authorityQueue, officeQueue, recordsTable } from '#shared/resources.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

// The deployment's retention, read by the handlers when they first run.
const CONFIGURED = {
  idempotencyHours: 2,
  outboxDays: 5,
  referralDaysAfterEnd: 10,
  officeStateDaysAfterRemoval: 3,
};
process.env.REX_RETENTION = JSON.stringify(CONFIGURED);

const p = useReferralPlatform();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Item = Record<string, unknown>;
const keyOf = (i: Item) => `${i.pk}|${i.sk}`;
const items = async () => (await p.scan(p.records())).sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
const keys = async () => (await items()).map(keyOf);
const sweepAt = (at: number) =>
  sweepExpired(p.emu.dynamodb, recordsTable, p.records(), new FixedClock(new Date(at)));
const seconds = (at: number) => Math.floor(at / 1000);

const view = (id: string) =>
  invoke(
    p.handler('referrals'),
    apiEvent(getReferral, { principal: AUTHORITY, stage: p.emu.stage, params: { id } }),
  );
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
const repository = () =>
  new DynamoReferralRepository(
    { recordsTable: p.records(), auditTable: p.audit() },
    (officeId) => officeQueue(p.emu.stage, p.directory.serviceOffices.find((o) => o.id === officeId)!).name,
    (authorityId) => authorityQueue(p.emu.stage, { id: authorityId }).name,
    retentionFromEnvironment(),
  );

/** A referral received, contacted and closed; returns once only the office mails wait in the outbox. */
async function closedReferral(dateOfBirth: string) {
  const r = await p.referral(dateOfBirth);
  await until(async () => ((await view(r.referralId)).body.status === 'queued' ? true : undefined));
  expect((await p.receipt(r.referralId, r.officeId)).status).toBe(200);
  expect((await p.report(r.referralId, r.officeId, { status: 'contacted' })).status).toBe(200);
  expect(
    (await p.report(r.referralId, r.officeId, { status: 'closed', reason: 'counselling-completed' })).status,
  ).toBe(200);
  await until(async () =>
    (await items()).some((i) => String(i.pk).startsWith('OUTBOX#') && !String(i.sk).startsWith('mail-'))
      ? undefined
      : true,
  );
  const history: { status: string; at: string }[] = (await view(r.referralId)).body.history;
  const receivedAt = Date.parse(history.find((h) => h.status === 'received')!.at);
  return { ...r, receivedAt };
}

describe('retention of the records table (injected clock, local TTL sweeper)', () => {
  it('removes each kind after its configured period and nothing else; a closed referral reads until its own expiry', async () => {
    const t0 = Date.now();
    const { referralId: id, consentId, receivedAt } = await closedReferral('1966-06-16');
    const done = Date.now();

    const start = await items();
    const ofKind = (prefix: string, list = start) => list.filter((i) => String(i.pk).startsWith(prefix));
    const consent = ofKind('CONSENT#').find((i) => i.pk === `CONSENT#${consentId}`)!;
    const referral = ofKind('REFERRAL#').find((i) => i.pk === `REFERRAL#${id}`)!;
    const idempotency = ofKind('IDEMPOTENCY#');
    const outbox = ofKind('OUTBOX#');
    // In force: no expiry. Closed, but its ciphertext's deletion is still due: no expiry yet.
    expect(consent.expiresAt).toBeUndefined();
    expect(referral).toMatchObject({ status: 'closed' });
    expect(referral.expiresAt).toBeUndefined();
    expect(ofKind('SUBJECT#')).toEqual([]);
    // The consent's and the referral's creating requests; the office's mail(s), never sent here.
    expect(idempotency).toHaveLength(2);
    for (const i of idempotency) {
      expect(i.expiresAt as number).toBeGreaterThanOrEqual(seconds(t0) + 2 * 3600);
      expect(i.expiresAt as number).toBeLessThanOrEqual(seconds(done) + 2 * 3600);
    }
    expect(outbox.length).toBeGreaterThan(0);
    for (const i of outbox) {
      expect(String(i.sk)).toMatch(/^mail-/);
      expect(i.expiresAt).toBe(seconds(Date.parse(String(i.createdAt))) + 5 * 86_400);
    }
    const before = start.map(keyOf);

    // Before the shortest period nothing goes.
    expect(await sweepAt(t0 + HOUR)).toBe(0);
    expect(await keys()).toEqual(before);

    // After 2 hours: the idempotency records, and only they.
    expect(await sweepAt(done + 2 * HOUR + 1000)).toBe(2);
    const afterIdempotency = before.filter((k) => !k.startsWith('IDEMPOTENCY#'));
    expect(await keys()).toEqual(afterIdempotency);

    // After 5 days: the undelivered outbox items, and only they.
    expect(await sweepAt(t0 + 4 * DAY)).toBe(0);
    expect(await sweepAt(done + 5 * DAY + 1000)).toBe(outbox.length);
    const afterOutbox = afterIdempotency.filter((k) => !k.startsWith('OUTBOX#'));
    expect(await keys()).toEqual(afterOutbox);

    // Day 7 after receipt the deadline job deletes the ciphertext; nothing is due any more,
    // so the referral's metadata now expires 10 days after that change.
    const deletedAt = receivedAt + 7 * DAY + 1000;
    const run = await runDeadlines({ referrals: repository(), clock: new FixedClock(new Date(deletedAt)) });
    expect(run.ciphertextsDeleted).toBe(1);
    const ended = (await items()).find((i) => i.pk === `REFERRAL#${id}`)!;
    expect(ended.ciphertext).toBeUndefined();
    expect(ended.expiresAt).toBe(seconds(deletedAt) + 10 * 86_400);

    // Until its expiry the closed referral and its history are there to read.
    expect(await sweepAt(deletedAt + 10 * DAY - 60_000)).toBe(0);
    const readable = await view(id);
    expect(readable.status).toBe(200);
    expect(readable.body.history.map((h: { status: string }) => h.status)).toEqual([
      'accepted',
      'queued',
      'received',
      'contacted',
      'closed',
    ]);
    expect(await sweepAt(deletedAt + 10 * DAY + 1000)).toBe(1);
    const afterReferral = afterOutbox.filter((k) => k !== `REFERRAL#${id}|REFERRAL`);
    expect(await keys()).toEqual(afterReferral);
    expect((await view(id)).status).toBe(404);

    // The consent, still in force, stays however late; withdrawn, its evidence stays as
    // long as the log entries of its transfers: to the end of the following year.
    expect(await sweepAt(t0 + 3 * 365 * DAY)).toBe(0);
    expect((await withdraw(consentId)).status).toBe(200);
    const withdrawn = (await items()).find((i) => i.pk === `CONSENT#${consentId}`)!;
    const expected = consentExpiry(
      { withdrawnAt: String(withdrawn.withdrawnAt) },
      retentionFromEnvironment(),
    );
    expect(withdrawn.expiresAt).toBe(expected);
    expect(expected).toBe(
      Math.floor(
        Date.UTC(new Date(Date.parse(String(withdrawn.withdrawnAt)) + DAY).getUTCFullYear() + 2, 0, 1) / 1000,
      ) - 1,
    );
    expect(await sweepAt((expected! - 1) * 1000)).toBe(0);
    expect(await sweepAt(expected! * 1000)).toBe(1);
    // What is left: the office states of the directory's offices, which expire only once an office leaves it.
    expect(await keys()).toEqual(afterReferral.filter((k) => k !== `CONSENT#${consentId}|CONSENT`));
    expect((await keys()).every((k) => k.startsWith('OFFICE#'))).toBe(true);
  });

  it('keeps a referral whose erasure the office has not confirmed, and lets it expire after the confirmation', async () => {
    const { referralId: id, consentId, officeId } = await closedReferral('1967-07-17');
    expect((await withdraw(consentId)).status).toBe(200);
    // The relay asks the office that received it to erase it; the ciphertext goes at once.
    const asked = await until(async () => {
      const item = (await items()).find((i) => i.pk === `REFERRAL#${id}`);
      return item?.erasure ? item : undefined;
    });
    expect(asked.ciphertext).toBeUndefined();
    expect(asked.expiresAt).toBeUndefined();
    // Reminded, not deleted, however long it stays unconfirmed.
    await sweepAt(Date.now() + 200 * DAY);
    expect((await view(id)).status).toBe(200);

    const confirmedBefore = Date.now();
    const confirmed = await invoke(
      p.handler('service'),
      apiEvent(confirmErasure, { principal: `service:${officeId}`, stage: p.emu.stage, params: { id } }),
    );
    expect(confirmed.status).toBe(200);
    const item = (await items()).find((i) => i.pk === `REFERRAL#${id}`)!;
    expect(item.expiresAt as number).toBeGreaterThanOrEqual(seconds(confirmedBefore) + 10 * 86_400);
    expect(item.expiresAt as number).toBeLessThanOrEqual(seconds(Date.now()) + 10 * 86_400);
    expect(await sweepAt((item.expiresAt as number) * 1000 - 1000)).toBe(0);
    expect(await sweepAt((item.expiresAt as number) * 1000)).toBe(1);
    expect((await view(id)).status).toBe(404);
  });

  it('gives a consent limited in time its expiry when it is recorded, from the end of its validity', async () => {
    const validUntil = new Date(Date.now() + 400 * DAY).toISOString();
    const consentId = await p.consentFor(p.newPerson('1968-08-18'), { validUntil });
    const item = (await items()).find((i) => i.pk === `CONSENT#${consentId}`)!;
    const expected = consentExpiry({ validUntil }, retentionFromEnvironment())!;
    expect(item.expiresAt).toBe(expected);
    expect(new Date(expected * 1000).getUTCFullYear()).toBe(
      new Date(Date.parse(validUntil) + DAY).getUTCFullYear() + 1,
    );
    await sweepAt((expected - 1) * 1000);
    expect((await items()).some((i) => i.pk === `CONSENT#${consentId}`)).toBe(true);
    await sweepAt(expected * 1000);
    expect((await items()).some((i) => i.pk === `CONSENT#${consentId}`)).toBe(false);
  });

  it('lets the state of an office that left the directory expire, and keeps that of one that is back', async () => {
    const offices = new DynamoOfficeStateRetention(p.records());
    const tables = { recordsTable: p.records(), auditTable: p.audit() };
    // Two offices publish keys through the real writer (which lists their state in gsi1).
    const publish = async (officeId: string) => {
      const pair = await generateRecipientKeyPair({ alg: 'ECDH-ES+A256KW' });
      const now = new Date();
      const draft = auditDraft({
        entryId: `keys-${officeId}`,
        time: now.toISOString(),
        event: 'keys.published',
        actor: `service:${officeId}`,
        serviceOfficeId: officeId,
      });
      await saveKeySet(
        tables,
        officeId,
        publishKeys(emptyKeySet, { keys: [pair.publicJwk] }, now),
        0,
        draft,
        now,
      );
    };
    await publish('mbe-closed-down');
    await publish('mbe-back-again');
    const listed = new Set(p.directory.serviceOffices.map((o) => o.id));
    const clock = new FixedClock(new Date(Date.now() + DAY));
    const deps = (ids: Set<string>) => ({
      offices,
      directoryOfficeIds: ids,
      clock,
      retention: retentionFromEnvironment(),
    });

    // Both are gone from the directory: marked to expire 3 days after this run.
    expect(await runRetention(deps(listed))).toEqual({ officeStatesMarked: 2, officeStatesKept: 0 });
    const marked = (await items()).filter((i) =>
      ['OFFICE#mbe-closed-down', 'OFFICE#mbe-back-again'].includes(String(i.pk)),
    );
    expect(marked.map((i) => i.expiresAt)).toEqual([
      seconds(clock.now().getTime()) + 3 * 86_400,
      seconds(clock.now().getTime()) + 3 * 86_400,
    ]);
    // A later run does not move the expiry.
    clock.advance(DAY);
    expect(await runRetention(deps(listed))).toEqual({ officeStatesMarked: 0, officeStatesKept: 0 });
    // One comes back into the directory: kept.
    expect(await runRetention(deps(new Set([...listed, 'mbe-back-again'])))).toEqual({
      officeStatesMarked: 0,
      officeStatesKept: 1,
    });

    const before = await keys();
    expect(await sweepAt((marked[0]!.expiresAt as number) * 1000 - 1000)).toBe(0);
    expect(await sweepAt((marked[0]!.expiresAt as number) * 1000)).toBe(1);
    expect(await keys()).toEqual(before.filter((k) => k !== 'OFFICE#mbe-closed-down|STATE'));
    const back = (await items()).find((i) => i.pk === 'OFFICE#mbe-back-again')!;
    expect(back.expiresAt).toBeUndefined();
    expect(back.keySet).toBeDefined();
  });
});
