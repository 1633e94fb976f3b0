import type { ConsentRecord } from './record.ts';
import type { ConsentStatus } from './values.ts';

/**
 * The status of a consent at `now`, evaluated rather than stored, so that expiry needs no
 * job to take effect. A withdrawal wins over expiry; validity ends at `validUntil`
 * (exclusive). Evaluating at an earlier time gives the status as it was then.
 */
export function consentStatus(record: ConsentRecord, now: Date): ConsentStatus {
  const at = now.getTime();
  if (record.withdrawnAt !== undefined && Date.parse(record.withdrawnAt) <= at) return 'withdrawn';
  if (record.validUntil !== undefined && Date.parse(record.validUntil) <= at) return 'expired';
  return 'active';
}
