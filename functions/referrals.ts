import { ReferralStore } from '#shared/adapters/referral-store.ts';
import { pseudonymSecret } from '#shared/adapters/secrets.ts';
import {
  getReferral as getReferralOperation,
  submitReferral as submitReferralOperation,
} from '#shared/api/referrals.ts';
import { getReferral, submitReferral } from '#shared/application/referrals.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { officeById } from '#shared/domain/directory/index.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalOfKind } from '#shared/identity/principal.ts';
import { officeQueue } from '#shared/resources.ts';
import { principalResolver, runtimeConfig, runtimeDirectory } from '#shared/runtime.ts';

/** Referral intake and reading a referral's status. */

let deps: Parameters<typeof submitReferral>[0] | undefined;
function dependencies() {
  if (!deps) {
    const config = runtimeConfig();
    const directory = runtimeDirectory();
    deps = {
      store: new ReferralStore(config),
      directory,
      clock: systemClock,
      secret: pseudonymSecret,
      queueNameFor: (officeId) => officeQueue(config.stage, officeById(directory, officeId)!).name,
    };
  }
  return deps;
}

export const handler = apiHandler(
  [
    route(submitReferralOperation, async ({ principal, body, idempotencyKey }) =>
      submitReferral(dependencies(), principalOfKind(principal, 'authority'), body, idempotencyKey!),
    ),
    route(getReferralOperation, async ({ principal, params }) => ({
      status: 200,
      body: await getReferral(dependencies(), principal!, params.id),
    })),
  ],
  { principals: principalResolver },
);
