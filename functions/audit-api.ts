import { deploymentConsentForms } from '#shared/adapters/consent-forms.ts';
import {
  getAccessReport,
  getAuditConsistencyProof,
  getAuditInclusionProof,
  getAuditVerifierKey,
  getLatestAuditCheckpoint,
  getRecordOfProcessing,
  listAuditCheckpoints,
  listAuditEntries,
  lookupAuditSubject,
  queryAuditEvents,
  recordAuditExport,
} from '#shared/api/audit.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { authorityById } from '#shared/domain/directory/lookup.ts';
import { recordOfProcessing } from '#shared/domain/record-of-processing.ts';
import { retentionFromEnvironment } from '#shared/domain/retention.ts';
import { renderAccessReportHtml } from '#shared/http/access-report-html.ts';
import { apiHandler, route } from '#shared/http/api-handler.ts';
import { wantsHtml } from '#shared/http/html-document.ts';
import { renderRecordOfProcessingHtml } from '#shared/http/record-of-processing-html.ts';
import { actorOf, type Principal } from '#shared/identity/principal.ts';
import { apiIdentity, auditDependencies, runtimeDirectory } from './composition.ts';

/** The data-protection officer's operations on the audit log (docs/dpo-guide.md). */

const service = () => auditDependencies().service;

/** The DPO scope of the caller (every operation here admits DPO principals only). */
const scopeOf = (p: Principal | undefined): string => (p?.kind === 'dpo' ? p.scope : '');

export const handler = apiHandler(
  [
    route(queryAuditEvents, async ({ query, principal }) => ({
      status: 200,
      body: await service().queryEvents(query, scopeOf(principal)),
    })),
    route(listAuditEntries, async ({ query, principal }) => ({
      status: 200,
      body: await service().entries(query, scopeOf(principal)),
    })),
    route(
      lookupAuditSubject,
      async ({ body, principal }) => ({
        status: 200,
        body: await service().lookupSubject(body, scopeOf(principal)),
      }),
      { admit: (principal) => service().admitSubjectLookup(scopeOf(principal)) },
    ),
    route(getAccessReport, async ({ params, query, principal, headers }) => {
      const report = await service().accessReport(params.subjectId, actorOf(principal!), scopeOf(principal));
      if (!wantsHtml(query.format, headers.accept)) return { status: 200, body: report };
      const html = renderAccessReportHtml(report, {
        authorityName: (id) => authorityById(runtimeDirectory(), id)?.name,
        language: query.language,
        formLanguages: deploymentConsentForms()
          .all()
          .map((text) => text.language),
        retention: retentionFromEnvironment(),
      });
      return {
        status: 200,
        body: html,
        contentType: 'text/html; charset=utf-8',
      };
    }),
    route(getRecordOfProcessing, async ({ query, headers }) => {
      // The retention the functions enforce (the stack sets it from the directory).
      const record = recordOfProcessing(runtimeDirectory(), systemClock.now(), retentionFromEnvironment());
      return wantsHtml(query.format, headers.accept)
        ? {
            status: 200,
            body: renderRecordOfProcessingHtml(record),
            contentType: 'text/html; charset=utf-8',
          }
        : { status: 200, body: record };
    }),
    route(listAuditCheckpoints, async ({ query }) => ({
      status: 200,
      body: await service().checkpoints(query),
    })),
    route(getLatestAuditCheckpoint, async () => ({ status: 200, body: await service().latestCheckpoint() })),
    route(getAuditInclusionProof, async ({ query, principal }) => ({
      status: 200,
      body: await service().inclusionProof(query, scopeOf(principal)),
    })),
    route(getAuditConsistencyProof, async ({ query }) => ({
      status: 200,
      body: await service().consistencyProof(query),
    })),
    route(getAuditVerifierKey, async () => ({
      status: 200,
      body: await service().verifierKey(),
      headers: { 'cache-control': 'public, max-age=300' },
    })),
    route(recordAuditExport, async ({ body, principal, idempotencyKey }) => {
      const result = await service().recordExport(body, actorOf(principal!), idempotencyKey!);
      return { status: result.status, body: result.body };
    }),
  ],
  apiIdentity,
);
