import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WEB_PAGES, type WebPage } from '#shared/api/web-pages.ts';
import { NotFound } from '#shared/domain/errors.ts';
import { SIGN_IN_ENVIRONMENT } from '#shared/function-environment.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { documentStyleSource } from '#shared/http/html-document.ts';
import { PEOPLE_PATH_PREFIX } from '#shared/http/people.ts';
import { apiIdentity } from './composition.ts';

/**
 * Serves the people's web pages from the API: the build of each web/<page>/
 * (web/build.ts — index.html, base.css, style.css and app.js, one bundle of the
 * page's app.ts). In AWS the built files are bundled next to the function; locally
 * they are read from .build/web, which `npm ci` and `npm start` write.
 * Only the files named here are served, each with its content type and a strict
 * Content-Security-Policy: scripts and styles from this origin only, no inline code,
 * no framing; connections to this origin and the sign-in provider only.
 */

// A Map, not an object literal: a requested name such as `constructor` must not find
// anything on a prototype.
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['base.css', 'text/css; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
]);

/** Generated, not read: what the page cannot know by itself (region, sign-in provider). */
const CONFIG_FILE = 'config.json';

interface SignInSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly logoutUrl?: string;
}

/** The deployment's sign-in provider (SIGN_IN_ENVIRONMENT), or undefined when it has none. */
function signInSettings(): SignInSettings | undefined {
  const issuer = process.env[SIGN_IN_ENVIRONMENT.issuer];
  const clientId = process.env[SIGN_IN_ENVIRONMENT.clientId];
  if (!issuer || !clientId) return undefined;
  const logoutUrl = process.env[SIGN_IN_ENVIRONMENT.logoutUrl];
  return { issuer, clientId, ...(logoutUrl ? { logoutUrl } : {}) };
}

/** The security headers of every file; `connect-src` admits the provider's origins. */
export function securityHeaders(signIn: SignInSettings | undefined): Readonly<Record<string, string>> {
  const origins = signIn
    ? [
        ...new Set(
          [signIn.issuer, signIn.logoutUrl].filter((u): u is string => !!u).map((u) => new URL(u).origin),
        ),
      ]
    : [];
  return {
    'content-security-policy': [
      "default-src 'self'",
      `connect-src 'self'${origins.map((o) => ` ${o}`).join('')}`,
      "script-src 'self'",
      // The printable documents a page opens as blob: URLs inherit this policy: admit their one style sheet by hash.
      `style-src 'self' ${documentStyleSource()}`,
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Revalidate on every load, so a new deployment's files are never mixed with old ones.
    'cache-control': 'no-cache',
  };
}

/** REX_WEB_DIR, or the build under the working directory (the repository root locally). */
const webDir = () => resolve(process.env.REX_WEB_DIR ?? '.build/web');

const cache = new Map<string, Promise<string>>();

function fileText(page: WebPage, name: string): Promise<string> {
  const key = `${page}/${name}`;
  let text = cache.get(key);
  if (!text) {
    text = readFile(resolve(webDir(), page, name), 'utf8');
    // A failed read (a file missing from the bundle) is not cached: the next request tries again.
    text.catch(() => cache.delete(key));
    cache.set(key, text);
  }
  return text;
}

/** The environment does not change while a function instance lives: read it once. */
let settings: { signIn: SignInSettings | undefined; headers: Readonly<Record<string, string>> } | undefined;
function pageSettings() {
  if (!settings) {
    const signIn = signInSettings();
    settings = { signIn, headers: securityHeaders(signIn) };
  }
  return settings;
}

async function serve(page: WebPage, name: string) {
  const { signIn, headers } = pageSettings();
  if (name === CONFIG_FILE) {
    return {
      status: 200,
      body: JSON.stringify({
        region: process.env.AWS_REGION ?? 'eu-central-1',
        ...(signIn ? { signIn } : {}),
        // The pages call the people's twin of each operation, with the ID token.
        peoplePrefix: PEOPLE_PATH_PREFIX,
      }),
      contentType: 'application/json',
      headers,
    };
  }
  const contentType = CONTENT_TYPES.get(name);
  // index.html only at /<page>: its relative links (<page>/app.js) resolve from there.
  if (!contentType || name === 'index.html') throw new NotFound('file');
  return { status: 200, body: await fileText(page, name), contentType, headers };
}

export const handler = apiHandler(
  (Object.keys(WEB_PAGES) as WebPage[]).flatMap((page) => [
    route(WEB_PAGES[page].page, async () => ({
      status: 200,
      body: await fileText(page, 'index.html'),
      contentType: CONTENT_TYPES.get('index.html'),
      headers: pageSettings().headers,
    })),
    route(WEB_PAGES[page].file, async ({ params }) => serve(page, params.file)),
  ]),
  apiIdentity,
);
