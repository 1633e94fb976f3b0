import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Signing time; defaults to now. */
  readonly signingDate?: Date;
}

/**
 * Signs a request with AWS Signature Version 4 for API Gateway (`execute-api`), the
 * way every client of this API authenticates, in AWS and on the local platform — or
 * for another AWS service by its signing name (`ses` for the notifier's mails).
 * Returns the headers to send.
 */
export async function signRequest(
  url: string,
  init: SignedRequestInit,
  credentials: SigningCredentials,
  region: string,
  service = 'execute-api',
): Promise<Record<string, string>> {
  const target = new URL(url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of target.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: init.method ?? 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query,
      headers: { host: target.host, ...lowerCase(init.headers ?? {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    },
    init.signingDate ? { signingDate: init.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** fetch() with a SigV4 signature. */
export async function signedFetch(
  url: string,
  init: SignedRequestInit,
  credentials: SigningCredentials,
  region: string,
  service = 'execute-api',
): Promise<Response> {
  const headers = await signRequest(url, init, credentials, region, service);
  const { host: _host, ...sendable } = headers;
  return fetch(url, {
    method: init.method ?? 'GET',
    headers: sendable,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
