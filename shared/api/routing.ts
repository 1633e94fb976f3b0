import { defineOperation } from '#shared/http/operation.ts';
import { RoutingPreview, RoutingPreviewRequest, RoutingRefusalProblem } from '#shared/schemas/routing.ts';
import { signedBodyProblems } from './responses.ts';

export const previewRouting = defineOperation({
  operationId: 'previewRouting',
  method: 'POST',
  path: '/v1/routing/preview',
  summary: 'Which service office would lead for these facts',
  description:
    'Runs the routing of the deployment’s directory on the facts given, without a referral: nothing is created, stored or logged (hence no Idempotency-Key). Ties are broken without open-referral counts; referral intake uses them, so it may choose another office among equals.',
  tags: ['routing'],
  auth: ['authority'],
  body: RoutingPreviewRequest,
  responses: {
    200: { description: 'The office that would lead, and why.', schema: RoutingPreview },
    ...signedBodyProblems,
    422: {
      description: 'Routing refuses: no office can lead for these facts.',
      schema: RoutingRefusalProblem,
      contentType: 'application/problem+json',
    },
  },
});
