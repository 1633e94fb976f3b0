import { describe, expect, it } from 'vitest';
import { loadDirectory } from '#shared/adapters/directory-file.ts';
import { formatMail } from '#shared/adapters/mail-format.ts';
import {
  deliverNotification,
  type MailMessage,
  type NotificationDependencies,
  notificationMail,
} from '#shared/application/notifier.ts';
import {
  createReferral,
  deadlineChange,
  passedDeadline,
  transition,
} from '#shared/domain/referral/change.ts';
import { confirmErasure, erasureReminder, requestErasure } from '#shared/domain/referral/erasure.ts';
import type { OfficeNotification } from '#shared/domain/referral/notification.ts';
import type { ReferralRecord } from '#shared/domain/referral/referral.ts';
import { CANARY } from '#test/support/sample-requests.ts';

/** The mail an office's contact address gets: its words, and that nothing of the person reaches it. */

const DAY = 86_400_000;
const at = new Date('2026-03-02T12:00:00.000Z');
const later = (days: number) => new Date(at.getTime() + days * DAY);
const directory = loadDirectory('config/directory.example.json');
const office = directory.serviceOffices[0]!;
const REFERRAL_ID = `ref_${'0'.repeat(10)}${'d'.repeat(16)}`;
const settings = {
  from: 'zuweisungen@lk-karlsruhe.example.org',
  officePageUrl: 'https://rex.example.org/prod/office',
  timeZone: 'Europe/Berlin',
};

/** A referral whose every field carries a canary value, as far as its schema lets it. */
const canaryReferral = createReferral(
  {
    referralId: REFERRAL_ID,
    subjectId: `sub_${'e'.repeat(64)}`,
    consentId: `con_${CANARY.familyName}`,
    authorityId: directory.authorities[0]!.id,
    serviceOfficeId: office.id,
    serviceType: office.type,
    providerId: office.providerId,
    purpose: 'migration-counselling',
    dataCategories: ['identity', 'address', 'contact'],
    caseReference: `ABH-${CANARY.familyName}-${CANARY.givenNames}`,
    ciphertext: `eyJ${CANARY.familyName}.${CANARY.givenNames}.${CANARY.phone}.${CANARY.street}`,
    kid: `kid-${CANARY.givenNames}`,
  },
  `authority:${directory.authorities[0]!.id}`,
  at,
).referral;
const arrival = transition(canaryReferral, 'queued', 'system:outbox-relay', later(0.01));
const reminder = deadlineChange(
  arrival.to,
  passedDeadline(arrival.to, later(3))!,
  'system:deadlines',
  later(3),
);

const receivedReferral = transition(arrival.to, 'received', `service:${office.id}`, later(0.02)).to;
const erasureAsked = requestErasure(
  receivedReferral,
  'authority:abh-lk-karlsruhe',
  later(1),
  'consent-withdrawn',
)!;
const erasureReminded = erasureReminder(erasureAsked.to, 'system:deadlines', later(4));

const mailOf = (n: OfficeNotification | undefined) => notificationMail(n!, office.contact.email, settings);

describe('the notification mail', () => {
  it('says in German first, English below, that a new referral waits, with the link and the referral id', () => {
    const mail = mailOf(arrival.officeNotification);
    expect(mail.subject).toBe('Eine neue Zuweisung wartet / A new referral is waiting');
    const german = mail.text.indexOf('neue Zuweisung eingegangen');
    const english = mail.text.indexOf('a new referral has arrived');
    expect(german).toBeGreaterThan(0);
    expect(english).toBeGreaterThan(mail.text.indexOf('-- English --'));
    expect(mail.text.indexOf('-- English --')).toBeGreaterThan(german);
    expect(mail.text.split(settings.officePageUrl)).toHaveLength(3);
    expect(mail.text).toContain(`Zuweisung: ${REFERRAL_ID}`);
    expect(mail.text).toContain(`Referral: ${REFERRAL_ID}`);
    expect(mail).toMatchObject({ from: settings.from, to: office.contact.email, serviceOfficeId: office.id });
    expect(mail.id).toBe(arrival.officeNotification!.notificationId);
  });

  it('reminds of an unread referral with its number and the day it expires, in German and English dates', () => {
    const mail = mailOf(reminder.officeNotification);
    expect(mail.subject).toBe(
      'Erinnerung: Eine Zuweisung wartet noch / Reminder: a referral is still waiting',
    );
    expect(mail.text).toContain('(1. Erinnerung)');
    expect(mail.text).toContain('verfällt sie am 16.03.2026');
    expect(mail.text).toContain('(reminder 1)');
    expect(mail.text).toContain('expires on 16 March 2026');
  });

  it('asks the office to erase a referral it received and confirm, and reminds it, in German and English', () => {
    const asked = mailOf(erasureAsked.officeNotification);
    expect(erasureAsked.officeNotification).toMatchObject({
      kind: 'erasure-request',
      referralId: REFERRAL_ID,
    });
    expect(asked.subject).toBe('Bitte Daten löschen und bestätigen / Please erase the data and confirm');
    expect(asked.text).toContain('ihre Einwilligung widerrufen oder die Löschung ihrer Daten verlangt');
    expect(asked.text).toContain('unter „Löschersuchen“');
    expect(asked.text.indexOf('-- English --')).toBeGreaterThan(asked.text.indexOf('Löschersuchen'));
    expect(asked.text).toContain('confirm the erasure under "Erasure requests"');
    expect(asked.text).toContain(`Zuweisung: ${REFERRAL_ID}`);
    expect(asked.text.split(settings.officePageUrl)).toHaveLength(3);
    const reminded = mailOf(erasureReminded.officeNotification);
    expect(reminded.subject).toBe(
      'Erinnerung: Bitte Löschung bestätigen / Reminder: please confirm the erasure',
    );
    expect(reminded.text).toContain('noch nicht bestätigt (1. Erinnerung)');
    expect(reminded.text).toContain('(reminder 1)');
    expect(reminded.id).not.toBe(asked.id);
  });

  it('carries nothing of the referral but its id: canary values never reach the message', () => {
    for (const n of [
      arrival.officeNotification,
      reminder.officeNotification,
      erasureAsked.officeNotification,
      erasureReminded.officeNotification,
    ]) {
      const raw = formatMail(mailOf(n), later(3));
      // Everything but the To header (the office's own address).
      const withoutTo = raw
        .split('\r\n')
        .filter((l) => !l.startsWith('To:'))
        .join('\n');
      for (const canary of Object.values(CANARY)) expect(withoutTo).not.toContain(canary);
      for (const value of [
        canaryReferral.caseReference,
        canaryReferral.subjectId,
        canaryReferral.consentId,
        canaryReferral.ciphertext!,
        canaryReferral.kid!,
        canaryReferral.authorityId,
        office.name,
        office.contact.phone!,
        office.contact.address!,
        ...directory.municipalities.flatMap((m) => [m.name, m.ags]),
        ...canaryReferral.dataCategories,
      ]) {
        expect(withoutTo.toLowerCase(), value).not.toContain(value.toLowerCase());
      }
    }
  });
});

/** A repository of one referral and its outbox items, and a notifier that records or fails. */
function fixture(referral: ReferralRecord | undefined, options: { failSends?: number; off?: boolean } = {}) {
  const sent: MailMessage[] = [];
  const outbox = new Set(['mail-2']);
  let failures = options.failSends ?? 0;
  const deps: NotificationDependencies = {
    referrals: {
      get: async () => referral,
      outboxPending: async (_id, event) => outbox.has(event),
      removeOutbox: async (_id, event) => {
        outbox.delete(event);
      },
    },
    ...(options.off
      ? {}
      : {
          notifier: {
            send: async (mail: MailMessage) => {
              if (failures-- > 0) throw new Error('ThrottlingException');
              sent.push(mail);
            },
          },
        }),
    settings,
    contactOf: (id) => directory.serviceOffices.find((o) => o.id === id)?.contact.email,
  };
  const item = { referralId: REFERRAL_ID, event: 'mail-2', notification: arrival.officeNotification! };
  return { deps, sent, outbox, item };
}

describe('sending a notification', () => {
  it('sends one mail to the office contact address and removes the outbox item after the send', async () => {
    const f = fixture(arrival.to);
    expect(await deliverNotification(f.deps, f.item)).toBe('sent');
    expect(f.sent.map((m) => m.to)).toEqual([office.contact.email]);
    expect(f.outbox.size).toBe(0);
  });

  it('sends nothing again for a retried record whose item is gone', async () => {
    const f = fixture(arrival.to);
    await deliverNotification(f.deps, f.item);
    expect(await deliverNotification(f.deps, f.item)).toBe('already-sent');
    expect(f.sent).toHaveLength(1);
  });

  it('keeps the item when the send fails, so that the retry sends it once', async () => {
    const f = fixture(arrival.to, { failSends: 1 });
    await expect(deliverNotification(f.deps, f.item)).rejects.toThrow('ThrottlingException');
    expect(f.outbox.has('mail-2')).toBe(true);
    expect(await deliverNotification(f.deps, f.item)).toBe('sent');
    expect(f.sent).toHaveLength(1);
  });

  it('mails nobody about a referral opened, revoked or gone meanwhile, and removes the item', async () => {
    const received = transition(arrival.to, 'received', `service:${office.id}`, later(0.02)).to;
    for (const r of [
      received,
      transition(arrival.to, 'revoked', 'system:outbox-relay', later(1)).to,
      undefined,
    ]) {
      const f = fixture(r);
      expect(await deliverNotification(f.deps, f.item)).toBe('not-needed');
      expect(f.sent).toEqual([]);
      expect(f.outbox.size).toBe(0);
    }
  });

  it('mails an erasure request while it is unconfirmed, and nobody once the office confirmed', async () => {
    const asked = fixture(erasureAsked.to);
    const item = { ...asked.item, notification: erasureAsked.officeNotification! };
    expect(await deliverNotification(asked.deps, item)).toBe('sent');
    expect(asked.sent.map((m) => m.subject)).toEqual([
      'Bitte Daten löschen und bestätigen / Please erase the data and confirm',
    ]);
    const confirmed = confirmErasure(erasureAsked.to, `service:${office.id}`, later(2))!.to;
    const late = fixture(confirmed);
    expect(
      await deliverNotification(late.deps, { ...late.item, notification: erasureAsked.officeNotification! }),
    ).toBe('not-needed');
    expect(late.sent).toEqual([]);
  });

  it('sends nothing where the deployment has no notifications, or the office left the directory', async () => {
    const off = fixture(arrival.to, { off: true });
    expect(await deliverNotification(off.deps, off.item)).toBe('off');
    expect(off.outbox.size).toBe(0);
    const gone = fixture(arrival.to);
    const item = {
      ...gone.item,
      notification: { ...gone.item.notification, serviceOfficeId: 'no-such-office' },
    };
    expect(await deliverNotification(gone.deps, item)).toBe('no-address');
    expect(gone.sent).toEqual([]);
  });
});
