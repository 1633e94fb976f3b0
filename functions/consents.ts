import { DynamoConsentStore } from '#shared/adapters/consent-store.ts';
import { pseudonymSecret } from '#shared/adapters/secrets.ts';
import { getConsent, recordConsent, withdrawConsent } from '#shared/api/consents.ts';
import { ConsentService } from '#shared/application/consents.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalResolver, runtimeConfig } from '#shared/runtime.ts';

/** The consent registry: record, read and withdraw consents (docs/consent.md). */

let service: ConsentService | undefined;

function consents(): ConsentService {
  const { recordsTable, auditTable } = runtimeConfig();
  service ??= new ConsentService({
    store: new DynamoConsentStore({ recordsTable, auditTable }),
    secret: () => pseudonymSecret(),
  });
  return service;
}

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
  { principals: principalResolver },
);
