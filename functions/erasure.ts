import { confirmErasure, getErasureStatus, requestErasure } from '#shared/api/erasure.ts';
import { confirmErasureByOffice, erasureStatus, recordErasureRequest } from '#shared/application/erasure.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalOfKind } from '#shared/identity/principal.ts';
import { apiIdentity, referralDependencies } from './composition.ts';

/** Erasure after receipt (docs/consent.md): requests by authorities and DPOs, their status, offices' confirmations. */

export const handler = apiHandler(
  [
    route(requestErasure, async ({ principal, params, body }) => ({
      status: 200,
      body: await recordErasureRequest(referralDependencies(), principal!, params.id, body),
    })),
    route(getErasureStatus, async ({ principal, params }) => ({
      status: 200,
      body: await erasureStatus(referralDependencies(), principal!, params.id),
    })),
    route(confirmErasure, async ({ principal, params }) => ({
      status: 200,
      body: await confirmErasureByOffice(
        referralDependencies(),
        principalOfKind(principal, 'service'),
        params.id,
      ),
    })),
  ],
  apiIdentity,
);
