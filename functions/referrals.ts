import {
  getReferral as getReferralOperation,
  submitReferral as submitReferralOperation,
} from '#shared/api/referrals.ts';
import { getReferral, submitReferral } from '#shared/application/referrals.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalOfKind } from '#shared/identity/principal.ts';
import { apiIdentity, referralDependencies } from './composition.ts';

/** Referral intake and reading a referral's status. */
export const handler = apiHandler(
  [
    route(submitReferralOperation, async ({ principal, body, idempotencyKey }) => ({
      status: 202,
      body: await submitReferral(
        referralDependencies(),
        principalOfKind(principal, 'authority'),
        body,
        idempotencyKey!,
      ),
    })),
    route(getReferralOperation, async ({ principal, params }) => ({
      status: 200,
      body: await getReferral(referralDependencies(), principal!, params.id),
    })),
  ],
  apiIdentity,
);
