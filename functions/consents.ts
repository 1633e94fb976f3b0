import { getConsent, recordConsent, withdrawConsent } from '#shared/api/consents.ts';
import { getErasureStatus, requestErasure } from '#shared/api/erasure.ts';
import { erasureStatus, recordErasureRequest } from '#shared/application/erasure.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { apiIdentity, consentService, referralDependencies } from './composition.ts';

/** The consent registry: record, read and withdraw consents; erasure requests and who confirmed (docs/consent.md). */

const consents = consentService;

export const handler = apiHandler(
  [
    route(recordConsent, async ({ principal, idempotencyKey, body }) =>
      consents().record({ principal: principal!, idempotencyKey: idempotencyKey!, body }),
    ),
    route(getConsent, async ({ principal, params }) => ({
      status: 200,
      body: await consents().get({ principal: principal!, id: params.id }),
    })),
    route(withdrawConsent, async ({ principal, params, body }) => ({
      status: 200,
      body: await consents().withdraw({ principal: principal!, id: params.id, body }),
    })),
    route(requestErasure, async ({ principal, params, body }) => ({
      status: 200,
      body: await recordErasureRequest(referralDependencies(), principal!, params.id, body),
    })),
    route(getErasureStatus, async ({ principal, params }) => ({
      status: 200,
      body: await erasureStatus(referralDependencies(), principal!, params.id),
    })),
  ],
  apiIdentity,
);
