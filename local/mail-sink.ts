import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatMail, type ParsedMail, parseMail } from '#shared/adapters/mail-format.ts';
import type { MailMessage, Notifier } from '#shared/application/notifier.ts';

/**
 * The local platform's mail sink: the notifier port (shared/application/notifier.ts)
 * writing each mail as an RFC 5322 file, `<folder>/<office id>/<notification id>.eml`,
 * byte for byte what Amazon SES would send. It keeps every mail it is given, as a mailbox
 * would: a second delivery of the same notification becomes `<id>.2.eml`, so a duplicate
 * is visible instead of overwritten. Open a file with any mail program, or read the
 * folder with `readMails` (tests do).
 */
export interface MailSink {
  readonly folder: string;
  readonly notifier: Notifier;
}

export function startMailSink(folder: string, now: () => Date = () => new Date()): MailSink {
  const root = resolve(folder);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return {
    folder: root,
    notifier: {
      async send(mail: MailMessage) {
        const office = join(root, safeName(mail.serviceOfficeId));
        mkdirSync(office, { recursive: true, mode: 0o700 });
        const raw = formatMail(mail, now());
        for (let n = 1; ; n++) {
          const file = join(office, `${safeName(mail.id)}${n === 1 ? '' : `.${n}`}.eml`);
          try {
            writeFileSync(file, raw, { flag: 'wx', mode: 0o600 });
            return;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          }
        }
      },
    },
  };
}

/** Ids are slugs and `ntf_…`; anything else would not name a file of the folder. */
function safeName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,127}$/.test(name))
    throw new Error(`not a mail sink name: ${JSON.stringify(name)}`);
  return name;
}

export interface StoredMail extends ParsedMail {
  readonly officeId: string;
  /** The file name, e.g. `ntf_…_2.eml`. */
  readonly file: string;
  readonly raw: string;
}

/** Every mail in the sink, or one office's, in file-name order. */
export function readMails(folder: string, officeId?: string): StoredMail[] {
  const root = resolve(folder);
  if (!existsSync(root)) return [];
  const offices = officeId ? [officeId] : readdirSync(root).sort();
  const mails: StoredMail[] = [];
  for (const office of offices) {
    const dir = join(root, office);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()) {
      const raw = readFileSync(join(dir, file), 'utf8');
      mails.push({ officeId: office, file, raw, ...parseMail(raw) });
    }
  }
  return mails;
}
