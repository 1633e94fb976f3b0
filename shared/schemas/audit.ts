/**
 * The audit API contract: the data-protection officer's (DPO's) operations under
 * /v1/audit. The same schemas validate requests, type the code and generate the
 * OpenAPI document. Entries are the format of docs/audit-format.md, unchanged.
 */
import * as z from 'zod';
import { MerkleFrontierJsonSchema } from '#shared/domain/audit/chain.ts';
import {
  AuditEntryDraftSchema,
  AuditEntrySchema,
  AuditEventSchema,
  DirectoryIdSchema,
  HexHashSchema,
  RecordIdSchema,
  SubjectPseudonymSchema,
} from '#shared/domain/audit/entry.ts';
import { SubjectId } from '#shared/domain/pseudonym.ts';
import { SubjectIdentity } from './consent.ts';

export { SubjectIdentity };

/** The largest page of /v1/audit/events and /v1/audit/entries. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

/** A page size in a query string: 1–500. */
export const PageLimit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, { error: 'must be a whole number from 1 to 500' })
  .transform(Number)
  .pipe(z.number().max(MAX_PAGE, { error: 'must be a whole number from 1 to 500' }))
  .meta({ description: 'Page size, 1–500 (default 100).', example: '100' });

/** An opaque continuation token: base64url, as returned in `nextCursor`. */
export const Cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,2048}$/, { error: 'must be a cursor returned by this operation' })
  .meta({ id: 'AuditCursor', description: 'Opaque; pass back `nextCursor` unchanged to get the next page.' });

/** An instant with an explicit offset (RFC 3339), in a query string. */
const Instant = z.iso.datetime({ offset: true, error: 'must be a date-time with offset (RFC 3339)' });

const SequenceNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { error: 'must be a whole number from 1' })
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER));

export const AuditEntryView = AuditEntrySchema.meta({
  id: 'AuditEntry',
  description: 'A sequenced audit entry (docs/audit-format.md §1).',
});
export const AuditDraftView = AuditEntryDraftSchema.meta({
  id: 'AuditEntryDraft',
  description: 'An audit entry not yet sequenced: no sequence, previousHash or hash yet.',
});

export const AuditEventItem = z
  .strictObject({
    sequenced: z.boolean().meta({
      description:
        'true: the entry is in the hash chain (covered by the next signed checkpoint); false: a draft the sequencer has not reached yet (normally within a minute).',
    }),
    entry: z.union([AuditEntryView, AuditDraftView]),
  })
  .meta({ id: 'AuditEventItem' });
export type AuditEventItem = z.infer<typeof AuditEventItem>;

export const AuditEventsQuery = z
  .strictObject({
    subjectId: SubjectId.optional().meta({ description: 'The subject pseudonym (`sub_…`).' }),
    serviceOfficeId: DirectoryIdSchema.optional(),
    authorityId: DirectoryIdSchema.optional(),
    event: AuditEventSchema.optional(),
    from: Instant.optional().meta({ description: 'Earliest event time, inclusive.' }),
    to: Instant.optional().meta({ description: 'Latest event time, exclusive.' }),
    order: z.enum(['asc', 'desc']).optional().meta({ description: 'By event time; default asc.' }),
    limit: PageLimit.optional(),
    cursor: Cursor.optional(),
  })
  .superRefine((q, ctx) => {
    if (!q.subjectId && !q.serviceOfficeId && !q.authorityId && !q.event) {
      ctx.addIssue({
        code: 'custom',
        path: ['subjectId'],
        message: 'one of subjectId, serviceOfficeId, authorityId or event is required',
      });
    }
    if (q.from && q.to && Date.parse(q.from) >= Date.parse(q.to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    }
  })
  .meta({
    id: 'AuditEventsQuery',
    description:
      'At least one of subjectId, serviceOfficeId, authorityId, event. The first present in that order selects the index; the others filter.',
  });
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;

export const AuditEventsPage = z
  .strictObject({
    items: z.array(AuditEventItem),
    nextCursor: Cursor.optional(),
  })
  .meta({ id: 'AuditEventsPage' });

export const AuditEntriesQuery = z
  .strictObject({
    fromSequence: SequenceNumber.optional().meta({ description: 'First sequence wanted; default 1.' }),
    limit: PageLimit.optional(),
    cursor: Cursor.optional(),
  })
  .meta({ id: 'AuditEntriesQuery' });
export type AuditEntriesQuery = z.infer<typeof AuditEntriesQuery>;

export const AuditEntriesPage = z
  .strictObject({
    items: z.array(AuditEntryView).meta({ description: 'Consecutive entries in chain order.' }),
    headSequence: z.number().int().min(0).meta({ description: 'The chain head when the page was read.' }),
    nextCursor: Cursor.optional(),
  })
  .meta({ id: 'AuditEntriesPage' });

export const SubjectLookupResponse = z
  .strictObject({ subjectId: SubjectPseudonymSchema })
  .meta({ id: 'SubjectLookupResponse' });

export const SubjectIdParams = z.strictObject({ subjectId: SubjectId });

export const AccessReportQuery = z
  .strictObject({
    format: z.enum(['json', 'html']).optional().meta({
      description: 'html: a printable page; default json, or html when the Accept header asks for text/html.',
    }),
    language: z
      .string()
      .regex(/^[a-z]{2}$/, { error: 'must be a language code of two lower-case letters (ISO 639-1)' })
      .optional()
      .meta({
        description:
          'The person’s language (ISO 639-1) for the HTML page: German, then this language where a consent form text exists in it and the report is translated; English otherwise.',
        example: 'en',
      }),
  })
  .meta({ id: 'AccessReportQuery' });

const NullableName = z.string().nullable();

export const ReportRecipient = z
  .strictObject({
    serviceOfficeId: DirectoryIdSchema.nullable(),
    serviceOfficeName: NullableName,
    providerName: NullableName,
    authorityId: DirectoryIdSchema.nullable(),
    referralId: RecordIdSchema.nullable(),
    receivedAt: z.string(),
    dataCategories: z.array(z.string()),
    consentId: RecordIdSchema.nullable(),
    purpose: z.string().nullable(),
    sequence: z.number().int().nullable(),
  })
  .meta({ id: 'AccessReportRecipient' });

export const ReportErasure = z
  .strictObject({
    serviceOfficeId: DirectoryIdSchema.nullable(),
    serviceOfficeName: NullableName,
    providerName: NullableName,
    referralId: RecordIdSchema.nullable(),
    consentId: RecordIdSchema.nullable(),
    reason: z.string().nullable().meta({
      description: '`consent-withdrawn` or `erasure-requested`: why the erasure was communicated.',
    }),
    requestedAt: z
      .string()
      .meta({ description: 'When the erasure was communicated to the office (Art. 19).' }),
    reminders: z.number().int().min(0).meta({ description: 'How often the office was reminded.' }),
    confirmedAt: z
      .string()
      .nullable()
      .meta({ description: 'When the office confirmed the erasure; null while it has not.' }),
  })
  .meta({
    id: 'AccessReportErasure',
    description:
      'One recipient the erasure of the data was communicated to (GDPR Art. 19), and its confirmation.',
  });

export const ReportConsent = z
  .strictObject({
    consentId: RecordIdSchema,
    status: z.enum(['active', 'withdrawn', 'expired']),
    recordedAt: z.string().nullable(),
    authorityId: DirectoryIdSchema.nullable(),
    dataCategories: z.array(z.string()),
    purpose: z.string().nullable(),
    withdrawnAt: z.string().nullable(),
    withdrawalReason: z.string().nullable(),
    expiredAt: z.string().nullable(),
  })
  .meta({ id: 'AccessReportConsent' });

export const AccessReport = z
  .strictObject({
    reportId: RecordIdSchema,
    subjectId: SubjectPseudonymSchema,
    generatedAt: z.string(),
    generatedBy: z.string(),
    recipients: z.array(ReportRecipient),
    consents: z.array(ReportConsent),
    erasures: z.array(ReportErasure).meta({
      description:
        'Every recipient that was asked to erase the data (GDPR Art. 19: to whom the erasure was communicated), oldest first, with when it confirmed.',
    }),
    events: z.array(AuditEventItem),
    signedTreeSize: z.number().int().min(0).meta({
      description: 'Entries up to this sequence are covered by a signed checkpoint.',
    }),
  })
  .meta({
    id: 'AccessReport',
    description:
      'GDPR Art. 15 access report of one subject: the actual recipients of their data (completed transfers), the categories, when, on which consent; every consent and its status.',
  });
export type AccessReport = z.infer<typeof AccessReport>;

export const CheckpointView = z
  .strictObject({
    origin: z.string(),
    treeSize: z.number().int().min(0),
    rootHash: HexHashSchema,
    headHash: HexHashSchema,
    time: z.string(),
    note: z.string().meta({ description: 'The signed note (C2SP signed-note), exactly as signed.' }),
    keyName: z.string(),
    verifierKey: z.string().meta({ description: 'The verifier key of the key that signed it.' }),
    merkleFrontier: MerkleFrontierJsonSchema.meta({
      description: 'The Merkle compact range at treeSize: with treeSize and headHash, an anchor (§8).',
    }),
  })
  .meta({ id: 'AuditCheckpoint' });
export type CheckpointView = z.infer<typeof CheckpointView>;

export const CheckpointsQuery = z
  .strictObject({
    limit: PageLimit.optional(),
    cursor: Cursor.optional(),
    maxTreeSize: SequenceNumber.optional().meta({
      description:
        'Only checkpoints of tree size up to this one (e.g. the anchor at the first retained sequence − 1).',
    }),
  })
  .meta({ id: 'AuditCheckpointsQuery' });

export const CheckpointsPage = z
  .strictObject({ items: z.array(CheckpointView), nextCursor: Cursor.optional() })
  .meta({ id: 'AuditCheckpointsPage' });

export const VerifierKeyView = z
  .strictObject({
    keyName: z.string(),
    signatureType: z.enum(['ed25519', 'ecdsa-p256-sha256']),
    verifierKey: z.string().meta({ description: 'C2SP verifier key: `<name>+<key id>+<base64>`.' }),
    publicKeyPem: z.string(),
    publicKeyJwk: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditVerifierKey' });

export const ExportFormat = z.enum(['ndjson', 'csv']).meta({ id: 'AuditExportFormat' });

export const RecordExportRequest = z
  .strictObject({
    format: ExportFormat,
    fromSequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    toSequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    subjectId: SubjectId.optional().meta({
      description: 'When the export covers one subject only.',
    }),
  })
  .superRefine((r, ctx) => {
    if (r.toSequence !== undefined && r.toSequence < (r.fromSequence ?? 1)) {
      ctx.addIssue({ code: 'custom', path: ['toSequence'], message: 'must not be before fromSequence' });
    }
  })
  .meta({
    id: 'RecordExportRequest',
    description: 'Records, before downloading, that an export is made: range and format.',
  });
export type RecordExportRequest = z.infer<typeof RecordExportRequest>;

export const ExportRecord = z
  .strictObject({
    exportId: RecordIdSchema,
    recordedAt: z.string(),
    format: ExportFormat,
    fromSequence: z.number().int(),
    toSequence: z.number().int().nullable(),
    subjectId: SubjectPseudonymSchema.nullable(),
  })
  .meta({ id: 'AuditExportRecord' });
export type ExportRecord = z.infer<typeof ExportRecord>;

/** The hashes of an RFC 9162 proof, lower-case hex (at most 65). */
const ProofHashes = z.array(HexHashSchema).max(65);

export const InclusionProofQuery = z
  .strictObject({
    sequence: SequenceNumber.meta({ description: 'The entry to prove.' }),
    treeSize: SequenceNumber.optional().meta({
      description: 'The tree size of a signed checkpoint to prove it against; default the newest checkpoint.',
    }),
  })
  .superRefine((q, ctx) => {
    if (q.treeSize !== undefined && q.sequence > q.treeSize) {
      ctx.addIssue({ code: 'custom', path: ['sequence'], message: 'must not be above treeSize' });
    }
  })
  .meta({ id: 'AuditInclusionProofQuery' });
export type InclusionProofQuery = z.infer<typeof InclusionProofQuery>;

export const InclusionProof = z
  .strictObject({
    sequence: z.number().int().min(1),
    treeSize: z.number().int().min(1),
    leafIndex: z.number().int().min(0).meta({ description: 'sequence − 1: the RFC 9162 leaf index.' }),
    entry: AuditEntryView,
    hashes: ProofHashes.meta({
      description:
        'The RFC 9162 inclusion proof (audit path), nearest the leaf first. The leaf hash is `entry.hash`.',
    }),
    checkpoint: CheckpointView,
  })
  .meta({
    id: 'AuditInclusionProof',
    description:
      'Proves that the entry is in the log the signed checkpoint names (docs/audit-format.md §12).',
  });
export type InclusionProof = z.infer<typeof InclusionProof>;

export const ConsistencyProofQuery = z
  .strictObject({
    fromTreeSize: SequenceNumber.meta({ description: 'The tree size of the older signed checkpoint.' }),
    toTreeSize: SequenceNumber.optional().meta({
      description: 'The tree size of the newer signed checkpoint; default the newest checkpoint.',
    }),
  })
  .superRefine((q, ctx) => {
    if (q.toTreeSize !== undefined && q.fromTreeSize > q.toTreeSize) {
      ctx.addIssue({ code: 'custom', path: ['fromTreeSize'], message: 'must not be above toTreeSize' });
    }
  })
  .meta({ id: 'AuditConsistencyProofQuery' });
export type ConsistencyProofQuery = z.infer<typeof ConsistencyProofQuery>;

export const ConsistencyProof = z
  .strictObject({
    fromTreeSize: z.number().int().min(1),
    toTreeSize: z.number().int().min(1),
    hashes: ProofHashes.meta({ description: 'The RFC 9162 consistency proof; empty for equal sizes.' }),
    from: CheckpointView,
    to: CheckpointView,
  })
  .meta({
    id: 'AuditConsistencyProof',
    description:
      'Proves that the log of the older checkpoint is a prefix of the newer one (docs/audit-format.md §12).',
  });
export type ConsistencyProof = z.infer<typeof ConsistencyProof>;
