/**
 * Whether a consent covers a transfer: used at referral intake, before any personal data
 * moves. A transfer is covered only if the consent is active, the receiving office is in
 * scope (by its service type or its provider), the purpose is listed, and every data
 * category the transfer carries is consented.
 */
import type { DataCategory, Purpose } from '#shared/domain/data-categories.ts';
import type { SubjectId } from '#shared/domain/pseudonym.ts';
import type { ConsentRecord } from './record.ts';
import { consentStatus } from './status.ts';

export interface TransferRequest {
  /** When given, the consent must be this person's. */
  readonly subjectId?: SubjectId | undefined;
  /** Service type of the receiving office, e.g. `MBE`. */
  readonly serviceType: string;
  /** Provider (directory id) running the receiving office. */
  readonly providerId: string;
  readonly purpose: Purpose;
  /** Every category the transfer carries. */
  readonly dataCategories: readonly DataCategory[];
}

export const COVERAGE_REFUSALS = {
  'consent-withdrawn': 'the consent has been withdrawn',
  'consent-expired': 'the consent has expired',
  'subject-mismatch': 'the consent was given by another person',
  'recipient-not-in-scope':
    'neither the service type nor the provider of the recipient is in the scope of the consent',
  'purpose-not-covered': 'the purpose is not one the consent names',
  'data-categories-not-covered': 'the transfer carries data categories the consent does not name',
} as const;
export type CoverageRefusal = keyof typeof COVERAGE_REFUSALS;

export type CoverageResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reasons: readonly CoverageRefusal[];
      /** Each category the transfer carries but the consent does not name, once. */
      readonly uncoveredCategories: readonly DataCategory[];
    };

export function coverage(record: ConsentRecord, transfer: TransferRequest, now: Date): CoverageResult {
  const reasons: CoverageRefusal[] = [];
  const status = consentStatus(record, now);
  if (status === 'withdrawn') reasons.push('consent-withdrawn');
  if (status === 'expired') reasons.push('consent-expired');
  if (transfer.subjectId !== undefined && transfer.subjectId !== record.subjectId)
    reasons.push('subject-mismatch');
  const inScope =
    record.scope.serviceTypes.includes(transfer.serviceType) ||
    record.scope.providerIds.includes(transfer.providerId);
  if (!inScope) reasons.push('recipient-not-in-scope');
  if (!record.purposes.includes(transfer.purpose)) reasons.push('purpose-not-covered');
  const uncoveredCategories = [...new Set(transfer.dataCategories)].filter(
    (category) => !record.dataCategories.includes(category),
  );
  if (uncoveredCategories.length > 0) reasons.push('data-categories-not-covered');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons, uncoveredCategories };
}
