import type { ConsentRecord } from '#shared/domain/consent/record.ts';
import { consentStatus } from '#shared/domain/consent/status.ts';
import type { ConsentView } from '#shared/schemas/consent.ts';

/** The API view of a record, with its status evaluated at `now`. */
export function consentView(record: ConsentRecord, now: Date): ConsentView {
  return {
    id: record.id,
    subjectId: record.subjectId,
    givenBy: { role: record.givenByRole },
    givenAt: record.givenAt,
    ...(record.validUntil !== undefined && { validUntil: record.validUntil }),
    recordedBy: record.recordedBy,
    recordedAt: record.createdAt,
    scope: { serviceTypes: [...record.scope.serviceTypes], providerIds: [...record.scope.providerIds] },
    purposes: [...record.purposes],
    dataCategories: [...record.dataCategories],
    evidence: { ...record.evidence },
    status: consentStatus(record, now),
    ...(record.withdrawnAt !== undefined && { withdrawnAt: record.withdrawnAt }),
    ...(record.withdrawnBy !== undefined && { withdrawnBy: record.withdrawnBy }),
    ...(record.withdrawalReason !== undefined && { withdrawalReason: record.withdrawalReason }),
  };
}
