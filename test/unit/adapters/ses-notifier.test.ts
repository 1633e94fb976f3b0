import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMail } from '#shared/adapters/mail-format.ts';
import { MailNotSent, SesNotifier } from '#shared/adapters/ses-notifier.ts';
import type { MailMessage } from '#shared/application/notifier.ts';

/** The SES v2 request the notifier makes, without a network: fetch is replaced for the test. */

const mail: MailMessage = {
  id: `ntf_${'0'.repeat(10)}${'a'.repeat(16)}_2`,
  serviceOfficeId: 'mbe-caritas-bruchsal',
  from: 'zuweisungen@lk-karlsruhe.example.org',
  to: 'mbe@caritas-bruchsal.example.org',
  subject: 'Eine neue Zuweisung wartet / A new referral is waiting',
  text: 'Guten Tag,\n',
};
const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'token',
});

interface Captured {
  url: string;
  init: RequestInit;
}

function stubFetch(response: () => Response): Captured[] {
  const calls: Captured[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return response();
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('SesNotifier', () => {
  it('posts SendEmail (v2) with the raw message, signed for ses in the region, to the regional endpoint', async () => {
    const calls = stubFetch(() => new Response('{"MessageId":"0100"}', { status: 200 }));
    await new SesNotifier({ region: 'eu-central-1', credentials }).send(mail);
    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls as [Captured];
    expect(url).toBe('https://email.eu-central-1.amazonaws.com/v2/email/outbound-emails');
    expect(init.method).toBe('POST');
    const headers = init.headers as Record<string, string>;
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/ses\/aws4_request, SignedHeaders=/,
    );
    expect(headers['x-amz-security-token']).toBe('token');
    const body = JSON.parse(String(init.body));
    expect(body.FromEmailAddress).toBe(mail.from);
    expect(body.Destination).toEqual({ ToAddresses: [mail.to] });
    expect(body.EmailTags).toEqual([{ Name: 'notification', Value: mail.id }]);
    const raw = Buffer.from(body.Content.Raw.Data, 'base64').toString('utf8');
    const parsed = parseMail(raw);
    expect(parsed.headers.subject).toBe(mail.subject);
    expect(parsed.headers['x-rex-notification-id']).toBe(mail.id);
  });

  it('uses a configured endpoint', async () => {
    const calls = stubFetch(() => new Response('{}', { status: 200 }));
    await new SesNotifier({ region: 'eu-central-1', credentials, endpoint: 'http://127.0.0.1:4566/' }).send(
      mail,
    );
    expect(calls[0]!.url).toBe('http://127.0.0.1:4566/v2/email/outbound-emails');
  });

  it('throws when SES refuses, naming the status and error type but no address from its message', async () => {
    stubFetch(
      () =>
        new Response(JSON.stringify({ message: `Email address is not verified: ${mail.to}` }), {
          status: 400,
          headers: { 'x-amzn-ErrorType': 'MessageRejected:http://internal.amazon.com/coral/com.amazon.ses/' },
        }),
    );
    const error = await new SesNotifier({ region: 'eu-central-1', credentials })
      .send(mail)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailNotSent);
    expect((error as MailNotSent).message).toBe(
      'Amazon SES did not accept the mail: HTTP 400 MessageRejected',
    );
    expect((error as MailNotSent).message).not.toContain(mail.to);
  });
});
