/**
 * Sign-in for the people's pages (docs/sign-in.md): OpenID Connect, authorization code
 * flow with PKCE, through oauth4webapi (a certified, dependency-free OAuth/OIDC client
 * for browsers) — the same code against Cognito in AWS and the local OpenID provider.
 *
 * The tokens live in this module's memory only, never in storage or a cookie of the
 * exchange: a reload signs in again (the provider's own session makes that one round
 * trip without a form). What survives the redirect to the provider and back is the
 * PKCE verifier, the state and the nonce, in sessionStorage, deleted the moment the
 * answer comes back; none of them is a credential without the provider's code. The ID
 * token is renewed with the refresh token a minute before it expires, while the page
 * is open; sign-out revokes the refresh token and ends the provider's session.
 */
import * as oauth from 'oauth4webapi';

/** What the page's config.json says about sign-in (functions/web-pages.ts). */
export interface SignInConfig {
  readonly issuer: string;
  readonly clientId: string;
  /**
   * Where to end the provider's session when its discovery document names no
   * `end_session_endpoint` (Cognito's managed login: `https://<domain>/logout`).
   */
  readonly logoutUrl?: string;
}

export interface Person {
  /** The provider's subject. */
  readonly subject: string;
  readonly email: string | undefined;
}

/** The state kept across the redirect to the provider. */
interface Pending {
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

const PENDING_KEY = 'rex.sign-in.pending';
/** Renew this long before the ID token expires. */
const RENEW_EARLY_MS = 60_000;

export class SignInError extends Error {
  constructor(
    /** A message key of the page (common/texts.ts): what to tell the person. */
    readonly reason: 'provider-unreachable' | 'sign-in-failed' | 'session-ended',
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'SignInError';
  }
}

/**
 * Plain HTTP only for a provider on this machine (the local platform); anything else
 * must be HTTPS, which oauth4webapi enforces.
 */
function requestOptions(issuer: URL) {
  const local = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  return local ? { [oauth.allowInsecureRequests]: true } : {};
}

export class Session {
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #config: SignInConfig;
  readonly #redirectUri: string;
  readonly #options: ReturnType<typeof requestOptions>;
  #idToken: string | undefined;
  #refreshToken: string | undefined;
  #person: Person | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Called when the session ends by itself (renewal refused, provider gone). */
  onEnded: (() => void) | undefined;

  private constructor(as: oauth.AuthorizationServer, config: SignInConfig, redirectUri: string) {
    this.#as = as;
    this.#config = config;
    this.#client = { client_id: config.clientId };
    this.#redirectUri = redirectUri;
    this.#options = requestOptions(new URL(config.issuer));
  }

  /** Reads the provider's discovery document. `redirectUri` is the page's own URL without query. */
  static async discover(config: SignInConfig, redirectUri: string): Promise<Session> {
    const issuer = new URL(config.issuer);
    try {
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...requestOptions(issuer) });
      return new Session(await oauth.processDiscoveryResponse(issuer, response), config, redirectUri);
    } catch (cause) {
      throw new SignInError('provider-unreachable', { cause });
    }
  }

  get person(): Person | undefined {
    return this.#person;
  }

  /** The ID token for the API's `Authorization: Bearer`, or undefined when signed out. */
  get idToken(): string | undefined {
    return this.#idToken;
  }

  /** Sends the browser to the provider's sign-in; the page is left. */
  async signIn(): Promise<never> {
    const pending: Pending = {
      verifier: oauth.generateRandomCodeVerifier(),
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(this.#as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: this.#config.clientId,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: this.#redirectUri,
      code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    }).toString();
    location.assign(url);
    // The page is being left; nothing after this runs.
    return new Promise<never>(() => {});
  }

  /**
   * Completes a sign-in when the page was opened as the provider's redirect (a `code`
   * or `error` in the query). Returns false when it was not; the query is removed from
   * the address either way, so a reload does not replay it.
   */
  async completeSignIn(current: URL): Promise<boolean> {
    const params = current.searchParams;
    if (!params.has('code') && !params.has('error')) return false;
    const stored = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    history.replaceState(null, '', this.#redirectUri);
    if (!stored) throw new SignInError('sign-in-failed');
    const pending = JSON.parse(stored) as Pending;
    try {
      const callback = oauth.validateAuthResponse(this.#as, this.#client, params, pending.state);
      const response = await oauth.authorizationCodeGrantRequest(
        this.#as,
        this.#client,
        oauth.None(),
        callback,
        this.#redirectUri,
        pending.verifier,
        this.#options,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(this.#as, this.#client, response, {
        expectedNonce: pending.nonce,
        requireIdToken: true,
      });
      this.#take(tokens);
      return true;
    } catch (cause) {
      throw new SignInError('sign-in-failed', { cause });
    }
  }

  /** Ends the session: the refresh token is revoked, then the provider's session ended. */
  async signOut(): Promise<never> {
    const idToken = this.#idToken;
    const refresh = this.#refreshToken;
    this.#forget();
    if (refresh && this.#as.revocation_endpoint) {
      try {
        const response = await oauth.revocationRequest(
          this.#as,
          this.#client,
          oauth.None(),
          refresh,
          this.#options,
        );
        await oauth.processRevocationResponse(response);
      } catch {
        // Ending the provider's session below revokes it as well.
      }
    }
    const end = this.#as.end_session_endpoint;
    let url: URL;
    if (end) {
      url = new URL(end);
      url.search = new URLSearchParams({
        client_id: this.#config.clientId,
        post_logout_redirect_uri: this.#redirectUri,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).toString();
    } else if (this.#config.logoutUrl) {
      url = new URL(this.#config.logoutUrl);
      url.search = new URLSearchParams({
        client_id: this.#config.clientId,
        logout_uri: this.#redirectUri,
      }).toString();
    } else {
      url = new URL(this.#redirectUri);
    }
    location.assign(url);
    return new Promise<never>(() => {});
  }

  #take(tokens: oauth.TokenEndpointResponse): void {
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!tokens.id_token || !claims) throw new SignInError('sign-in-failed');
    this.#idToken = tokens.id_token;
    if (tokens.refresh_token) this.#refreshToken = tokens.refresh_token;
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    this.#person = { subject: claims.sub, email };
    clearTimeout(this.#timer);
    const wait = claims.exp * 1000 - Date.now() - RENEW_EARLY_MS;
    if (this.#refreshToken) this.#timer = setTimeout(() => void this.#renew(), Math.max(wait, 5_000));
  }

  async #renew(): Promise<void> {
    const refresh = this.#refreshToken;
    if (!refresh) return;
    try {
      const response = await oauth.refreshTokenGrantRequest(
        this.#as,
        this.#client,
        oauth.None(),
        refresh,
        this.#options,
      );
      this.#take(await oauth.processRefreshTokenResponse(this.#as, this.#client, response));
    } catch {
      this.#forget();
      this.onEnded?.();
    }
  }

  #forget(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#idToken = undefined;
    this.#refreshToken = undefined;
    this.#person = undefined;
  }
}
