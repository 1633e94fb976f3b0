import { NOT_RECEIVED } from '#shared/domain/referral/lifecycle.ts';
import type { OfficeNotification } from '#shared/domain/referral/notification.ts';
import type { ReferralRepository } from './referral-repository.ts';

/**
 * An e-mail as the platform sends it: plain text, German first and English below, to one
 * office's contact address. Nothing in it is personal data of the referred person
 * (docs/notifications.md).
 */
export interface MailMessage {
  /** The notification id: a header of the mail and its file name in the local mail sink. */
  readonly id: string;
  /** The office the mail is for (the local mail sink's folder); not part of the message. */
  readonly serviceOfficeId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * Sends a mail: Amazon SES in AWS (shared/adapters/ses-notifier.ts), a folder of RFC 5322
 * files on one machine (local/mail-sink.ts). Resolves once the mail is accepted; throws
 * when it was not, so the stream retries it.
 */
export interface Notifier {
  send(mail: MailMessage): Promise<void>;
}

/** What the mails say beyond the notification: who sends them, where the page is, the local calendar. */
export interface MailSettings {
  readonly from: string;
  /** The office inbox page, e.g. `https://…/office`. */
  readonly officePageUrl: string;
  /** IANA time zone for dates in the text (the deployment's). */
  readonly timeZone: string;
}

function formatDay(iso: string, timeZone: string, locale: 'de' | 'en'): string {
  const options: Intl.DateTimeFormatOptions =
    locale === 'de'
      ? { day: '2-digit', month: '2-digit', year: 'numeric', timeZone }
      : { day: 'numeric', month: 'long', year: 'numeric', timeZone };
  return new Intl.DateTimeFormat(locale === 'de' ? 'de-DE' : 'en-GB', options).format(new Date(iso));
}

/**
 * The mail of a notification, built only from the notification (ids, kind, reminder
 * number, expiry day) and the settings: it cannot carry anything of the person because
 * it never sees the referral's data.
 */
export function notificationMail(n: OfficeNotification, to: string, settings: MailSettings): MailMessage {
  if (n.kind === 'erasure-request') return erasureMail(n, to, settings);
  const link = settings.officePageUrl;
  const reminder = n.kind === 'reminder';
  const expires = n.expiresAt;
  const subject = reminder
    ? 'Erinnerung: Eine Zuweisung wartet noch / Reminder: a referral is still waiting'
    : 'Eine neue Zuweisung wartet / A new referral is waiting';
  const german = reminder
    ? [
        `eine Zuweisung an Ihre Beratungsstelle ist noch nicht geöffnet (${n.reminder ?? 1}. Erinnerung).`,
        ...(expires
          ? [`Wird sie nicht geöffnet, verfällt sie am ${formatDay(expires, settings.timeZone, 'de')}.`]
          : []),
        'Sie können sie hier öffnen:',
      ]
    : ['für Ihre Beratungsstelle ist eine neue Zuweisung eingegangen.', 'Sie können sie hier öffnen:'];
  const english = reminder
    ? [
        `a referral to your office has not been opened yet (reminder ${n.reminder ?? 1}).`,
        ...(expires
          ? [`If it is not opened, it expires on ${formatDay(expires, settings.timeZone, 'en')}.`]
          : []),
        'You can open it here:',
      ]
    : ['a new referral has arrived for your office.', 'You can open it here:'];
  const text = [
    'Guten Tag,',
    '',
    ...german,
    '',
    `  ${link}`,
    '',
    'Diese E-Mail enthält keine Angaben zur Person. Die Zuweisung ist verschlüsselt und',
    'nur nach der Anmeldung auf der Seite lesbar.',
    '',
    `Zuweisung: ${n.referralId}`,
    '',
    'Diese Nachricht wurde automatisch versandt; Antworten werden nicht gelesen.',
    '',
    '-- English --',
    '',
    'Hello,',
    '',
    ...english,
    '',
    `  ${link}`,
    '',
    'This e-mail contains nothing about the person. The referral is encrypted and can',
    'only be read after signing in on the page.',
    '',
    `Referral: ${n.referralId}`,
    '',
    'This message was sent automatically; replies are not read.',
    '',
  ].join('\n');
  return { id: n.notificationId, serviceOfficeId: n.serviceOfficeId, from: settings.from, to, subject, text };
}

/** The mail of an erasure request or its reminder: erase your copies, then confirm. Ids only. */
function erasureMail(n: OfficeNotification, to: string, settings: MailSettings): MailMessage {
  const link = settings.officePageUrl;
  const reminder = n.reminder !== undefined;
  const subject = reminder
    ? 'Erinnerung: Bitte Löschung bestätigen / Reminder: please confirm the erasure'
    : 'Bitte Daten löschen und bestätigen / Please erase the data and confirm';
  const text = [
    'Guten Tag,',
    '',
    reminder
      ? `die Löschung einer Zuweisung an Ihre Beratungsstelle ist noch nicht bestätigt (${n.reminder}. Erinnerung).`
      : 'die Person einer Zuweisung an Ihre Beratungsstelle hat ihre Einwilligung widerrufen oder die Löschung ihrer Daten verlangt (Art. 17 DSGVO).',
    'Bitte löschen Sie alles, was Ihre Stelle davon hat (Ausdrucke, Dateien, Notizen, E-Mails),',
    'und bestätigen Sie die Löschung unter „Löschersuchen“:',
    '',
    `  ${link}`,
    '',
    'Diese E-Mail enthält keine Angaben zur Person.',
    '',
    `Zuweisung: ${n.referralId}`,
    '',
    'Diese Nachricht wurde automatisch versandt; Antworten werden nicht gelesen.',
    '',
    '-- English --',
    '',
    'Hello,',
    '',
    reminder
      ? `the erasure of a referral to your office has not been confirmed yet (reminder ${n.reminder}).`
      : 'the person of a referral to your office withdrew their consent or asked for their data to be erased (Art. 17 GDPR).',
    'Please delete everything your office holds of it (printouts, files, notes, e-mails)',
    'and confirm the erasure under "Erasure requests":',
    '',
    `  ${link}`,
    '',
    'This e-mail contains nothing about the person.',
    '',
    `Referral: ${n.referralId}`,
    '',
    'This message was sent automatically; replies are not read.',
    '',
  ].join('\n');
  return { id: n.notificationId, serviceOfficeId: n.serviceOfficeId, from: settings.from, to, subject, text };
}

/** A notification outbox item, as the stream shows it. */
export interface NotificationItem {
  readonly referralId: string;
  /** The outbox item's sort key (`mail-<version>`). */
  readonly event: string;
  readonly notification: OfficeNotification;
}

export interface NotificationDependencies {
  readonly referrals: Pick<ReferralRepository, 'get' | 'outboxPending' | 'removeOutbox'>;
  /** Absent: this deployment sends no mail (no `deployment.notifications`); items are removed unsent. */
  readonly notifier?: Notifier | undefined;
  readonly settings: MailSettings;
  /** The office's contact address from the directory; undefined when the office is gone from it. */
  readonly contactOf: (serviceOfficeId: string) => string | undefined;
}

export type NotificationOutcome = 'sent' | 'already-sent' | 'not-needed' | 'no-address' | 'off';

/**
 * Sends one notification and removes its outbox item. The item was written in the same
 * transaction as the change that calls for it, so a crash loses nothing: the stream
 * retries until the mail is accepted. A record retried after its item was removed (the
 * stream retries a batch from its first failed record) finds the item gone and sends
 * nothing again. A referral that was opened, revoked or expired meanwhile needs no mail,
 * nor an erasure the office has confirmed meanwhile.
 */
export async function deliverNotification(
  deps: NotificationDependencies,
  item: NotificationItem,
): Promise<NotificationOutcome> {
  const done = () => deps.referrals.removeOutbox(item.referralId, item.event);
  if (!deps.notifier) {
    await done();
    return 'off';
  }
  if (!(await deps.referrals.outboxPending(item.referralId, item.event))) return 'already-sent';
  const referral = await deps.referrals.get(item.referralId);
  const needed =
    item.notification.kind === 'erasure-request'
      ? referral?.erasure !== undefined && referral.erasure.confirmedAt === undefined
      : referral !== undefined && NOT_RECEIVED.includes(referral.status);
  if (!referral || !needed) {
    await done();
    return 'not-needed';
  }
  const to = deps.contactOf(item.notification.serviceOfficeId);
  if (!to) {
    await done();
    return 'no-address';
  }
  await deps.notifier.send(notificationMail(item.notification, to, deps.settings));
  await done();
  return 'sent';
}
