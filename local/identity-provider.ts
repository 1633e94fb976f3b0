import { createHash, generateKeyPairSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import Provider from 'oidc-provider';
import * as z from 'zod';
import { type Directory, peopleOf } from '#shared/domain/directory/index.ts';
import { SIGN_IN_LIFETIMES, SIGN_IN_PAGES } from '#shared/http/people.ts';
import { listen } from './gateway.ts';

/**
 * The local OpenID provider (docs/sign-in.md): the certified `oidc-provider` package
 * with the authorization code flow and PKCE, one public client for the web pages,
 * and the people of the directory as accounts. It stands in for the Cognito user
 * pool, so the browser runs the same code against both: discovery, authorize with
 * PKCE, token, refresh, end_session. MFA is off on this machine, and the sign-in page
 * says so.
 */

export const WEB_CLIENT_ID = 'rex-web';
/** A working day: the longest a sign-in lasts (session, refresh token). */
export const SESSION_SECONDS = SIGN_IN_LIFETIMES.sessionSeconds;
/** How long an ID token is good for; the page renews before. */
export const ID_TOKEN_SECONDS = SIGN_IN_LIFETIMES.idTokenSeconds;

export const DemoPersonSchema = z.strictObject({
  /** The sign-in name: the e-mail address the directory lists. */
  email: z.string(),
  /** The subject the provider issues (`sub`), kept across restarts. */
  subject: z.string(),
  password: z.string().min(16),
  /** `authority:<id>`, `service:<id>` or `dpo:<scope>`: what the directory makes of this person. */
  unit: z.string(),
});
export type DemoPerson = z.infer<typeof DemoPersonSchema>;
const PeopleFileSchema = z.strictObject({ people: z.array(DemoPersonSchema) });

/** Everyone the directory lists by e-mail, with the unit they sign in for. */
export function directoryPeople(directory: Directory): { email: string; unit: string }[] {
  // People of a unit with its own identity provider sign in there, not with an account here.
  return peopleOf(directory).flatMap((p) =>
    p.email && !p.identityProvider ? [{ email: p.email, unit: p.unit }] : [],
  );
}

/**
 * The demo people's accounts, generated at the first start (a password each) and kept
 * with mode 0600, like the demo credentials; a person new in the directory gets an
 * account at the next start. Accounts of people no longer listed stay, so the refusal
 * of a person removed from the directory can be seen.
 */
export function ensureDemoPeople(file: string | undefined, directory: Directory): DemoPerson[] {
  const existing =
    file && existsSync(file) ? PeopleFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).people : [];
  const have = new Map(existing.map((p) => [p.email.toLowerCase(), p]));
  const people = [...existing];
  let changed = !file || !existsSync(file);
  for (const { email, unit } of directoryPeople(directory)) {
    const known = have.get(email.toLowerCase());
    if (known) {
      if (known.unit !== unit) {
        people[people.indexOf(known)] = { ...known, unit };
        changed = true;
      }
      continue;
    }
    people.push({ email, subject: randomUUID(), password: randomBytes(15).toString('base64url'), unit });
    changed = true;
  }
  if (file && changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ people }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return people;
}

export interface IdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  /** When a subject last signed out (seconds since the epoch), for the gateway's check of reuse. */
  signedOutAt(subject: string): number | undefined;
  stop(): Promise<void>;
}

export interface IdentityProviderOptions {
  readonly host: string;
  /** 0 picks a free one. */
  readonly port: number;
  /** Origin of the web pages (the API): its pages (`SIGN_IN_PAGES`) are the redirect URIs. */
  readonly apiUrl: string;
  readonly people: readonly DemoPerson[];
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;border:1px solid #555;box-sizing:border-box}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;background:#0b4f8a;color:#fff;border:0;cursor:pointer}
button.secondary{background:#fff;color:#0b4f8a;border:1px solid #0b4f8a;margin-left:.5rem}
.note{background:#fff4d6;border-left:4px solid #8a6100;padding:.5rem .75rem}.error{color:#a00000;font-weight:600}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function loginPage(uid: string, error?: string): string {
  return page(
    'Anmelden – Referral Exchange (lokal)',
    `<h1>Anmelden</h1>
<p class="note" id="mfa-note">Lokale Anmeldung auf diesem Rechner: die Zwei-Faktor-Authentifizierung (MFA) ist hier ausgeschaltet. In AWS verlangt die Anmeldung immer einen zweiten Faktor. <span lang="en">(Local sign-in: multi-factor authentication is off on this machine.)</span></p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="email">E-Mail-Adresse</label><input id="email" name="email" type="email" required autocomplete="username">
<label for="password">Passwort</label><input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Anmelden</button>
</form>`,
  );
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 8192) break;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Starts the provider on its own port; the issuer is `http://<host>:<port>`. */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const byEmail = new Map(options.people.map((p) => [p.email.toLowerCase(), p]));
  const bySubject = new Map(options.people.map((p) => [p.subject, p]));
  const signedOut = new Map<string, number>();
  // The port is needed for the issuer before the provider exists: listen first, route later.
  let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => route(req, res));
  const port = await listen(server, options.port, options.host).catch((error: unknown) => {
    throw error instanceof Error && /already in use/.test(error.message)
      ? new Error(
          `Port ${options.port} on ${options.host} for the OpenID provider is already in use: stop whatever uses it, or start with --oidc-port <another>.`,
        )
      : error;
  });
  const issuer = `http://${options.host}:${port}`;
  const redirects = SIGN_IN_PAGES.map((page) => `${options.apiUrl}${page}`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_name: 'Referral Exchange',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: redirects,
        post_logout_redirect_uris: redirects,
      },
    ],
    jwks: {
      keys: [
        { ...privateKey.export({ format: 'jwk' }), kid: `local-${randomUUID()}`, use: 'sig', alg: 'RS256' },
      ],
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // The ID token carries email as Cognito's does: the page and the API need no userinfo call.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => {
      const person = bySubject.get(sub);
      return person
        ? { accountId: sub, claims: async () => ({ sub, email: person.email, email_verified: true }) }
        : undefined;
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: { body: string }, form: string) => {
          ctx.body = page(
            'Abmelden – Referral Exchange (lokal)',
            `<h1>Abmelden?</h1>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Ja, abmelden</button><button class="secondary" type="submit" form="op.logoutForm">Nein, angemeldet bleiben</button>`,
          );
        },
      },
    },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // A refresh token for the page's silent renewal, expiring with the session (a working day).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === new URL(options.apiUrl).origin,
    ttl: {
      Session: SESSION_SECONDS,
      Grant: SESSION_SECONDS,
      RefreshToken: SESSION_SECONDS,
      IdToken: ID_TOKEN_SECONDS,
      AccessToken: ID_TOKEN_SECONDS,
      AuthorizationCode: 60,
      Interaction: 600,
    },
    renderError: async (ctx: { type: string; body: string }, out: { error?: string }) => {
      ctx.type = 'html';
      ctx.body = page(
        'Fehler – Anmeldung',
        `<h1>Die Anmeldung ist fehlgeschlagen</h1><p>${esc(out.error ?? 'error')}</p>`,
      );
    },
  });
  provider.on('end_session.success', (ctx: { oidc?: { session?: { accountId?: string } } }) => {
    const sub = ctx.oidc?.session?.accountId;
    if (sub) signedOut.set(sub, Math.floor(Date.now() / 1000));
  });
  const oidc = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action?: string) => {
    const html = (status: number, body: string) => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The form's answer redirects on to the page that asked (form-action covers redirects).
        'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self' ${new URL(options.apiUrl).origin}; frame-ancestors 'none'`,
      });
      res.end(body);
    };
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return html(400, page('Fehler', '<h1>Ungültige Anmeldung</h1>'));
    if (details.prompt.name === 'consent') {
      // The web pages are the exchange's own client: nothing to ask the person.
      const grant = new provider.Grant({ accountId: details.session!.accountId!, clientId: WEB_CLIENT_ID });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    }
    if (req.method === 'POST' && action === 'login') {
      const form = await formBody(req);
      const person = byEmail.get((form.get('email') ?? '').trim().toLowerCase());
      const ok =
        person !== undefined && timingSafeEqual(digest(person.password), digest(form.get('password') ?? ''));
      if (!person || !ok) return html(401, loginPage(uid, 'E-Mail-Adresse oder Passwort ist falsch.'));
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: person.subject } },
        {
          mergeWithLastSubmission: false,
        },
      );
    }
    return html(200, loginPage(uid));
  };

  route = (req, res) => {
    const m = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(new URL(req.url ?? '/', issuer).pathname);
    if (!m) return oidc(req, res);
    interaction(req, res, m[1]!, m[2]).catch(() => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Die Anmeldung ist abgelaufen. Bitte beginnen Sie erneut.');
    });
  };

  return {
    issuer,
    clientId: WEB_CLIENT_ID,
    signedOutAt: (subject) => signedOut.get(subject),
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
