import { defineOperation } from '#shared/http/operation.ts';
import { HealthReportSchema, WhoAmISchema } from '#shared/schemas/system.ts';
import { problems } from './responses.ts';

export const getHealth = defineOperation({
  operationId: 'getHealth',
  method: 'GET',
  path: '/health',
  summary: 'The state of the API and each dependency',
  tags: ['system'],
  auth: 'public',
  responses: {
    200: { description: 'All dependencies are up.', schema: HealthReportSchema },
    503: { description: 'At least one dependency is down.', schema: HealthReportSchema },
  },
});

export const getOpenApiDocument = defineOperation({
  operationId: 'getOpenApiDocument',
  method: 'GET',
  path: '/openapi.json',
  summary: 'This API described as OpenAPI 3.1',
  tags: ['system'],
  auth: 'public',
  responses: { 200: { description: 'The OpenAPI document.' } },
});

export const whoAmI = defineOperation({
  operationId: 'whoAmI',
  method: 'GET',
  path: '/v1/whoami',
  summary: 'The principal the credential of this request stands for',
  description: 'Lets a client check its credential and its mapping to a directory principal.',
  tags: ['system'],
  auth: ['authority', 'service', 'dpo', 'operator'],
  responses: {
    200: { description: 'The principal.', schema: WhoAmISchema },
    401: problems[401],
    403: problems[403],
  },
});
