import {
  getOfficeKeys as getOfficeKeysOperation,
  publishOfficeKeys as publishOperation,
  retireOfficeKey as retireOperation,
} from '#shared/api/keys.ts';
import {
  dynamoOfficeKeysPorts,
  getOfficeKeys,
  type OfficeKeysPorts,
  publishOfficeKeys,
  retireOfficeKey,
} from '#shared/application/office-keys.ts';
import { officeById } from '#shared/domain/directory/lookup.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { principalResolver, runtimeConfig, runtimeDirectory } from '#shared/runtime.ts';

/** Key publication of service offices: publish, retire, and the public JWKS. */

let ports: OfficeKeysPorts | undefined;
const officeKeysPorts = (): OfficeKeysPorts => {
  ports ??= dynamoOfficeKeysPorts(
    runtimeConfig(),
    (officeId) => officeById(runtimeDirectory(), officeId) !== undefined,
  );
  return ports;
};

export const handler = apiHandler(
  [
    route(publishOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await publishOfficeKeys(officeKeysPorts(), { principal: principal!, officeId: params.id, body }),
    })),
    route(retireOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await retireOfficeKey(officeKeysPorts(), {
        principal: principal!,
        officeId: params.id,
        kid: params.kid,
        body,
      }),
    })),
    route(getOfficeKeysOperation, async ({ params }) => ({
      status: 200,
      body: await getOfficeKeys(officeKeysPorts(), params.id),
    })),
  ],
  { principals: principalResolver },
);
