/**
 * Every problem type the API answers with, its status and when. The one list: the
 * HTTP layer takes refusal statuses from it, docs/api.md's table is checked against it,
 * and a test fails when the code throws a type that is not here
 * (test/unit/http/problem-types.test.ts). The type URI is `problemType(code)`.
 */
export const PROBLEM_TYPES = {
  'invalid-request': {
    status: 400,
    when: 'malformed body, path, query or header; `errors` names each field',
  },
  unauthenticated: {
    status: 401,
    when: 'no credential, or not the kind the path takes (SigV4 under `/v1`, a sign-in token under `/people`)',
  },
  'invalid-signature': { status: 403, when: 'the SigV4 signature does not hold' },
  'signature-expired': { status: 403, when: 'the signed request is older than 5 minutes' },
  'unknown-credential': { status: 403, when: 'the access key is not known' },
  'invalid-token': {
    status: 401,
    when: 'the sign-in token (Bearer) is unsigned, tampered, for another exchange or not an ID token (in AWS also: expired)',
  },
  'session-expired': { status: 401, when: 'the sign-in is older than a working day; sign in again' },
  'session-ended': { status: 401, when: 'the person signed out since this token was issued' },
  'token-expired': { status: 401, when: 'the sign-in token has expired; sign in again' },
  forbidden: { status: 403, when: 'the principal may not call this operation' },
  'not-found': {
    status: 404,
    when: 'no such object _for this caller_ (other principals’ objects look the same)',
  },
  'method-not-allowed': { status: 405, when: 'the path exists with other methods (`Allow` header)' },
  conflict: { status: 409, when: 'the state forbids it (e.g. a key set change that is not allowed)' },
  'transition-refused': {
    status: 409,
    when: 'the referral cannot move to that status (`currentStatus`, `allowedNext`)',
  },
  'stale-referral': { status: 409, when: 'the referral kept changing meanwhile; read it again' },
  'stale-key-set': { status: 409, when: 'the office key set kept changing meanwhile; read it again' },
  'open-referral-moved': { status: 409, when: "the person's open referral is no longer this one" },
  'already-declined': { status: 409, when: 'declined before, without forwarding or to another office' },
  'consent-withdrawn': { status: 409, when: 'the consent was withdrawn (also between read and write)' },
  'open-referral-exists': { status: 409, when: 'the person has an open referral (no double structures)' },
  'recipient-key-missing': { status: 409, when: 'the office has not published an encryption key' },
  'no-erasure-request': { status: 409, when: 'erasure confirmed for a referral nobody asked to erase' },
  gone: { status: 410, when: 'the referral was revoked or expired; discard it unread' },
  'payload-too-large': { status: 413, when: 'body above the limit' },
  'unsupported-media-type': { status: 415, when: 'body not JSON' },
  'unprocessable-content': { status: 422, when: 'well-formed but breaks a rule' },
  'idempotency-key-reused': { status: 422, when: 'the Idempotency-Key was used for another request' },
  'routing-refused': { status: 422, when: 'routing preview: no office can lead (`refusal` names why)' },
  'referral-decryption-failed': { status: 422, when: 'a ciphertext does not decrypt with the given keys' },
  'consent-not-found': { status: 422, when: 'no consent with this id' },
  'subject-mismatch': { status: 422, when: 'the person is not the consent’s (or the referral’s) subject' },
  'consent-expired': { status: 422, when: 'the consent is past `validUntil`' },
  'data-categories-not-covered': {
    status: 422,
    when: 'a field whose category the consent does not name; `errors` lists each',
  },
  'recipient-not-in-scope': {
    status: 422,
    when: 'the consent names neither the office’s service type nor its provider',
  },
  'purpose-not-covered': {
    status: 422,
    when: 'the consent does not name the purpose of the office’s service type',
  },
  'under-minimum-age': { status: 422, when: 'routing: the person is below every rule’s minimum age' },
  'no-office-covers-municipality': { status: 422, when: 'routing: no office serves the municipality' },
  'consent-excludes-all-candidates': {
    status: 422,
    when: 'routing: the consent scope allows none of the candidates',
  },
  'no-rule-applies': { status: 422, when: 'routing: no rule applies on that date' },
  'unknown-office': { status: 422, when: 'forwarding: `forwardTo` is no office of the directory' },
  'forward-to-self': { status: 422, when: 'forwarding: `forwardTo` is the declining office' },
  'recipient-not-covering-municipality': {
    status: 422,
    when: 'forwarding: the office does not serve the municipality',
  },
  'request-header-fields-too-large': {
    status: 431,
    when: 'the request headers are above the limit (local gateway: Node’s 16 KiB)',
  },
  'too-many-requests': { status: 429, when: 'throttled (`Retry-After`)' },
  'internal-error': {
    status: 500,
    when: 'a defect; the body says nothing more, the logs have the error name',
  },
  'bad-gateway': { status: 502, when: 'local gateway: the function failed to answer' },
  'dependency-unavailable': { status: 503, when: 'a dependency failed; retry' },
} as const satisfies Readonly<Record<string, { readonly status: number; readonly when: string }>>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_TYPES, code);
}
