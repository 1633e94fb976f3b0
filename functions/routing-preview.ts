import { getDirectory } from '#shared/api/directory.ts';
import { previewRouting } from '#shared/api/routing.ts';
import { berlinDateOf } from '#shared/domain/consent/calendar.ts';
import { routeReferral } from '#shared/domain/routing/index.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { directorySummary } from '#shared/schemas/directory.ts';
import { previewInput, RoutingRefused, routingPreviewOf } from '#shared/schemas/routing.ts';
import { apiIdentity, runtimeDirectory } from './composition.ts';

/**
 * The routing preview: routes the given facts with the deployment's directory and
 * answers the decision. Nothing is stored; the request is logged only by its
 * operation and status (apiHandler), never its facts. Beside it, the directory's
 * public part for the people's pages (names of places and offices).
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
    route(getDirectory, async () => ({ status: 200, body: directorySummary(runtimeDirectory()) })),
  ],
  apiIdentity,
);
