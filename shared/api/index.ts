import type { OperationSpec } from '#shared/http/operation.ts';
import * as audit from './audit.ts';
import * as consents from './consents.ts';
import * as directory from './directory.ts';
import * as erasure from './erasure.ts';
import * as keys from './keys.ts';
import * as referrals from './referrals.ts';
import * as routing from './routing.ts';
import * as system from './system.ts';
import * as webPages from './web-pages.ts';

/**
 * Every operation of the HTTP API. The OpenAPI document, the local gateway's route
 * table and the API Gateway resources are all derived from this list, so an
 * operation exists everywhere or nowhere.
 */
export const operations: readonly OperationSpec[] = [
  ...Object.values(system),
  ...Object.values(audit),
  ...Object.values(webPages.WEB_PAGES).flatMap((p) => [p.page, p.file]),
  ...Object.values(keys),
  ...Object.values(consents),
  ...Object.values(routing),
  ...Object.values(directory),
  ...Object.values(referrals),
  ...Object.values(erasure),
];
