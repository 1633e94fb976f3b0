import { ReferralStore } from '#shared/adapters/referral-store.ts';
import { pseudonymSecret } from '#shared/adapters/secrets.ts';
import {
  acknowledgeReceipt as receiptOperation,
  reportReferralStatus as statusOperation,
} from '#shared/api/referrals.ts';
import {
  acknowledgeReceipt,
  reportStatus,
  type ServiceSideDependencies,
} from '#shared/application/service-side.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { officeById } from '#shared/domain/directory/index.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { type Principal, principalOfKind } from '#shared/identity/principal.ts';
import { officeQueue } from '#shared/resources.ts';
import { principalResolver, runtimeConfig, runtimeDirectory } from '#shared/runtime.ts';

/** The service office's side of a referral: receipt before decryption, status reports and forwarding. */

let deps: ServiceSideDependencies | undefined;
function dependencies(): ServiceSideDependencies {
  if (!deps) {
    const config = runtimeConfig();
    const directory = runtimeDirectory();
    const store = new ReferralStore(config);
    const queueNameFor = (officeId: string) =>
      officeQueue(config.stage, officeById(directory, officeId)!).name;
    deps = {
      store,
      directory,
      clock: systemClock,
      secret: pseudonymSecret,
      queueNameFor,
      delivery: { store, clock: systemClock, queueNameFor },
    };
  }
  return deps;
}

const office = (p: Principal | undefined) => principalOfKind(p, 'service');

export const handler = apiHandler(
  [
    route(receiptOperation, async ({ principal, params }) => ({
      status: 200,
      body: await acknowledgeReceipt(dependencies(), office(principal), params.id),
    })),
    route(statusOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await reportStatus(dependencies(), office(principal), params.id, body),
    })),
  ],
  { principals: principalResolver },
);
