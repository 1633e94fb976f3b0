import { defineOperation } from '#shared/http/operation.ts';
import {
  OfficeIdParamsSchema,
  OfficeKeyParamsSchema,
  OfficeKeysSchema,
  PublishKeysBodySchema,
  RetireKeyBodySchema,
} from '#shared/schemas/keys.ts';
import { problems, signedBodyProblems } from './responses.ts';

export const publishOfficeKeys = defineOperation({
  operationId: 'publishOfficeKeys',
  method: 'PUT',
  path: '/v1/services/{id}/keys',
  summary: "Publish the office's public keys",
  description:
    'Adds the keys of a JWKS to the office key set; the key named by `current` (default: the last) becomes ' +
    'current, earlier keys stay valid until retired. Only the office itself may publish. ' +
    'Idempotent: publishing the same document again changes nothing.',
  tags: ['keys'],
  auth: ['service'],
  body: PublishKeysBodySchema,
  params: OfficeIdParamsSchema,
  responses: {
    200: { description: 'The key set after publication.', schema: OfficeKeysSchema },
    ...signedBodyProblems,
    404: problems[404],
    409: problems[409],
  },
});

export const retireOfficeKey = defineOperation({
  operationId: 'retireOfficeKey',
  method: 'POST',
  path: '/v1/services/{id}/keys/{kid}/retirement',
  summary: 'Retire one of the office keys',
  description:
    'The key leaves the published JWKS; its kid is never reused. The current key can be retired only with a ' +
    '`successor` that becomes current. Retiring a retired key changes nothing, so no Idempotency-Key is needed.',
  tags: ['keys'],
  auth: ['service'],
  body: RetireKeyBodySchema,
  params: OfficeKeyParamsSchema,
  responses: {
    200: { description: 'The key set after retirement.', schema: OfficeKeysSchema },
    ...signedBodyProblems,
    404: problems[404],
    409: problems[409],
  },
});

export const getOfficeKeys = defineOperation({
  operationId: 'getOfficeKeys',
  method: 'GET',
  path: '/v1/services/{id}/keys',
  summary: "The office's public keys (JWKS) and its current key",
  tags: ['keys'],
  auth: 'public',
  params: OfficeIdParamsSchema,
  responses: {
    200: { description: 'The published keys.', schema: OfficeKeysSchema },
    400: problems[400],
    404: problems[404],
  },
});
