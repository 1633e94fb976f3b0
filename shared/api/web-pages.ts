import * as z from 'zod';
import { defineOperation } from '#shared/http/operation.ts';
import { problems } from './responses.ts';

/**
 * The people's web pages (docs/sign-in.md, docs/dpo-guide.md, docs/office-guide.md,
 * docs/clerk-guide.md): static files served by the API itself, so no second server is
 * needed. The pages are public; every data call they make carries the signed-in
 * person's ID token.
 */

/** A file name of a page: lower-case letters, digits, dots and hyphens, no path. */
const PageFileParams = z.strictObject({
  file: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, { error: 'must be a file name of the page' })
    .meta({ description: 'A file of the page, e.g. `app.js`.' }),
});

/**
 * What the sign-in provider appends when it sends the browser back to a page
 * (OpenID Connect authorization response, RFC 9207's `iss`); the page reads it and
 * removes it from the address. Nothing else is accepted.
 */
const PageQuery = z.strictObject({
  code: z.string().max(2048).optional(),
  state: z.string().max(512).optional(),
  iss: z.string().max(512).optional(),
  session_state: z.string().max(512).optional(),
  error: z.string().max(128).optional(),
  error_description: z.string().max(1024).optional(),
});

function pageOperations<const Id extends string>(id: Id, page: string, summary: string, description: string) {
  return {
    page: defineOperation({
      operationId: `get${id}Page`,
      method: 'GET',
      path: `/${page}`,
      summary,
      description,
      tags: ['web'],
      auth: 'public',
      query: PageQuery,
      responses: {
        200: { description: 'The page.', contentType: 'text/html' },
        400: problems[400],
      },
    }),
    file: defineOperation({
      operationId: `get${id}PageFile`,
      method: 'GET',
      path: `/${page}/{file}`,
      summary: `A script, style sheet or settings file of: ${summary.toLowerCase()}`,
      tags: ['web'],
      auth: 'public',
      params: PageFileParams,
      responses: {
        200: { description: 'The file, with its content type.' },
        400: problems[400],
        404: problems[404],
      },
    }),
  };
}

const dpo = pageOperations(
  'Dpo',
  'dpo',
  "The data-protection officer's page",
  'Browse, filter and verify the audit log in the browser, produce access reports. The officer signs in with OpenID Connect.',
);

export const getDpoPage = dpo.page;
export const getDpoPageFile = dpo.file;

const authority = pageOperations(
  'Authority',
  'authority',
  "The immigration authority's clerk desk",
  "Record a newcomer's consent (the signed form's SHA-256 computed in the browser), check which counselling office is responsible and why, refer, hand over the office's contact, follow the authority's referrals and withdraw a consent. The clerk signs in with OpenID Connect.",
);

export const getAuthorityPage = authority.page;
export const getAuthorityPageFile = authority.file;

const office = pageOperations(
  'Office',
  'office',
  "The counselling office's inbox",
  "A counsellor's referrals: keys generated in the browser (the private key never leaves it, a password-protected backup file is saved first), receipt before decryption, the person's data decrypted and shown in the browser only, contact, closing, declining and forwarding reported back. The counsellor signs in with OpenID Connect.",
);

export const getOfficePage = office.page;
export const getOfficePageFile = office.file;

/** Each page of web/ that the API serves, by its path segment. */
export const WEB_PAGES = {
  dpo: { page: getDpoPage, file: getDpoPageFile },
  authority: { page: getAuthorityPage, file: getAuthorityPageFile },
  office: { page: getOfficePage, file: getOfficePageFile },
} as const;
export type WebPage = keyof typeof WEB_PAGES;
