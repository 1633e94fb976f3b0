import { describe, expect, it } from 'vitest';
import { formatMail, parseMail, quotedPrintable } from '#shared/adapters/mail-format.ts';
import type { MailMessage } from '#shared/application/notifier.ts';

/** The notification as an Internet message: what SES sends and the local sink keeps. */

const mail: MailMessage = {
  id: `ntf_${'0'.repeat(10)}${'f'.repeat(16)}_2`,
  serviceOfficeId: 'mbe-caritas-bruchsal',
  from: 'zuweisungen@lk-karlsruhe.example.org',
  to: 'mbe@caritas-bruchsal.example.org',
  subject: 'Erinnerung: Eine Zuweisung wartet noch / Reminder: a referral is still waiting — ä ö ü ß',
  text: `Guten Tag,\n\nfür Ihre Beratungsstelle … verfällt sie am 16.03.2026.\n${'Sehr lange Zeile mit Umlauten äöü '.repeat(8)}\n  https://rex.example.org/prod/office?x=1\n`,
};
const at = new Date('2026-03-05T08:09:10.000Z');

describe('formatMail', () => {
  const raw = formatMail(mail, at);

  it('writes RFC 5322 headers with CRLF line ends, 7-bit only, no line over 78 characters', () => {
    expect(raw).toMatch(
      /^From: zuweisungen@lk-karlsruhe\.example\.org\r\nTo: mbe@caritas-bruchsal\.example\.org\r\n/,
    );
    expect(raw).toContain('\r\nDate: Thu, 05 Mar 2026 08:09:10 +0000\r\n');
    expect(raw).toContain(`\r\nMessage-ID: <${mail.id}@lk-karlsruhe.example.org>\r\n`);
    expect(raw).toContain('\r\nContent-Type: text/plain; charset=UTF-8\r\n');
    expect(raw).toContain('\r\nAuto-Submitted: auto-generated\r\n');
    expect(raw).toContain(`\r\nX-Rex-Notification-Id: ${mail.id}\r\n\r\n`);
    expect([...Buffer.from(raw, 'utf8')].every((byte) => byte < 128)).toBe(true);
    for (const line of raw.split('\r\n')) expect(line.length, line).toBeLessThanOrEqual(78);
    expect(raw.split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r'))).toBe(true);
  });

  it('reads back as written: subject, text and headers', () => {
    const parsed = parseMail(raw);
    expect(parsed.headers.subject).toBe(mail.subject);
    expect(parsed.headers.from).toBe(mail.from);
    expect(parsed.headers['x-rex-notification-id']).toBe(mail.id);
    expect(parsed.text).toBe(`${mail.text}\n`);
  });

  it('encodes "=", non-ASCII and trailing spaces in quoted-printable, with soft line breaks', () => {
    expect(quotedPrintable('a=b')).toBe('a=3Db');
    expect(quotedPrintable('ä')).toBe('=C3=A4');
    expect(quotedPrintable('end ')).toBe('end=20');
    const long = quotedPrintable('x'.repeat(100));
    expect(long.split('\r\n').map((l) => l.length)).toEqual([76, 25]);
    expect(long.split('\r\n')[0]!.endsWith('=')).toBe(true);
  });

  it('refuses what is no Internet message', () => {
    expect(() => parseMail('no headers at all')).toThrow(/no empty line/);
  });
});
