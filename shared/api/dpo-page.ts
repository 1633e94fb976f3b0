import * as z from 'zod';
import { defineOperation } from '#shared/http/operation.ts';
import { problems } from './responses.ts';

/**
 * The data-protection officer's web page (docs/dpo-guide.md): static files served
 * by the API itself, so no second server is needed. The page is public; every data
 * call it makes is a SigV4-signed request to the audit operations.
 */

/** A file name of the page: lower-case letters, digits, dots and hyphens, no path. */
const DpoPageFileParams = z.strictObject({
  file: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, { error: 'must be a file name of the page' })
    .meta({ description: 'A file of the page, e.g. `app.js`.' }),
});

export const getDpoPage = defineOperation({
  operationId: 'getDpoPage',
  method: 'GET',
  path: '/dpo',
  summary: "The data-protection officer's page",
  description:
    'Browse, filter and verify the audit log in the browser. Static HTML; the page signs its API calls with the credential the officer enters, held in memory only.',
  tags: ['web'],
  auth: 'public',
  responses: { 200: { description: 'The page.', contentType: 'text/html' } },
});

export const getDpoPageFile = defineOperation({
  operationId: 'getDpoPageFile',
  method: 'GET',
  path: '/dpo/{file}',
  summary: "A script, style sheet or settings file of the data-protection officer's page",
  tags: ['web'],
  auth: 'public',
  params: DpoPageFileParams,
  responses: {
    200: { description: 'The file, with its content type.' },
    400: problems[400],
    404: problems[404],
  },
});
