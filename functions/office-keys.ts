import {
  getOfficeKeys as getOfficeKeysOperation,
  publishOfficeKeys as publishOperation,
  retireOfficeKey as retireOperation,
} from '#shared/api/keys.ts';
import { getOfficeKeys, publishOfficeKeys, retireOfficeKey } from '#shared/application/office-keys.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { apiIdentity, officeKeysDependencies } from './composition.ts';

/** Key publication of service offices: publish, retire, and the public JWKS. */

export const handler = apiHandler(
  [
    route(publishOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await publishOfficeKeys(officeKeysDependencies(), {
        principal: principal!,
        officeId: params.id,
        body,
      }),
    })),
    route(retireOperation, async ({ principal, params, body }) => ({
      status: 200,
      body: await retireOfficeKey(officeKeysDependencies(), {
        principal: principal!,
        officeId: params.id,
        kid: params.kid,
        body,
      }),
    })),
    route(getOfficeKeysOperation, async ({ params }) => ({
      status: 200,
      body: await getOfficeKeys(officeKeysDependencies(), params.id),
    })),
  ],
  apiIdentity,
);
