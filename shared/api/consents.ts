import * as z from 'zod';
import { defineOperation } from '#shared/http/operation.ts';
import {
  ConsentFormDigestParams,
  ConsentFormTextList,
  ConsentFormTextView,
  ConsentId,
  ConsentReceipt,
  ConsentView,
  RecordConsentRequest,
  WithdrawConsentRequest,
} from '#shared/schemas/consent.ts';
import { problems, signedBodyProblems } from './responses.ts';

const ConsentPath = z.strictObject({ id: ConsentId });

export const recordConsent = defineOperation({
  operationId: 'recordConsent',
  method: 'POST',
  path: '/v1/consents',
  summary: 'Record a consent an authority has collected',
  description:
    'Records a signed consent form. The recording authority is the caller; the identity data in `subject` is used only to compute the pseudonymous subject id and is never stored. A retry with the same Idempotency-Key and body returns the first 201.',
  tags: ['consents'],
  auth: ['authority'],
  idempotencyKey: true,
  body: RecordConsentRequest,
  responses: {
    201: { description: 'The consent was recorded.', schema: ConsentView },
    ...signedBodyProblems,
    422: problems[422],
    503: problems[503],
  },
});

export const getConsent = defineOperation({
  operationId: 'getConsent',
  method: 'GET',
  path: '/v1/consents/{id}',
  summary: 'A consent, with its status at the time of the request',
  description:
    'Authorities and data-protection officers see every consent of the deployment; a service office only a consent it holds a referral under (otherwise 404). Operators read no consent (403).',
  tags: ['consents'],
  auth: ['authority', 'service', 'dpo'],
  params: ConsentPath,
  responses: {
    200: { description: 'The consent.', schema: ConsentView },
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
    503: problems[503],
  },
});

export const withdrawConsent = defineOperation({
  operationId: 'withdrawConsent',
  method: 'POST',
  path: '/v1/consents/{id}/withdrawal',
  summary: 'Record the withdrawal of a consent',
  description:
    'Any authority of the deployment, or a service office holding a referral under the consent, may record it. The time is the platform’s. Withdrawing again is not an error: the first withdrawal stands and the consent is answered unchanged. The body may be `{}`.',
  tags: ['consents'],
  auth: ['authority', 'service'],
  params: ConsentPath,
  body: WithdrawConsentRequest,
  responses: {
    200: { description: 'The consent, withdrawn.', schema: ConsentView },
    ...signedBodyProblems,
    404: problems[404],
    503: problems[503],
  },
});

export const getConsentReceipt = defineOperation({
  operationId: 'getConsentReceipt',
  method: 'GET',
  path: '/v1/consents/{id}/receipt',
  summary: 'The receipt of a consent, for the person (JSON, or printable HTML)',
  description:
    'What the person consented to, in German and the form’s language (English where the receipt is not translated): controller, purposes, data categories, recipients, validity, the form text and how to withdraw (docs/consent.md, "The consent receipt"). `Accept: text/html` or `format=html` gives the printable page. Authorities and data-protection officers only.',
  tags: ['consents'],
  auth: ['authority', 'dpo'],
  params: ConsentPath,
  query: z.strictObject({ format: z.enum(['json', 'html']).optional() }),
  responses: {
    200: { description: 'The receipt.', schema: ConsentReceipt },
    400: problems[400],
    401: problems[401],
    403: problems[403],
    404: problems[404],
    429: problems[429],
    503: problems[503],
  },
});

export const listConsentForms = defineOperation({
  operationId: 'listConsentForms',
  method: 'GET',
  path: '/v1/consent-forms',
  summary: 'The consent form texts of the deployment, with the form version that names each',
  description:
    'Public: the texts are what every person is shown. A consent names the text it was given on with `evidence.formVersion` = `sha256-<digest>` (docs/consent.md, "Consent form texts").',
  tags: ['consents'],
  auth: 'public',
  responses: { 200: { description: 'The texts, without their words.', schema: ConsentFormTextList } },
});

export const getConsentForm = defineOperation({
  operationId: 'getConsentForm',
  method: 'GET',
  path: '/v1/consent-forms/{sha256}',
  summary: 'One consent form text by its SHA-256, exactly as signed',
  description:
    'Public. The text is returned exactly as its file holds it; its SHA-256 is the one in the path.',
  tags: ['consents'],
  auth: 'public',
  params: ConsentFormDigestParams,
  responses: {
    200: { description: 'The text.', schema: ConsentFormTextView },
    400: problems[400],
    404: problems[404],
  },
});
