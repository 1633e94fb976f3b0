import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMails, type StoredMail, startMailSink } from '#local/mail-sink.ts';
import { type StreamPoller, startStreamPoller } from '#local/stream-poller.ts';
import { sqsCourier } from '#shared/adapters/courier.ts';
import { DynamoReferralRepository } from '#shared/adapters/dynamo-referral-repository.ts';
import { withdrawConsent } from '#shared/api/consents.ts';
import { confirmErasure } from '#shared/api/erasure.ts';
import { getReferral } from '#shared/api/referrals.ts';
import { runDeadlines } from '#shared/application/deadlines.ts';
import { deliverOutboxItem } from '#shared/application/delivery.ts';
import { deliverNotification, type MailMessage } from '#shared/application/notifier.ts';
import { FixedClock } from '#shared/domain/clock.ts';
import { notificationIdOf } from '#shared/domain/referral/notification.ts';
import { authorityQueue, officeQueue } from '#shared/resources.ts';
import { apiEvent, invoke } from '#test/support/api-events.ts';
import { AUTHORITY, CANARY, until, useReferralPlatform } from '#test/support/referral-fixture.ts';

/**
 * The offices' mails against real DynamoDB Local and fauxqs: the relay queues a referral,
 * the office notifier (driven by the real stream poller, as on the local platform) mails
 * the office's contact address into the local mail sink; the deadline job's reminders;
 * retries that must not mail twice.
 */
const p = useReferralPlatform();
const DAY = 86_400_000;
const PAGE = 'http://127.0.0.1:3999/office';
const folder = mkdtempSync(join(tmpdir(), 'rex-mail-it-'));
const sink = startMailSink(folder);
/** Sends that fail before reaching the sink (a test sets it). */
let failNextSends = 0;
let attempts = 0;
let poller: StreamPoller | undefined;

beforeAll(async () => {
  process.env.REX_OFFICE_PAGE_URL = PAGE;
  const composition = await import('#functions/composition.ts');
  composition.useNotifier({
    async send(mail: MailMessage) {
      attempts++;
      if (failNextSends > 0) {
        failNextSends--;
        throw new Error('ThrottlingException (injected)');
      }
      await sink.notifier.send(mail);
    },
  });
  const notifier = (await import('#functions/office-notifications.ts')).handler;
  poller = await startStreamPoller({
    client: { endpoint: p.emu.dynamodbEndpoint },
    tableName: p.records(),
    functionName: 'OfficeNotificationsFunction',
    batchSize: 25,
    pollIntervalMs: 50,
    retryBackoffMs: 50,
    handler: notifier as never,
  });
});
afterAll(async () => {
  await poller?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const view = (id: string) =>
  invoke(
    p.handler('referrals'),
    apiEvent(getReferral, { principal: AUTHORITY, stage: p.emu.stage, params: { id } }),
  );
const queuedOf = (id: string) =>
  until(async () => ((await view(id)).body.status === 'queued' ? true : undefined), `${id} queued`);
const repository = () =>
  new DynamoReferralRepository(
    { recordsTable: p.records(), auditTable: p.audit() },
    (officeId) => officeQueue(p.emu.stage, p.directory.serviceOffices.find((o) => o.id === officeId)!).name,
    (id) => authorityQueue(p.emu.stage, { id }).name,
  );

/** Every mail in the sink, any office, that names the referral. */
const mailsAbout = (referralId: string): StoredMail[] =>
  readMails(folder).filter((m) => m.text.includes(referralId));

/** Waits for `count` mails about the referral, then a little longer: exactly that many. */
async function exactlyMails(referralId: string, count: number): Promise<StoredMail[]> {
  await until(
    async () => (mailsAbout(referralId).length >= count ? true : undefined),
    `${count} mail(s) about ${referralId}`,
  );
  await new Promise((r) => setTimeout(r, 800));
  const mails = mailsAbout(referralId);
  expect(mails.map((m) => `${m.officeId}/${m.file}`)).toHaveLength(count);
  return mails;
}

const outboxItems = async (referralId: string) =>
  (await p.scan(p.records())).filter((i) => i.pk === `OUTBOX#${referralId}`).map((i) => String(i.sk));

describe('a referral that reaches its office', () => {
  it('mails exactly one notification to that office contact address, without personal data', async () => {
    const { referralId, officeId } = await p.referral('1983-05-05');
    await queuedOf(referralId);
    const [mail] = await exactlyMails(referralId, 1);
    const office = p.directory.serviceOffices.find((o) => o.id === officeId)!;
    expect(mail!.officeId).toBe(officeId);
    expect(mail!.file).toBe(`${notificationIdOf(referralId, 2)}.eml`);
    expect(mail!.headers.to).toBe(office.contact.email);
    expect(mail!.headers.from).toBe(p.directory.deployment.notifications!.from);
    expect(mail!.headers.subject).toBe('Eine neue Zuweisung wartet / A new referral is waiting');
    expect(mail!.headers['x-rex-notification-id']).toBe(notificationIdOf(referralId, 2));
    expect(mail!.text).toContain(PAGE);
    // Everything but the To header, which is the office's own address.
    const raw = mail!.raw
      .split('\r\n')
      .filter((l) => !l.startsWith('To:'))
      .join('\n');
    for (const canary of Object.values(CANARY)) expect(raw).not.toContain(canary);
    const referral = (await p.scan(p.records())).find((i) => i.pk === `REFERRAL#${referralId}`)!;
    expect(raw).not.toContain(String(referral.caseReference));
    expect(raw).not.toContain('Bruchsal');
    // Sent: the mail outbox item is gone.
    await until(
      async () => ((await outboxItems(referralId)).length === 0 ? true : undefined),
      'outbox empty',
    );
  });
});

describe('a re-announcement', () => {
  it('mails one reminder per re-announcement, and none when the referral expires', async () => {
    const { referralId, officeId } = await p.referral('1984-06-06');
    await queuedOf(referralId);
    await exactlyMails(referralId, 1);
    const created = new Date((await view(referralId)).body.createdAt);
    const clock = new FixedClock(new Date(created.getTime() + 3 * DAY + 60_000));
    await runDeadlines({ referrals: repository(), clock });
    const afterFirst = await exactlyMails(referralId, 2);
    const reminder = afterFirst.find((m) => m.headers.subject?.startsWith('Erinnerung'))!;
    expect(reminder.officeId).toBe(officeId);
    expect(reminder.text).toContain('(1. Erinnerung)');
    expect(reminder.text).toContain('(reminder 1)');
    // A second run at the same time finds nothing due: no second reminder.
    await runDeadlines({ referrals: repository(), clock });
    await exactlyMails(referralId, 2);
    clock.set(new Date(created.getTime() + 9 * DAY + 60_000));
    await runDeadlines({ referrals: repository(), clock });
    const afterSecond = await exactlyMails(referralId, 3);
    expect(afterSecond.filter((m) => m.text.includes('(2. Erinnerung)'))).toHaveLength(1);
    clock.set(new Date(created.getTime() + 14 * DAY + 60_000));
    await runDeadlines({ referrals: repository(), clock });
    expect((await view(referralId)).body.status).toBe('expired');
    await exactlyMails(referralId, 3);
  });
});

describe('retries', () => {
  it('mail once when the relay delivers the same notify item again after the referral was queued', async () => {
    const { referralId, officeId } = await p.referral('1985-07-07');
    await queuedOf(referralId);
    await exactlyMails(referralId, 1);
    const deps = {
      referrals: repository(),
      courier: sqsCourier,
      clock: new FixedClock(new Date()),
      queueUrlFor: (name: string) => p.emu.queueUrl(name),
    };
    const queueName = officeQueue(
      p.emu.stage,
      p.directory.serviceOffices.find((o) => o.id === officeId)!,
    ).name;
    await deliverOutboxItem(deps, { referralId, event: 'notify', queueName });
    await deliverOutboxItem(deps, { referralId, event: 'notify', queueName });
    await exactlyMails(referralId, 1);
  });

  it('mail once when the stream hands the notifier the same record again after the mail was sent', async () => {
    const { referralId, officeId } = await p.referral('1986-08-08');
    await queuedOf(referralId);
    await exactlyMails(referralId, 1);
    const { notificationDependencies } = await import('#functions/composition.ts');
    const before = attempts;
    const outcome = await deliverNotification(notificationDependencies(), {
      referralId,
      event: 'mail-2',
      notification: {
        kind: 'new-referral',
        schemaVersion: 1,
        notificationId: notificationIdOf(referralId, 2),
        referralId,
        serviceOfficeId: officeId,
        at: new Date().toISOString(),
      },
    });
    expect(outcome).toBe('already-sent');
    expect(attempts).toBe(before);
    await exactlyMails(referralId, 1);
  });

  it('mail once when a send fails and the stream retries it', async () => {
    const before = attempts;
    failNextSends = 2;
    const { referralId } = await p.referral('1987-09-09');
    await queuedOf(referralId);
    await exactlyMails(referralId, 1);
    expect(failNextSends).toBe(0);
    expect(attempts - before).toBe(3);
    await until(
      async () => ((await outboxItems(referralId)).length === 0 ? true : undefined),
      'outbox empty',
    );
  });
});

describe('an erasure request after receipt', () => {
  it('mails the office once to erase and confirm, without personal data, and reminds it until it confirms', async () => {
    const { referralId, officeId, consentId } = await p.referral('1988-10-10');
    await queuedOf(referralId);
    await exactlyMails(referralId, 1);
    expect((await p.receipt(referralId, officeId)).status).toBe(200);
    const withdrawn = await invoke(
      p.handler('consents'),
      apiEvent(withdrawConsent, {
        principal: AUTHORITY,
        stage: p.emu.stage,
        params: { id: consentId },
        body: {},
      }),
    );
    expect(withdrawn.status).toBe(200);
    const mails = await exactlyMails(referralId, 2);
    const asked = mails.find((m) => m.headers.subject?.startsWith('Bitte Daten löschen'))!;
    expect(asked.officeId).toBe(officeId);
    expect(asked.text).toContain('Löschersuchen');
    const raw = asked.raw
      .split('\r\n')
      .filter((l) => !l.startsWith('To:'))
      .join('\n');
    for (const canary of Object.values(CANARY)) expect(raw).not.toContain(canary);
    // Day 3 after the request: a reminder mail; confirmed, nothing more however late.
    const requestedAt = Date.parse((await view(referralId)).body.erasure.requestedAt);
    const clock = new FixedClock(new Date(requestedAt + 3 * DAY + 60_000));
    await runDeadlines({ referrals: repository(), clock });
    const reminded = await exactlyMails(referralId, 3);
    expect(reminded.map((m) => m.headers.subject)).toContain(
      'Erinnerung: Bitte Löschung bestätigen / Reminder: please confirm the erasure',
    );
    const confirmed = await invoke(
      p.handler('service'),
      apiEvent(confirmErasure, {
        principal: `service:${officeId}`,
        stage: p.emu.stage,
        params: { id: referralId },
      }),
    );
    expect(confirmed.status).toBe(200);
    clock.set(new Date(requestedAt + 60 * DAY));
    await runDeadlines({ referrals: repository(), clock });
    await exactlyMails(referralId, 3);
  });
});
