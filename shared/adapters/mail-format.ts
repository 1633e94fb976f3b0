import type { MailMessage } from '#shared/application/notifier.ts';

/**
 * A notification as an Internet message (RFC 5322, MIME RFC 2045–2047): what Amazon SES
 * sends as raw content and what the local mail sink keeps as an `.eml` file, byte for
 * byte the same. Plain text in UTF-8, quoted-printable (readable as a file, safe on every
 * transport), the subject as an RFC 2047 encoded word, marked as automatically generated
 * (RFC 3834) so that out-of-office replies stay away.
 */

const CRLF = '\r\n';

/** Header name of the notification id; Amazon SES replaces a Message-ID with its own. */
export const NOTIFICATION_ID_HEADER = 'X-Rex-Notification-Id';

function encodedWord(text: string): string {
  // ASCII without "=?" needs no encoding; anything else is one B-encoded word per ≤ 36 bytes (a header line stays under 78 characters).
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes('=?')) return text;
  const bytes = Buffer.from(text, 'utf8');
  const words: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 36, bytes.length);
    // Never split a UTF-8 sequence: back off continuation bytes.
    while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
    words.push(`=?UTF-8?B?${bytes.subarray(start, end).toString('base64')}?=`);
    start = end;
  }
  return words.join(`${CRLF} `);
}

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text, lines ≤ 76 characters, CRLF line ends. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let current = '';
    bytes.forEach((byte, i) => {
      const last = i === bytes.length - 1;
      const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
      const piece = plain
        ? String.fromCharCode(byte)
        : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (current.length + piece.length > 75) {
        out.push(`${current}=`);
        current = '';
      }
      current += piece;
    });
    out.push(current);
  }
  return out.join(CRLF);
}

/** RFC 5322 date-time in UTC, e.g. `Tue, 01 Dec 2026 12:00:00 +0000`. */
function mailDate(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}

/** The whole message, headers and body, with CRLF line ends. */
export function formatMail(mail: MailMessage, at: Date): string {
  const domain = mail.from.slice(mail.from.lastIndexOf('@') + 1);
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    `Subject: ${encodedWord(mail.subject)}`,
    `Date: ${mailDate(at)}`,
    `Message-ID: <${mail.id}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: quoted-printable',
    'Content-Language: de, en',
    'Auto-Submitted: auto-generated',
    `${NOTIFICATION_ID_HEADER}: ${mail.id}`,
  ];
  return `${headers.join(CRLF)}${CRLF}${CRLF}${quotedPrintable(mail.text)}${CRLF}`;
}

/** A message read back: its headers (names in lower case, unfolded, encoded words decoded) and its text. */
export interface ParsedMail {
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
}

function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    if (c === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** Reads a message as `formatMail` writes it (the local mail sink's files, in tests and for people). */
export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf(`${CRLF}${CRLF}`);
  if (split < 0) throw new Error('not an Internet message: no empty line after the headers');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]/g, ' ')
    .split(CRLF)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('not an Internet message: a header line without a name');
    headers[line.slice(0, colon).toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 4);
  const qp = headers['content-transfer-encoding']?.toLowerCase() === 'quoted-printable';
  return { headers, text: qp ? decodeQuotedPrintable(body) : body.replace(/\r\n/g, '\n') };
}
