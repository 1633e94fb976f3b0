import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { getDpoPage, getDpoPageFile } from '#shared/api/dpo-page.ts';
import { NotFound } from '#shared/domain/errors.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { apiIdentity } from './composition.ts';

/**
 * Serves the data-protection officer's page from the API: the build of web/dpo/
 * (web/build.ts — index.html, style.css and app.js, one bundle of web/dpo/app.ts).
 * In AWS the built files are bundled next to the function; locally they are read
 * from .build/web/dpo, which `npm ci` and `npm start` write.
 * Only the files named here are served, each with its content type and a strict
 * Content-Security-Policy: scripts and styles from this origin only, no inline code,
 * no framing.
 */

// A Map, not an object literal: a requested name such as `constructor` must not find
// anything on a prototype.
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['index.html', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['style.css', 'text/css; charset=utf-8'],
]);

/** Generated, not read: what the page cannot know by itself (the region to sign for). */
const CONFIG_FILE = 'config.json';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidate on every load, so a new deployment's files are never mixed with old ones.
  'cache-control': 'no-cache',
};

/** REX_WEB_DIR, or the build under the working directory (the repository root locally). */
const webDir = () => resolve(process.env.REX_WEB_DIR ?? '.build/web/dpo');

const cache = new Map<string, Promise<string>>();

function fileText(name: string): Promise<string> {
  let text = cache.get(name);
  if (!text) {
    text = readFile(resolve(webDir(), name), 'utf8');
    // A failed read (a file missing from the bundle) is not cached: the next request tries again.
    text.catch(() => cache.delete(name));
    cache.set(name, text);
  }
  return text;
}

async function serve(name: string) {
  if (name === CONFIG_FILE) {
    return {
      status: 200,
      body: JSON.stringify({ region: process.env.AWS_REGION ?? 'eu-central-1' }),
      contentType: 'application/json',
      headers: SECURITY_HEADERS,
    };
  }
  const contentType = CONTENT_TYPES.get(name);
  // index.html only at /dpo: its relative links (dpo/app.js) resolve from there.
  if (!contentType || name === 'index.html') throw new NotFound('file');
  return { status: 200, body: await fileText(name), contentType, headers: SECURITY_HEADERS };
}

export const handler = apiHandler(
  [
    route(getDpoPage, async () => ({
      status: 200,
      body: await fileText('index.html'),
      contentType: CONTENT_TYPES.get('index.html'),
      headers: SECURITY_HEADERS,
    })),
    route(getDpoPageFile, async ({ params }) => serve(params.file)),
  ],
  apiIdentity,
);
