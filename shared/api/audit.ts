import * as z from 'zod';
import { defineOperation } from '#shared/http/operation.ts';
import {
  AccessReport,
  AccessReportQuery,
  AuditEntriesPage,
  AuditEntriesQuery,
  AuditEventsPage,
  AuditEventsQuery,
  CheckpointsPage,
  CheckpointsQuery,
  CheckpointView,
  ConsistencyProof,
  ConsistencyProofQuery,
  ExportRecord,
  InclusionProof,
  InclusionProofQuery,
  RecordExportRequest,
  SubjectIdentity,
  SubjectIdParams,
  SubjectLookupResponse,
  VerifierKeyView,
} from '#shared/schemas/audit.ts';
import { RecordOfProcessing, RecordOfProcessingQuery } from '#shared/schemas/record-of-processing.ts';
import { problems, signedBodyProblems } from './responses.ts';

/** The data-protection officer's operations (docs/dpo-guide.md). Only `dpo` principals may call them. */

const DPO = ['dpo'] as const;
const signedGetProblems = { 400: problems[400], 401: problems[401], 403: problems[403] } as const;

export const queryAuditEvents = defineOperation({
  operationId: 'queryAuditEvents',
  method: 'GET',
  path: '/v1/audit/events',
  summary: 'Audit entries of a subject, service office, authority or event, by time',
  description:
    'Served from an index (never a scan). Chained entries only: an event is listed once the sequencer has put it into the chain. Entries past their retention are left out.',
  tags: ['audit'],
  auth: DPO,
  query: AuditEventsQuery,
  responses: { 200: { description: 'A page of entries.', schema: AuditEventsPage }, ...signedGetProblems },
});

export const listAuditEntries = defineOperation({
  operationId: 'listAuditEntries',
  method: 'GET',
  path: '/v1/audit/entries',
  summary: 'Sequenced entries in chain order: the export feed',
  description:
    'Consecutive entries from `fromSequence` (or the cursor) up to the chain head. A page never spans a missing sequence.',
  tags: ['audit'],
  auth: DPO,
  query: AuditEntriesQuery,
  responses: { 200: { description: 'A page of entries.', schema: AuditEntriesPage }, ...signedGetProblems },
});

export const lookupAuditSubject = defineOperation({
  operationId: 'lookupAuditSubject',
  method: 'POST',
  path: '/v1/audit/subjects/lookup',
  summary: 'The subject id (pseudonym) of a person',
  description:
    'Computes the pseudonym from the AZR number, or from names, date of birth and nationality. Nothing is stored or logged.',
  tags: ['audit'],
  auth: DPO,
  body: SubjectIdentity,
  responses: {
    200: { description: 'The subject id.', schema: SubjectLookupResponse },
    ...signedBodyProblems,
  },
});

export const getAccessReport = defineOperation({
  operationId: 'getAccessReport',
  method: 'GET',
  path: '/v1/audit/subjects/{subjectId}/report',
  summary: 'The GDPR Art. 15 access report of a subject',
  description:
    'Recipients that received the data, categories, times, consents and their status. JSON, or a printable HTML page (`Accept: text/html` or `format=html`). Logged as `report.generated`.',
  tags: ['audit'],
  auth: DPO,
  params: SubjectIdParams,
  query: AccessReportQuery,
  responses: {
    200: {
      description: 'The report: JSON, or a printable page with `format=html` or `Accept: text/html`.',
      schema: AccessReport,
      alternatives: { 'text/html': { schema: z.string().meta({ description: 'A printable HTML page.' }) } },
    },
    ...signedGetProblems,
  },
});

export const listAuditCheckpoints = defineOperation({
  operationId: 'listAuditCheckpoints',
  method: 'GET',
  path: '/v1/audit/checkpoints',
  summary: 'Signed checkpoints, newest first',
  tags: ['audit'],
  auth: DPO,
  query: CheckpointsQuery,
  responses: {
    200: { description: 'A page of checkpoints.', schema: CheckpointsPage },
    ...signedGetProblems,
  },
});

export const getLatestAuditCheckpoint = defineOperation({
  operationId: 'getLatestAuditCheckpoint',
  method: 'GET',
  path: '/v1/audit/checkpoints/latest',
  summary: 'The newest signed checkpoint',
  tags: ['audit'],
  auth: DPO,
  responses: {
    200: { description: 'The checkpoint with its signed note and verifier key.', schema: CheckpointView },
    401: problems[401],
    403: problems[403],
    404: problems[404],
  },
});

export const getAuditVerifierKey = defineOperation({
  operationId: 'getAuditVerifierKey',
  method: 'GET',
  path: '/v1/audit/verifier-key',
  summary: 'The public key that signs checkpoints',
  description:
    'Public: a public key is no secret, and anyone holding an export may verify it. Pin it from a channel independent of this API as well (docs/dpo-guide.md).',
  tags: ['audit'],
  auth: 'public',
  responses: { 200: { description: 'The verifier key, PEM and JWK.', schema: VerifierKeyView } },
});

export const recordAuditExport = defineOperation({
  operationId: 'recordAuditExport',
  method: 'POST',
  path: '/v1/audit/exports',
  summary: 'Record that an export of the log is made',
  description: 'Writes `export.made` and an export record (range, format); call it before downloading.',
  tags: ['audit'],
  auth: DPO,
  body: RecordExportRequest,
  idempotencyKey: true,
  responses: {
    201: { description: 'The export is recorded.', schema: ExportRecord },
    ...signedBodyProblems,
    422: problems[422],
  },
});

export const getAuditInclusionProof = defineOperation({
  operationId: 'getAuditInclusionProof',
  method: 'GET',
  path: '/v1/audit/proofs/inclusion',
  summary: 'RFC 9162 inclusion proof of an entry against a signed checkpoint',
  description:
    'The entry, the signed checkpoint (the newest, or the one of `treeSize`) and the audit path from the entry hash to its root: verifiable without the rest of the log. 400 when `treeSize` is not the size of a signed checkpoint; 404 when the entry is past its retention.',
  tags: ['audit'],
  auth: DPO,
  query: InclusionProofQuery,
  responses: {
    200: { description: 'The proof.', schema: InclusionProof },
    ...signedGetProblems,
    404: problems[404],
    503: problems[503],
  },
});

export const getAuditConsistencyProof = defineOperation({
  operationId: 'getAuditConsistencyProof',
  method: 'GET',
  path: '/v1/audit/proofs/consistency',
  summary: 'RFC 9162 consistency proof between two signed checkpoints',
  description:
    'Proves that the log of the checkpoint of `fromTreeSize` (e.g. one kept from an earlier verification) is a prefix of the checkpoint of `toTreeSize` (default the newest): the log only grew. 400 when a size is not that of a signed checkpoint.',
  tags: ['audit'],
  auth: DPO,
  query: ConsistencyProofQuery,
  responses: {
    200: { description: 'The proof with both checkpoints.', schema: ConsistencyProof },
    ...signedGetProblems,
    404: problems[404],
    503: problems[503],
  },
});

export const getRecordOfProcessing = defineOperation({
  operationId: 'getRecordOfProcessing',
  method: 'GET',
  path: '/v1/audit/record-of-processing',
  summary: 'The record of processing activities (Art. 30 GDPR)',
  description:
    'Generated from the directory and the deployment: controllers and processors, purposes, categories of data subjects and of personal data, recipients, retention as implemented, technical and organisational measures. German first, English beside it. JSON, or a printable HTML page (`Accept: text/html` or `format=html`).',
  tags: ['audit'],
  auth: DPO,
  query: RecordOfProcessingQuery,
  responses: {
    200: {
      description: 'The record: JSON, or a printable page with `format=html` or `Accept: text/html`.',
      schema: RecordOfProcessing,
      alternatives: { 'text/html': { schema: z.string().meta({ description: 'A printable HTML page.' }) } },
    },
    ...signedGetProblems,
  },
});
