/** Consent: the stored record and the pure rules over it. */
export { berlinDateOf, isCalendarDate } from './calendar.ts';
export {
  COVERAGE_REFUSALS,
  type CoverageRefusal,
  type CoverageResult,
  coverage,
  type TransferRequest,
} from './coverage.ts';
export { isNationalityCode, NATIONALITY_CODES } from './nationality.ts';
export { ConsentRecord, consentRuleIssues, type NewConsentContext, newConsent } from './record.ts';
export { consentStatus } from './status.ts';
export {
  CLOCK_SKEW_MS,
  CONSENT_STATUSES,
  ConsentEvidence,
  ConsentId,
  ConsentScope,
  ConsentStatus,
  DirectoryId,
  GIVEN_BY_ROLES,
  GivenByRole,
  GUARDIAN_REQUIRED_BELOW_AGE,
  ServiceTypeCode,
  WITHDRAWAL_REASONS,
  WithdrawalReason,
} from './values.ts';
export {
  type MayWithdrawContext,
  mayRecordConsent,
  mayWithdraw,
  type WithdrawContext,
  type WithdrawResult,
  withdraw,
} from './withdrawal.ts';
