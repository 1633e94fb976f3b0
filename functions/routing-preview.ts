import { getRoutingDirectory, previewRouting } from '#shared/api/routing.ts';
import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { routeReferral } from '#shared/domain/routing/index.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import {
  previewInput,
  RoutingRefused,
  routingDirectoryOf,
  routingPreviewOf,
} from '#shared/schemas/routing.ts';
import { apiIdentity, runtimeDirectory } from './composition.ts';

/**
 * The routing preview: routes the given facts with the deployment's directory and
 * answers the decision; and the directory's public routing facts for the pages. Nothing is stored; the request is logged only by its
 * operation and status (apiHandler), never its facts.
 */
export const handler = apiHandler(
  [
    route(previewRouting, async ({ body }) => {
      const directory = runtimeDirectory();
      const input = previewInput(body, berlinDateOf(new Date()));
      const decision = routeReferral(input, directory);
      if (decision.kind === 'refused') throw new RoutingRefused(decision, input.referralDate);
      return { status: 200, body: routingPreviewOf(decision, directory, input.referralDate) };
    }),
    route(getRoutingDirectory, async () => ({ status: 200, body: routingDirectoryOf(runtimeDirectory()) })),
  ],
  apiIdentity,
);
