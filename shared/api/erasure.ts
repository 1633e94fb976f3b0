import * as z from 'zod';
import { defineOperation } from '#shared/http/operation.ts';
import { ConsentId } from '#shared/schemas/consent.ts';
import {
  ErasureStatus,
  ReferralIdParams,
  ReferralView,
  RequestErasureRequest,
} from '#shared/schemas/referral.ts';
import { problems, signedBodyProblems } from './responses.ts';

const ConsentPath = z.strictObject({ id: ConsentId });

export const requestErasure = defineOperation({
  operationId: 'requestErasure',
  method: 'POST',
  path: '/v1/consents/{id}/erasure',
  summary: "Record the person's request to erase the data given under a consent (GDPR Art. 17)",
  description:
    "An authority or a data-protection officer records it. Every referral under the consent that is not yet received is revoked; every office that received one (forwarded ones included) is asked on its queue to erase it and confirm; the platform deletes the ciphertexts it still holds at once. Each step is an audit entry (`erasure.requested`, then `referral.erasure-requested` per office: to whom it was communicated, Art. 19). A retry with the same Idempotency-Key and body answers the first 200 again and records nothing; the same key with another body is refused (422 `idempotency-key-reused`). Repeating the request with a new key asks nobody twice. An authority sees in the answer the recipients of its own referrals, a DPO those its scope covers; a consent a scoped DPO's scope does not reach is 404. The body may be `{}`.",
  tags: ['consents'],
  auth: ['authority', 'dpo'],
  idempotencyKey: true,
  params: ConsentPath,
  body: RequestErasureRequest,
  responses: {
    200: { description: 'Who was asked to erase and who confirmed.', schema: ErasureStatus },
    ...signedBodyProblems,
    404: problems[404],
    422: problems[422],
  },
});

export const getErasureStatus = defineOperation({
  operationId: 'getErasureStatus',
  method: 'GET',
  path: '/v1/consents/{id}/erasure',
  summary: 'Which offices were asked to erase the data given under a consent, and which confirmed',
  description:
    "The deployment's data-protection officer sees every recipient, a scoped DPO those its scope covers (a consent its scope does not reach: 404), an authority the recipients of its own referrals. After a withdrawal after receipt or an erasure request; empty when nobody was asked.",
  tags: ['consents'],
  auth: ['authority', 'dpo'],
  params: ConsentPath,
  responses: {
    200: { description: 'The recipients and their confirmations.', schema: ErasureStatus },
    401: problems[401],
    403: problems[403],
    404: problems[404],
  },
});

export const confirmErasure = defineOperation({
  operationId: 'confirmErasure',
  method: 'POST',
  path: '/v1/referrals/{id}/erasure-confirmation',
  summary: "Confirm that the office erased a referral's data",
  description:
    'The office a referral is addressed to confirms, after an erasure request reached it (queue message `referral.erasure-request`), that it erased everything it held of the referral. Reminders stop; the audit log records the confirmation (`referral.erasure-confirmed`). 409 `conflict` with `reason` `no-erasure-request` when none was asked. Confirming again answers the same.',
  tags: ['service offices'],
  auth: ['service'],
  params: ReferralIdParams,
  responses: {
    200: { description: 'The referral with its confirmed erasure.', schema: ReferralView },
    401: problems[401],
    403: problems[403],
    404: problems[404],
    409: problems[409],
  },
});
