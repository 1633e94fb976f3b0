import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Verifies AWS Signature Version 4 on an incoming request the way API Gateway's IAM
 * authorisation does, against the local credentials file. The signature is
 * recomputed with the AWS SDK's own signer over exactly the headers the client
 * signed; nothing is hand-rolled except reading the Authorization header.
 */

export interface IncomingSignedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type VerifyResult<C> =
  | { readonly ok: true; readonly credential: C }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: string; readonly detail: string };

/** AWS accepts a signature whose time is within 15 minutes of its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export async function verifySigV4<C extends { secretAccessKey: string }>(
  request: IncomingSignedRequest,
  lookup: (accessKeyId: string) => C | undefined,
  options: { region: string; now: Date; service?: string },
): Promise<VerifyResult<C>> {
  const authorization = request.headers.authorization;
  if (!authorization) {
    return {
      ok: false,
      status: 401,
      code: 'unauthenticated',
      detail: 'A request signed with AWS Signature Version 4 is required.',
    };
  }
  const m = AUTH.exec(authorization.trim());
  if (!m)
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The Authorization header is not a SigV4 signature.',
    };
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = m as unknown as string[];
  const credential = lookup(accessKeyId!);
  if (!credential)
    return { ok: false, status: 403, code: 'unknown-credential', detail: 'The access key is not known.' };
  if (region !== options.region || service !== (options.service ?? 'execute-api')) {
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The credential scope names another region or service.',
    };
  }
  const signingDate = parseAmzDate(request.headers['x-amz-date']);
  if (!signingDate)
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The X-Amz-Date header is missing or malformed.',
    };
  if (Math.abs(options.now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      status: 403,
      code: 'signature-expired',
      detail: 'The signature time is more than 15 minutes from the server time.',
    };
  }
  if (request.headers['x-amz-date']!.slice(0, 8) !== scopeDate) {
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The credential scope date does not match X-Amz-Date.',
    };
  }
  const signedHeaders = signedHeaderList!.split(';');
  if (!signedHeaders.includes('host')) {
    return { ok: false, status: 403, code: 'invalid-signature', detail: 'The host header must be signed.' };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = name === 'host' ? request.host : request.headers[name];
    if (value === undefined) {
      return {
        ok: false,
        status: 403,
        code: 'invalid-signature',
        detail: 'A signed header is missing from the request.',
      };
    }
    headers[name] = value;
  }
  // A client may sign the payload hash as a header; the signer then trusts that header,
  // so it must match the body actually received.
  const contentHash = headers['x-amz-content-sha256'];
  if (contentHash !== undefined && contentHash !== createHash('sha256').update(request.body).digest('hex')) {
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The payload hash does not match the body.',
    };
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of request.query) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signer = new SignatureV4({
    service: service!,
    region: region!,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey: credential.secretAccessKey },
    sha256: Sha256,
    // Sign exactly the headers the client signed: the signer would otherwise add its own
    // payload-hash header, which clients such as curl do not send.
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: request.host,
      path: request.path,
      query,
      headers,
      body: request.body,
    },
    { signingDate },
  );
  const expectedSignature =
    /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const expectedSignedHeaders = /SignedHeaders=([^,]+)/.exec(String(expected.headers.authorization))?.[1];
  const same =
    expectedSignedHeaders === signedHeaderList &&
    timingSafeEqual(Buffer.from(expectedSignature.padEnd(64, '0')), Buffer.from(signature!));
  if (!same)
    return {
      ok: false,
      status: 403,
      code: 'invalid-signature',
      detail: 'The request signature does not match.',
    };
  return { ok: true, credential };
}
