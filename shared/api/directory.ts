import { defineOperation } from '#shared/http/operation.ts';
import { DirectorySummary } from '#shared/schemas/directory.ts';
import { problems } from './responses.ts';

export const getDirectory = defineOperation({
  operationId: 'getDirectory',
  method: 'GET',
  path: '/v1/directory',
  summary:
    "The directory's public part: municipalities, authorities, providers, service offices, routing rules",
  description:
    "What the people's pages show by name: municipalities (AGS and name), service types, authorities, and the service offices with the places they serve, their languages and public contact — e.g. to choose an office to forward a referral to — and the providers and routing rules, to offer the person's choice of provider and explain a routing decision in words. Never the directory's people, credentials or queues.",
  tags: ['directory'],
  auth: ['authority', 'service', 'dpo'],
  responses: {
    200: { description: "The directory's public part.", schema: DirectorySummary },
    401: problems[401],
    403: problems[403],
  },
});
