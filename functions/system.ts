import { probeQueue, probeTables } from '#shared/adapters/health-probes.ts';
import { operations } from '#shared/api/index.ts';
import { buildOpenApiDocument } from '#shared/api/openapi.ts';
import { getHealth, getOpenApiDocument, whoAmI } from '#shared/api/system.ts';
import { queueUrl } from '#shared/config.ts';
import { unitNameOf } from '#shared/domain/directory/index.ts';
import { SIGN_IN_ENVIRONMENT } from '#shared/function-environment.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { formatPrincipal } from '#shared/identity/principal.ts';
import { officeQueue, tableName, tables } from '#shared/resources.ts';
import { apiIdentity, runtimeConfig, runtimeDirectory } from './composition.ts';

/** System operations: health, the OpenAPI document, and the caller's principal. */

let openApiDocument: string | undefined;

export const handler = apiHandler(
  [
    route(getHealth, async () => {
      const config = runtimeConfig();
      const directory = runtimeDirectory();
      const firstOffice = directory.serviceOffices[0];
      const [dynamodb, sqs] = await Promise.all([
        probeTables(tables.map((t) => tableName(config.stage, t))),
        firstOffice
          ? probeQueue(queueUrl(config, officeQueue(config.stage, firstOffice).name))
          : Promise.resolve({
              status: 'down' as const,
              latencyMs: 0,
              detail: 'no service office in the directory',
            }),
      ]);
      const ok = dynamodb.status === 'up' && sqs.status === 'up';
      return {
        status: ok ? 200 : 503,
        body: {
          status: ok ? 'ok' : 'degraded',
          stage: config.stage,
          directoryVersion: directory.version,
          dependencies: { dynamodb, sqs },
        },
      };
    }),
    route(getOpenApiDocument, async (req) => {
      const signInIssuer = process.env[SIGN_IN_ENVIRONMENT.issuer];
      openApiDocument ??= JSON.stringify(
        buildOpenApiDocument(operations, {
          version: process.env.REX_VERSION ?? '0.1.0',
          ...(signInIssuer ? { signInIssuer } : {}),
        }),
      );
      return {
        status: 200,
        body: openApiDocument,
        headers: { 'cache-control': 'public, max-age=300' },
        contentType: req.headers.accept?.includes('application/vnd.oai.openapi+json')
          ? 'application/vnd.oai.openapi+json'
          : 'application/json',
      };
    }),
    route(whoAmI, async ({ principal }) => {
      const p = principal!;
      const name = unitNameOf(runtimeDirectory(), p);
      return {
        status: 200,
        body: {
          principal: formatPrincipal(p),
          kind: p.kind,
          ...(name ? { name } : {}),
          person: p.personId !== undefined,
        },
      };
    }),
  ],
  apiIdentity,
);
