import type { MailMessage, Notifier } from '#shared/application/notifier.ts';
import { type SigningCredentials, signedFetch } from '#shared/sdk/signed-fetch.ts';
import { formatMail } from './mail-format.ts';

export interface SesNotifierOptions {
  readonly region: string;
  /** The function's credentials (the SDK's default chain: the execution role in Lambda). */
  readonly credentials: () => Promise<SigningCredentials>;
  /** @default `https://email.<region>.amazonaws.com` (`AWS_ENDPOINT_URL_SESV2` overrides it) */
  readonly endpoint?: string;
  /** @default the clock */
  readonly now?: () => Date;
}

/** Amazon SES refused or failed a send. Names the status and SES's error type, never an address. */
export class MailNotSent extends Error {
  override readonly name = 'MailNotSent';
  constructor(
    readonly status: number,
    readonly errorType: string,
  ) {
    super(`Amazon SES did not accept the mail: HTTP ${status} ${errorType}`);
  }
}

/**
 * The notifier in AWS: Amazon SES, API v2 `SendEmail` with raw content (the message of
 * mail-format.ts, so SES sends exactly what the local sink keeps), signed with SigV4
 * (`ses`). Written against the HTTP API because the SES client of the AWS SDK is not a
 * dependency of the project; the request is the documented
 * `POST /v2/email/outbound-emails`. The role may send only from the deployment's sender
 * through its identity (docs/notifications.md).
 */
export class SesNotifier implements Notifier {
  readonly #url: string;

  constructor(private readonly options: SesNotifierOptions) {
    const endpoint = (options.endpoint ?? `https://email.${options.region}.amazonaws.com`).replace(/\/$/, '');
    this.#url = `${endpoint}/v2/email/outbound-emails`;
  }

  /** The request body SES gets for a mail. */
  requestBody(mail: MailMessage): string {
    const raw = formatMail(mail, (this.options.now ?? (() => new Date()))());
    return JSON.stringify({
      FromEmailAddress: mail.from,
      Destination: { ToAddresses: [mail.to] },
      Content: { Raw: { Data: Buffer.from(raw, 'utf8').toString('base64') } },
      EmailTags: [{ Name: 'notification', Value: mail.id }],
    });
  }

  async send(mail: MailMessage): Promise<void> {
    const res = await signedFetch(
      this.#url,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: this.requestBody(mail) },
      await this.options.credentials(),
      this.options.region,
      'ses',
    );
    if (res.ok) {
      await res.body?.cancel();
      return;
    }
    // The error text may quote an address; only its type is kept.
    const errorType = (res.headers.get('x-amzn-errortype') ?? '').split(':')[0] || 'UnknownError';
    await res.body?.cancel();
    throw new MailNotSent(res.status, errorType);
  }
}
