import {
  getReferral as getReferralOperation,
  listReferrals as listReferralsOperation,
  submitReferral as submitReferralOperation,
} from '#shared/api/referrals.ts';
import { listReferrals } from '#shared/application/referral-feed.ts';
import { getReferral, submitReferral } from '#shared/application/referrals.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalOfKind } from '#shared/identity/principal.ts';
import { apiIdentity, referralDependencies } from './composition.ts';

/** Referral intake, reading a referral's status, and the feed of the caller's referrals. */
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
    route(listReferralsOperation, async ({ principal, query }) => ({
      status: 200,
      body: await listReferrals(referralDependencies(), principal!, query),
    })),
  ],
  apiIdentity,
);
