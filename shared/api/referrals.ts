import { defineOperation } from '#shared/http/operation.ts';
import { ProblemSchema } from '#shared/schemas/problem.ts';
import {
  ReferralAccepted,
  ReferralCiphertext,
  ReferralFeedPage,
  ReferralFeedQuery,
  ReferralIdParams,
  ReferralView,
  ReportStatusRequest,
  SubmitReferralRequest,
} from '#shared/schemas/referral.ts';
import { problems, signedBodyProblems } from './responses.ts';

export const submitReferral = defineOperation({
  operationId: 'submitReferral',
  method: 'POST',
  path: '/v1/referrals',
  summary: 'Refer a person, with their consent, to the responsible counselling service',
  description:
    'Checks the consent (active, this person, every data category present, the purpose, the recipient), routes to one lead service office, encrypts the person data to that office (JWE) and accepts the referral; the notification reaches the office queue asynchronously. A refusal is answered with a problem naming the reason and is recorded in the audit log.',
  tags: ['referrals'],
  auth: ['authority'],
  idempotencyKey: true,
  maxBodyBytes: 32 * 1024,
  body: SubmitReferralRequest,
  responses: {
    202: {
      description:
        'Accepted: the referral id, the service office with its public contact, and why it was chosen.',
      schema: ReferralAccepted,
    },
    ...signedBodyProblems,
    409: {
      description:
        'The consent is withdrawn, the person already has an open referral (`existingReferralId`), or the office has no key.',
      schema: ProblemSchema,
      contentType: 'application/problem+json',
    },
    422: problems[422],
  },
});

export const listReferrals = defineOperation({
  operationId: 'listReferrals',
  method: 'GET',
  path: '/v1/referrals',
  summary: "The caller's referrals, newest change first: the feed",
  description:
    "An authority gets the referrals it sent, a service office the referrals addressed to it; nobody else's. Filtered by status (one or several) and by `changedSince`, paged with an opaque cursor. Each item is the referral as `GET /v1/referrals/{id}` answers it: status, history, next deadline and the office's public contact — metadata only, never personal data.",
  tags: ['referrals'],
  auth: ['authority', 'service'],
  query: ReferralFeedQuery,
  responses: {
    200: { description: 'A page of referrals.', schema: ReferralFeedPage },
    400: problems[400],
    401: problems[401],
    403: problems[403],
  },
});

export const getReferral = defineOperation({
  operationId: 'getReferral',
  method: 'GET',
  path: '/v1/referrals/{id}',
  summary: 'A referral with its status history',
  description:
    'Visible to the authority that sent it and to the service office it is addressed to; 404 for everyone else.',
  tags: ['referrals'],
  auth: ['authority', 'service'],
  params: ReferralIdParams,
  responses: {
    200: { description: 'The referral.', schema: ReferralView },
    401: problems[401],
    403: problems[403],
    404: problems[404],
  },
});

export const acknowledgeReceipt = defineOperation({
  operationId: 'acknowledgeReceipt',
  method: 'POST',
  path: '/v1/referrals/{id}/receipt',
  summary: 'Acknowledge a notification before decrypting it',
  description:
    'Records the receipt (the transfer is then complete) and answers the referral. 410 when the referral was revoked or expired: discard the message unread. Idempotent.',
  tags: ['service offices'],
  auth: ['service'],
  params: ReferralIdParams,
  responses: {
    200: { description: 'Received; the referral.', schema: ReferralView },
    401: problems[401],
    403: problems[403],
    404: problems[404],
    410: problems[410],
  },
});

export const getReferralCiphertext = defineOperation({
  operationId: 'getReferralCiphertext',
  method: 'GET',
  path: '/v1/referrals/{id}/ciphertext',
  summary: 'The encrypted referral (JWE), after the receipt',
  description:
    "For an office that reads its referrals without its queue (the office's web page): the JWE the queue message carries, to decrypt with the office's private key. Only after the receipt (`POST …/receipt` first: 409 `conflict` with `reason` `not-received` before it), 410 when the referral was revoked or expired or its ciphertext was deleted (7 days after receipt; `reason` `ciphertext-deleted`).",
  tags: ['service offices'],
  auth: ['service'],
  params: ReferralIdParams,
  responses: {
    200: { description: 'The JWE and the kid it is encrypted to.', schema: ReferralCiphertext },
    401: problems[401],
    403: problems[403],
    404: problems[404],
    409: problems[409],
    410: problems[410],
  },
});

export const reportReferralStatus = defineOperation({
  operationId: 'reportReferralStatus',
  method: 'POST',
  path: '/v1/referrals/{id}/status',
  summary: 'Report contact made, closed or declined (optionally forwarded to another office)',
  description:
    "Declining with `forwardTo` forwards the referral: the office re-submits the person data it decrypted (`person`, optional `note`); the platform checks that it is the same person, that the consent covers the new office and every data category sent, and that the office serves the person's municipality, then encrypts it to the new office and declines the old referral in one step. The answer is the old referral with `forwardedTo`; repeating the same request answers the same. Refusals name a `reason` and are recorded in the audit log.",
  tags: ['service offices'],
  auth: ['service'],
  params: ReferralIdParams,
  body: ReportStatusRequest,
  responses: {
    200: { description: 'The referral after the change.', schema: ReferralView },
    ...signedBodyProblems,
    404: problems[404],
    409: problems[409],
    422: problems[422],
  },
});
