import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

/**
 * The local stand-in for API Gateway's Cognito user-pool authorizer (docs/sign-in.md):
 * verifies a signed-in person's ID token by signature against the provider's published
 * keys (found by OpenID discovery), issuer, audience (the web client), expiry and the
 * age of the sign-in, and hands the claims on as strings, where API Gateway puts them
 * (`requestContext.authorizer.claims`). Only asymmetric algorithms are accepted, so an
 * unsigned (`alg: none`) or HMAC-"signed" token never verifies.
 */

export type TokenVerification =
  | { readonly ok: true; readonly claims: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly status: 401; readonly code: string; readonly detail: string };

export interface TokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  /** The longest a sign-in lasts, in seconds (`auth_time`), renewals included. */
  readonly maxSessionSeconds: number;
  /** When the subject last signed out at the provider; a token of a sign-in before is refused. */
  readonly signedOutAt?: (subject: string) => number | undefined;
  readonly now?: () => Date;
}

const ALGORITHMS = ['RS256', 'ES256'];

export type TokenVerifier = (token: string) => Promise<TokenVerification>;

const refuse = (code: string, detail: string): TokenVerification => ({
  ok: false,
  status: 401,
  code,
  detail,
});

export function tokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const keys = async () => {
    if (jwks) return jwks;
    const discovery = await fetch(`${options.issuer}/.well-known/openid-configuration`);
    const { jwks_uri: uri, issuer } = (await discovery.json()) as { jwks_uri?: string; issuer?: string };
    if (!uri || issuer !== options.issuer) throw new Error('the OpenID provider publishes no keys');
    jwks = createRemoteJWKSet(new URL(uri));
    return jwks;
  };
  return async (token) => {
    const now = options.now?.() ?? new Date();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keys(), {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: now,
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        return refuse('token-expired', 'The sign-in token has expired: sign in again.');
      if (error instanceof errors.JWTClaimValidationFailed)
        return refuse('invalid-token', `The sign-in token is not for this exchange (${error.claim}).`);
      return refuse('invalid-token', 'The sign-in token is not valid.');
    }
    if (payload.token_use !== undefined && payload.token_use !== 'id')
      return refuse('invalid-token', 'An ID token is required.');
    const authTime = typeof payload.auth_time === 'number' ? payload.auth_time : payload.iat!;
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if (nowSeconds - authTime > options.maxSessionSeconds)
      return refuse('session-expired', 'The sign-in is older than a working day: sign in again.');
    const signedOut = options.signedOutAt?.(payload.sub!);
    if (signedOut !== undefined && authTime <= signedOut)
      return refuse('session-ended', 'This sign-in has ended (signed out): sign in again.');
    const claims: Record<string, string> = {};
    for (const [k, v] of Object.entries(payload))
      claims[k] = typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : String(v);
    return { ok: true, claims };
  };
}
