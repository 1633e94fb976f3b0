import { confirmErasure as erasureOperation } from '#shared/api/erasure.ts';
import {
  getReferralCiphertext as ciphertextOperation,
  acknowledgeReceipt as receiptOperation,
  reportReferralStatus as statusOperation,
} from '#shared/api/referrals.ts';
import { confirmErasureByOffice } from '#shared/application/erasure.ts';
import { acknowledgeReceipt, referralCiphertext, reportStatus } from '#shared/application/service-side.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { type Principal, principalOfKind } from '#shared/identity/principal.ts';
import { apiIdentity, referralDependencies } from './composition.ts';

/** The service office's side of a referral: receipt before decryption, the ciphertext after it, status reports and forwarding. */

const office = (p: Principal | undefined) => principalOfKind(p, 'service');

export const handler = apiHandler(
  [
    route(receiptOperation, async ({ principal, params }) => ({
      status: 200,
      body: await acknowledgeReceipt(referralDependencies(), office(principal), params.id),
    })),
    route(ciphertextOperation, async ({ principal, params }) => ({
      status: 200,
      body: await referralCiphertext(referralDependencies(), office(principal), params.id),
    })),
    route(statusOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await reportStatus(referralDependencies(), office(principal), params.id, body),
    })),
    route(erasureOperation, async ({ principal, params }) => ({
      status: 200,
      body: await confirmErasureByOffice(referralDependencies(), office(principal), params.id),
    })),
  ],
  apiIdentity,
);
