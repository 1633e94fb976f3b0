import { getConsent, recordConsent, withdrawConsent } from '#shared/api/consents.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { apiIdentity, consentService } from './composition.ts';

/** The consent registry: record, read and withdraw consents (docs/consent.md). */

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
  ],
  apiIdentity,
);
