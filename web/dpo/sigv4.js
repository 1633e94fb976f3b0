/**
 * AWS Signature Version 4 in the browser, with WebCrypto only (crypto.subtle), so
 * the page signs its API calls exactly as the SDK does (docs.aws.amazon.com,
 * "Create a signed AWS API request"). The same module runs in Node 22 for its tests,
 * which compare every signature with @smithy/signature-v4.
 *
 * Signed: `host` (the browser sends it itself), `x-amz-date`,
 * `x-amz-content-sha256`, `x-amz-security-token` for temporary credentials, and
 * every header the caller passes (content-type, idempotency-key, accept).
 */

const encoder = new TextEncoder();

/** Headers a signer never signs (as @smithy/signature-v4). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** @param {Uint8Array | ArrayBuffer} bytes */
export function toHex(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

/** @param {string | Uint8Array} data */
export async function sha256Hex(data) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/**
 * @param {Uint8Array} key
 * @param {string} data
 * @returns {Promise<Uint8Array>}
 */
async function hmac(key, data) {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(data)));
}

/** RFC 3986 encoding of one component, as SigV4 wants it. */
export function escapeUri(value) {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonical URI: the path as sent, normalised, each segment encoded once more (API Gateway's rule). */
export function canonicalPath(path) {
  const segments = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalised).replace(/%2F/g, '/');
}

/** The canonical query string: decoded names and values, encoded again, sorted. */
export function canonicalQuery(searchParams) {
  /** @type {Map<string, string[]>} */
  const byKey = new Map();
  for (const [name, value] of searchParams) {
    if (name.toLowerCase() === 'x-amz-signature') continue;
    const key = escapeUri(name);
    const list = byKey.get(key) ?? [];
    list.push(`${key}=${escapeUri(value)}`);
    byKey.set(key, list);
  }
  return [...byKey.keys()]
    .sort()
    .map((key) => (byKey.get(key) ?? []).sort().join('&'))
    .join('&');
}

function amzDate(date) {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * Signs one request. Returns the headers to send (without `host`, which the
 * browser sets and may not be set by a script).
 *
 * @param {{
 *   method: string,
 *   url: string,
 *   headers?: Record<string, string>,
 *   body?: string,
 *   credentials: { accessKeyId: string, secretAccessKey: string, sessionToken?: string },
 *   region: string,
 *   service?: string,
 *   date?: Date,
 * }} request
 * @returns {Promise<Record<string, string>>}
 */
export async function signRequest(request) {
  const url = new URL(request.url);
  const service = request.service ?? 'execute-api';
  const longDate = amzDate(request.date ?? new Date());
  const shortDate = longDate.slice(0, 8);
  const payloadHash = await sha256Hex(request.body ?? '');
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = longDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (request.credentials.sessionToken) headers['x-amz-security-token'] = request.credentials.sessionToken;

  /** @type {Record<string, string>} */
  const canonical = { host: url.host };
  for (const [name, value] of Object.entries(headers)) {
    if (UNSIGNABLE.has(name) || name.startsWith('proxy-') || name.startsWith('sec-')) continue;
    canonical[name] = value
      .replace(/[\r\n]/g, ' ')
      .replace(/[ \t]+/g, ' ')
      .replace(/^ | $/g, '');
  }
  const names = Object.keys(canonical).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((n) => `${n}:${canonical[n]}`).join('\n'),
    '',
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${shortDate}/${request.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, await sha256Hex(canonicalRequest)].join('\n');
  let key = encoder.encode(`AWS4${request.credentials.secretAccessKey}`);
  for (const part of [shortDate, request.region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = toHex(await hmac(key, stringToSign));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
