import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMails, startMailSink } from '#local/mail-sink.ts';
import type { MailMessage } from '#shared/application/notifier.ts';

/** The local platform's mail sink: one RFC 5322 file per mail, by office and notification id. */

const folder = mkdtempSync(join(tmpdir(), 'rex-mail-test-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const mail = (id: string, office = 'mbe-caritas-bruchsal'): MailMessage => ({
  id,
  serviceOfficeId: office,
  from: 'zuweisungen@localhost',
  to: `${office}@example.org`,
  subject: 'Eine neue Zuweisung wartet / A new referral is waiting',
  text: 'Guten Tag,\n\nfür Ihre Beratungsstelle …\n',
});
const ID = `ntf_${'0'.repeat(10)}${'c'.repeat(16)}_2`;

describe('the mail sink', () => {
  const sink = startMailSink(folder, () => new Date('2026-03-05T08:00:00Z'));

  it('writes <office>/<notification id>.eml, readable back as the mail it was', async () => {
    await sink.notifier.send(mail(ID));
    expect(readdirSync(join(folder, 'mbe-caritas-bruchsal'))).toEqual([`${ID}.eml`]);
    const [stored] = readMails(folder, 'mbe-caritas-bruchsal');
    expect(stored).toMatchObject({ officeId: 'mbe-caritas-bruchsal', file: `${ID}.eml` });
    expect(stored!.headers.to).toBe('mbe-caritas-bruchsal@example.org');
    expect(stored!.headers.subject).toBe('Eine neue Zuweisung wartet / A new referral is waiting');
    expect(stored!.text).toContain('für Ihre Beratungsstelle');
  });

  it('keeps a second delivery of the same notification as a second file, as a mailbox would', async () => {
    await sink.notifier.send(mail(ID));
    expect(readMails(folder, 'mbe-caritas-bruchsal').map((m) => m.file)).toEqual([
      `${ID}.2.eml`,
      `${ID}.eml`,
    ]);
  });

  it('keeps offices apart and refuses ids that are no file names', async () => {
    await sink.notifier.send(mail(ID, 'jmd-caritas-bruchsal'));
    expect(readMails(folder, 'jmd-caritas-bruchsal')).toHaveLength(1);
    expect(readMails(folder)).toHaveLength(3);
    await expect(sink.notifier.send(mail('../escape'))).rejects.toThrow(/not a mail sink name/);
    expect(readMails(join(folder, 'missing'))).toEqual([]);
  });
});
