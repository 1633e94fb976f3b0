import { createHash, randomBytes } from 'node:crypto';

/**
 * Signs a person in at the local OpenID provider over plain HTTP, as a browser would:
 * authorization code flow with PKCE, the provider's own sign-in form, the token
 * endpoint. For the demo and the end-to-end tests, which need a person's tokens
 * without a browser; the pages sign in with oauth4webapi (web/common/session.ts).
 */

export interface SignedIn {
  readonly idToken: string;
  readonly refreshToken: string | undefined;
  /** Ends the session at the provider (RP-initiated logout, confirmed on its form). */
  signOut(): Promise<void>;
}

class Cookies {
  readonly #jar = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.#jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }
  header() {
    return [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export async function signIn(
  idp: { issuer: string; clientId: string },
  apiUrl: string,
  person: { email: string; password: string },
): Promise<SignedIn> {
  const cookies = new Cookies();
  const redirectUri = `${apiUrl}/dpo`;
  const get = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(url, idp.issuer), {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookies.header() },
    });
    cookies.take(res);
    return res;
  };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(`${idp.issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: idp.clientId,
    response_type: 'code',
    scope: 'openid email',
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  }).toString();
  let res = await get(auth.toString());
  let location = res.headers.get('location');
  let code: string | null = null;
  for (let hop = 0; hop < 10 && location; hop++) {
    if (location.startsWith(redirectUri)) {
      code = new URL(location).searchParams.get('code');
      break;
    }
    res = await get(location);
    if (res.status === 200 && /\/interaction\/[\w-]+$/.test(location)) {
      await res.text();
      res = await get(`${location}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: person.email, password: person.password }).toString(),
      });
      if (res.status !== 303 && res.status !== 302) throw new Error(`sign-in refused (${res.status})`);
    }
    location = res.headers.get('location');
  }
  if (!code) throw new Error('no authorization code');
  const token = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: idp.clientId,
      code_verifier: verifier,
    }).toString(),
  });
  const tokens = (await token.json()) as { id_token?: string; refresh_token?: string };
  if (!tokens.id_token) throw new Error(`no ID token (${token.status})`);
  const idToken = tokens.id_token;
  return {
    idToken,
    refreshToken: tokens.refresh_token,
    async signOut() {
      const end = new URL(`${idp.issuer}/session/end`);
      end.search = new URLSearchParams({
        id_token_hint: idToken,
        post_logout_redirect_uri: redirectUri,
      }).toString();
      const form = await (await get(end.toString())).text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
      if (!xsrf) throw new Error('no sign-out form');
      const done = await get('/session/end/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      });
      if (done.status !== 303 && done.status !== 302) throw new Error(`sign-out failed (${done.status})`);
    },
  };
}
